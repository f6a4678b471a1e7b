#!/usr/bin/env python3
"""Turns a JMH JSON result (-rf json) of the Shape* and Sweep* benchmarks into the README's markdown tables.

Every ratio is taken between rows of the same run, from medians of the measurement iterations:
  normalize / arraycopy  = arraycopy time / normalize time   (bandwidth ratio; target >= 0.9, 0.75 at 16 KiB)
  statistics / sum       = readSum time / statistics time     (target >= 0.9, 0.5 at 16 KiB)
  train / arraycopy      = trainStep time / arraycopy time    (target <= 2.2)
  vector / scalar        = scalar time / vector time          (target >= 5 statistics, >= 4 normalize to 4 MiB)
and, to name where a miss comes from, two ceilings that a Java vector loop can reach:
  vectorCopy / arraycopy, normalize / vectorCopy   (a Vector API copy of the same bytes)
  deviationSum / sum, statistics / deviationSum    (the statistics kernel's three operations per float, alone)

Usage: python3 jmh/report.py results.json
"""
import json
import statistics
import sys


def median(entry):
    raw = [v for fork in entry["primaryMetric"]["rawData"] for v in fork]
    return statistics.median(raw)


def load(path):
    rows = {}
    for e in json.load(open(path)):
        name = e["benchmark"].rsplit(".", 2)
        cls, op = name[-2], name[-1]
        p = e.get("params", {})
        shape = p.get("shape")
        if shape and p.get("layout", "NHWC") != "NHWC":
            shape += " " + p["layout"]  # its own row; the ceilings, of the same bytes, are the NHWC row's
        key = (cls.replace("Ceiling", ""), shape or (p.get("channels"), p.get("kib")), op, p.get("impl", "-"))
        rows[key] = median(e)
    return rows


def ratio(a, b):
    return "–" if a is None or b is None else f"{a / b:.2f}"


def table(rows, cls, keys, label):
    out = [f"| {label} | normalize / arraycopy | statistics / sum | train / arraycopy | normalize vector/scalar "
           f"| statistics vector/scalar | normalize GB/s | statistics GB/s |",
           "|---|---|---|---|---|---|---|---|"]
    for k in keys:
        g = lambda op, impl="-": rows.get((cls, k, op, impl))
        ceiling = lambda op: rows.get((cls, k.split(" ")[0] if isinstance(k, str) else k, op, "-"))
        nv, ns, cp = g("normalize", "vector"), g("normalize", "scalar"), ceiling("arraycopy")
        sv, ss, rs = g("statistics", "vector"), g("statistics", "scalar"), ceiling("readSum")
        tv = g("trainStep", "vector")
        floats = floats_of(cls, k)
        gbn = f"{2 * 4 * floats / (nv * 1e3):.0f}" if nv else "–"
        gbs = f"{4 * floats / (sv * 1e3):.0f}" if sv else "–"
        name = k if isinstance(k, str) else f"C={k[0]}, {kib_label(k[1])}"
        out.append(f"| {name} | {ratio(cp, nv)} | {ratio(rs, sv)} | {ratio(tv, cp)} | {ratio(ns, nv)} "
                   f"| {ratio(ss, sv)} | {gbn} | {gbs} |")
    return "\n".join(out)


def floats_of(cls, k):
    if isinstance(k, str):
        n, h, w, c = (int(v) for v in k.split(" ")[0].split("x"))
        return n * h * w * c
    c, kib = int(k[0]), int(k[1])
    return max(1, kib * 1024 // (4 * c)) * c


def kib_label(kib):
    kib = int(kib)
    return f"{kib // 1024} MiB" if kib >= 1024 else f"{kib} KiB"


def targets(rows, sweep, shapes):
    """Issue 3's targets, each as 'met/total' with the misses listed."""
    checks = []
    for k in sweep:
        g = lambda op, impl="-": rows.get(("SweepBenchmark", k, op, impl))
        kib = int(k[1])
        name = f"C={k[0]} {kib_label(kib)}"
        nv, ns, cp = g("normalize", "vector"), g("normalize", "scalar"), g("arraycopy")
        sv, ss, rs = g("statistics", "vector"), g("statistics", "scalar"), g("readSum")
        tv = g("trainStep", "vector")
        if None in (nv, ns, cp, sv, ss, rs, tv):
            continue
        checks.append(("normalize >= 0.9x arraycopy (>= 256 KiB), >= 0.75x (16 KiB)", name, cp / nv,
                       cp / nv >= (0.75 if kib < 256 else 0.9)))
        checks.append(("statistics >= 0.9x read sum (>= 256 KiB), >= 0.5x (16 KiB)", name, rs / sv,
                       rs / sv >= (0.5 if kib < 256 else 0.9)))
        checks.append(("train step <= 2.2x arraycopy", name, tv / cp, tv / cp <= 2.2))
        checks.append(("statistics vector >= 5x scalar", name, ss / sv, ss / sv >= 5))
        if kib <= 4096:
            checks.append(("normalize vector >= 4x scalar (<= 4 MiB)", name, ns / nv, ns / nv >= 4))
    out = ["| target | met | misses (value) |", "|---|---|---|"]
    for t in dict.fromkeys(c[0] for c in checks):
        cs = [c for c in checks if c[0] == t]
        miss = ", ".join(f"{c[1]} ({c[2]:.2f})" for c in cs if not c[3])
        out.append(f"| {t} | {sum(c[3] for c in cs)}/{len(cs)} | {miss or '–'} |")
    return "\n".join(out)


def java_ceilings(rows, sweep):
    """What Java vector loops reach against the hardware ceilings, and the kernels against those loops."""
    out = ["| C, working set | vectorCopy / arraycopy | normalize / vectorCopy | deviationSum / sum "
           "| statistics / deviationSum |", "|---|---|---|---|---|"]
    for k in sweep:
        g = lambda op, impl="-": rows.get(("SweepBenchmark", k, op, impl))
        cp, vc, nv = g("arraycopy"), g("vectorCopy"), g("normalize", "vector")
        rs, ds, sv = g("readSum"), g("deviationSum"), g("statistics", "vector")
        out.append(f"| C={k[0]}, {kib_label(k[1])} | {ratio(cp, vc)} | {ratio(vc, nv)} | {ratio(rs, ds)} "
                   f"| {ratio(ds, sv)} |")
    return "\n".join(out)


def main():
    rows = load(sys.argv[1])
    shapes = sorted({k[1] for k in rows if k[0] == "ShapeBenchmark"}, key=lambda s: (floats_of("", s), s))
    sweep = sorted({k[1] for k in rows if k[0] == "SweepBenchmark"}, key=lambda t: (int(t[0]), int(t[1])))
    print(table(rows, "ShapeBenchmark", shapes, "shape (N×H×W×C, NHWC unless named)"))
    print()
    print(table(rows, "SweepBenchmark", sweep, "C, working set"))
    print()
    print(targets(rows, sweep, shapes))
    print()
    print(java_ceilings(rows, sweep))


if __name__ == "__main__":
    main()
