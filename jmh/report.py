#!/usr/bin/env python3
"""Turns JMH JSON results (-rf json) into the markdown tables of docs/performance.md.

Every ratio is taken between rows of the same run, from medians of the measurement iterations. The rows are what
users call (ApiShape*, ApiSweep*, Segment, ApiBackward, Latency); the kernels alone (Shape*, Sweep*) are a diagnostic.

  inference / arraycopy   = arraycopy time / inference time  (bandwidth; target >= 0.9 at >= 256 KiB, 0.75 at 16 KiB)
  in place / arraycopy    = arraycopy time / in-place time   (target >= 0.95 at 4 MiB and 256 MiB)
  moments / sum           = readSum time / Moments.of time     (target >= 0.9 at >= 256 KiB, 0.5 at 16 KiB)
  train / arraycopy       = train time / arraycopy time        (target <= 2.2 at >= 256 KiB, 4 at 16 KiB)
  public / kernel         = public call time / kernel time     (target <= 1.10; also against the kernel returning
                            its statistics in two new arrays of C doubles, as a returned Moments must: *Returned)
  vector / scalar         = scalar time / vector time, both through the public API

Usage: python3 jmh/report.py results.json [more.json ...]   (Latency rows: SampleTime; -prof gc adds allocation;
a ColdStart JSON adds the cold-start table, with the plain loop against the JMH average of the same call)
"""
import json
import statistics
import sys

SHAPES = ["1x14x14x256", "8x28x28x256", "32x56x56x64", "64x32x32x3"]
CHANNELS = [1, 3, 16, 17, 64, 100, 256, 1000]
KIBS = [16, 256, 4096, 262144]


def median(entry):
    raw = [v for fork in entry["primaryMetric"]["rawData"] for v in fork]
    return statistics.median(raw) if raw else entry["primaryMetric"]["score"]


def load(paths):
    rows, percentiles, alloc, cold = {}, {}, {}, []
    for path in paths:
        for e in json.load(open(path)):
            if "benchmark" not in e:  # a ColdStart run or floor
                cold.append(e)
                continue
            cls, op = e["benchmark"].rsplit(".", 2)[-2:]
            p = e.get("params", {})
            if p.get("impl", "vector") != "vector":
                cls += "Scalar"
            key = (cls, row_of(p), op)
            if e["mode"] == "sample":
                percentiles[key] = e["primaryMetric"]["scorePercentiles"]
                continue
            secondary = e.get("secondaryMetrics", {})
            gc = secondary.get("gc.alloc.rate.norm", secondary.get("·gc.alloc.rate.norm"))
            if gc is not None:
                # A -prof gc run gives the allocation only: its times (short iterations, the profiler on) would
                # replace the main run's and pair a public call of one run with a ceiling of another.
                alloc[key] = gc["score"]
                continue
            rows[key] = median(e)
    return rows, percentiles, alloc, cold


def row_of(p):
    """A row: the shape (with its layout unless NHWC), a sweep cell, or a latency row, as one string."""
    if "row" in p:
        return p["row"]
    if "micros" in p:
        return f"{p['micros']} µs of CPU work"
    if "shape" in p:
        extra = [p[k] for k in ("layout", "storage", "activation") if k in p and p[k] not in ("NHWC",)]
        return " ".join([p["shape"]] + extra)
    return f"{kib_label(p['kib'])}/C={p['channels']}"


def kib_label(kib):
    kib = int(kib)
    return f"{kib // 1024}MiB" if kib >= 1024 else f"{kib}KiB"


def ratio(a, b):
    return None if a is None or b is None else a / b


def fmt(v, digits=2):
    return "–" if v is None else f"{v:.{digits}f}"


def shape_floats(row):
    if "/C=" in row:
        size, c = row.split("/C=")
        kib = int(size[:-3]) * (1024 if size.endswith("MiB") else 1)
        return max(1, kib * 1024 // (4 * int(c))) * int(c)
    n, h, w, c = (int(v) for v in row.split(" ")[0].split("x"))
    return n * h * w * c


def public_table(rows, api, ceiling, keys, label):
    g = lambda cls, k, op: rows.get((cls, k, op))
    c0 = lambda k: k.split(" ")[0]
    out = [f"| {label} | inference / arraycopy | in place / arraycopy | Moments.of / sum | train / arraycopy "
           f"| apply / arraycopy | inference v/s | Moments.of v/s | train v/s | inference GB/s |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for k in keys:
        cp, rs = g(ceiling, c0(k), "arraycopy"), g(ceiling, c0(k), "readSum")
        inf, ip, mo, tr, ap = (g(api, k, op) for op in ("inference", "inferenceInPlace", "moments", "train", "apply"))
        scalar = api.replace("Benchmark", "ScalarBenchmark")
        s_inf, s_mo, s_tr = (g(scalar, k, op) for op in ("inference", "moments", "train"))
        gbs = None if inf is None else 8 * shape_floats(k) / (inf * 1e3)
        out.append(f"| {k} | {fmt(ratio(cp, inf))} | {fmt(ratio(cp, ip))} | {fmt(ratio(rs, mo))} | {fmt(ratio(tr, cp))} "
                   f"| {fmt(ratio(cp, ap))} | {fmt(ratio(s_inf, inf))} | {fmt(ratio(s_mo, mo))} | {fmt(ratio(s_tr, tr))} "
                   f"| {fmt(gbs, 0)} |")
    return "\n".join(out)


def diagnostic_table(rows, api, kernel, ceiling, keys, label):
    g = lambda cls, k, op: rows.get((cls, k, op))
    c0 = lambda k: k.split(" ")[0]
    out = [f"| {label} | inference / kernel | Moments.of / kernel | train / kernel | vectorCopy / arraycopy "
           f"| inference / vectorCopy | deviationSum / sum | Moments.of / deviationSum |",
           "|---|---|---|---|---|---|---|---|"]
    for k in keys:
        out.append(f"| {k} | {fmt(ratio(g(api, k, 'inference'), g(kernel, k, 'normalize')))} "
                   f"| {fmt(ratio(g(api, k, 'moments'), g(kernel, k, 'statistics')))} "
                   f"| {fmt(ratio(g(api, k, 'train'), g(kernel, k, 'trainStep')))} "
                   f"| {fmt(ratio(g(ceiling, c0(k), 'arraycopy'), g(ceiling, c0(k), 'vectorCopy')))} "
                   f"| {fmt(ratio(g(ceiling, c0(k), 'vectorCopy'), g(api, k, 'inference')))} "
                   f"| {fmt(ratio(g(ceiling, c0(k), 'readSum'), g(ceiling, c0(k), 'deviationSum')))} "
                   f"| {fmt(ratio(g(ceiling, c0(k), 'deviationSum'), g(api, k, 'moments')))} |")
    return "\n".join(out)


def returned(op):
    """The kernel method doing a public call's whole work: the statistics returned in new arrays, as Moments are."""
    return {"inference": "normalize", "moments": "statisticsReturned", "train": "trainStepReturned"}[op]


def pairs_table(rows, api, kernel, keys, label):
    """Each public call beside its kernel, in µs, and beside the kernel returning new arrays as the public call must."""
    out = [f"| {label} | op | public µs | kernel µs | public / kernel | kernel, result returned µs "
           f"| public / kernel with its result |", "|---|---|---|---|---|---|---|"]
    for k in keys:
        for op, kop in (("inference", "normalize"), ("moments", "statistics"), ("train", "trainStep")):
            pub, ker, ret = rows.get((api, k, op)), rows.get((kernel, k, kop)), rows.get((kernel, k, returned(op)))
            if pub is None or ker is None:
                continue
            out.append(f"| {k} | {op} | {pub:.3g} | {ker:.3g} | {fmt(ratio(pub, ker))} "
                       f"| {'–' if ret is None or op == 'inference' else f'{ret:.3g}'} | {fmt(ratio(pub, ret))} |")
    return "\n".join(out)


def targets(rows, shape_keys, sweep_keys):
    checks = []
    absent = {}

    def add(name, row, value, ok):
        if value is not None:
            checks.append((name, row, value, ok(value)))
        else:  # a row the run lacks (a failed fork): named, never dropped from the count unsaid
            absent.setdefault(name, []).append(row)

    for cls, kernel, ceiling, keys in (("ApiShapeBenchmark", "ShapeBenchmark", "ShapeCeilingBenchmark", shape_keys),
                                       ("ApiSweepBenchmark", "SweepBenchmark", "SweepCeilingBenchmark", sweep_keys)):
        for k in keys:
            g = lambda c, op: rows.get((c, k, op))
            cp = rows.get((ceiling, k.split(" ")[0], "arraycopy"))
            rs = rows.get((ceiling, k.split(" ")[0], "readSum"))
            # The 16 KiB sweep cells take the in-cache limits; every other row the ">= 256 KiB" ones, the stricter,
            # also the 196 KiB shape (1x14x14x256), which the targets name neither way.
            small = k.startswith("16KiB/")
            add("inference >= 0.9x arraycopy (>= 256 KiB), >= 0.75x (16 KiB)", k, ratio(cp, g(cls, "inference")),
                lambda v: v >= (0.75 if small else 0.9))
            add("Moments.of >= 0.9x read sum (>= 256 KiB), >= 0.5x (16 KiB)", k, ratio(rs, g(cls, "moments")),
                lambda v: v >= (0.5 if small else 0.9))
            add("train <= 2.2x arraycopy (>= 256 KiB), <= 4x (16 KiB)", k, ratio(g(cls, "train"), cp),
                lambda v: v <= (4 if small else 2.2))
            if k.startswith(("4MiB/", "256MiB/")):  # the sizes the target names: the sweep's cells, not the shapes
                add("in-place inference >= 0.95x arraycopy (4 MiB, 256 MiB)", k,
                    ratio(cp, g(cls, "inferenceInPlace")), lambda v: v >= 0.95)
            for op, kop in (("inference", "normalize"), ("moments", "statistics"), ("train", "trainStep")):
                add("public call <= 1.10x its kernel", k + " " + op, ratio(g(cls, op), g(kernel, kop)),
                    lambda v: v <= 1.10)
            for op in ("inference", "moments", "train"):
                add("public call <= 1.10x its kernel returning its result in new arrays", k + " " + op,
                    ratio(g(cls, op), g(kernel, returned(op))), lambda v: v <= 1.10)
    out = ["| target | met | misses (value) |", "|---|---|---|"]
    for t in dict.fromkeys([c[0] for c in checks] + list(absent)):
        cs = [c for c in checks if c[0] == t]
        miss = ", ".join(f"{c[1]} ({c[2]:.2f})" for c in cs if not c[3])
        lacking = absent.get(t, [])
        if lacking:
            miss = (miss + "; " if miss else "") + f"no data for {len(lacking)}: " + ", ".join(lacking)
        out.append(f"| {t} | {sum(c[3] for c in cs)}/{len(cs) + len(lacking)} | {miss or '–'} |")
    return "\n".join(out)


def latency_table(percentiles):
    """p50 and p99 per row; arraycopy of the same bytes in the same run (its own fork) is the machine's p99 / p50."""
    out = ["| row | op | p50 µs | p99 µs | p99 / p50 | p99.9 µs | arraycopy p99 / p50 |", "|---|---|---|---|---|---|---|"]
    met = total = 0
    for (cls, row, op), p in sorted(percentiles.items(), key=lambda kv: (kv[0][2], latency_order(kv[0][1]))):
        if op in ("arraycopy", "work"):
            continue
        p50, p99, p999 = p["50.0"], p["99.0"], p["99.9"]
        copy = percentiles.get((cls, row, "arraycopy"))
        copy_ratio = fmt(copy["99.0"] / copy["50.0"]) if copy else "–"
        total += 1
        met += p99 <= 1.5 * p50
        out.append(f"| {row} | {op} | {p50:.2f} | {p99:.2f} | {p99 / p50:.2f} | {p999:.2f} | {copy_ratio} |")
    out.append(f"\np99 <= 1.5x p50: {met}/{total} rows")
    control = sorted(((row, p) for (cls, row, op), p in percentiles.items() if op == "work"),
                     key=lambda rp: int(rp[0].split(" ")[0]))
    if control:
        out.append("\n| control: pure CPU work | p50 µs | p99 µs | p99 / p50 | p99.9 µs |\n|---|---|---|---|---|")
        for row, p in control:
            out.append(f"| {row} | {p['50.0']:.2f} | {p['99.0']:.2f} | {p['99.0'] / p['50.0']:.2f} | {p['99.9']:.2f} |")
    return "\n".join(out)


def latency_order(row):
    if "/C=" in row:
        kib, c = row.split("/C=")
        return (1, int(kib.split("KiB")[0]), int(c))
    return (0, SHAPES.index(row) if row in SHAPES else 9, 0)


def alloc_table(alloc):
    """Bytes allocated per call (-prof gc), one line per benchmark method, every row of it."""
    out = ["| benchmark | B/op, by row |", "|---|---|"]
    methods = dict.fromkeys((cls, op) for cls, _, op in sorted(alloc))
    for cls, op in methods:
        cells = [f"{row} {alloc[(c, row, o)]:.0f}" for (c, row, o) in sorted(alloc) if (c, o) == (cls, op)]
        out.append(f"| {cls}.{op} | {'; '.join(cells)} |")
    return "\n".join(out)


def segment_table(rows):
    """MemorySegment overloads against the float[] overload on the same shape, same run."""
    out = ["| shape | op | heap segment / array | native segment / array |", "|---|---|---|---|"]
    for shape in SHAPES:
        for op in ("statistics", "normalize", "trainStep"):
            array = rows.get(("SegmentBenchmark", f"{shape} array", op))
            if array is None:
                continue
            heap = rows.get(("SegmentBenchmark", f"{shape} heapSegment", op))
            native = rows.get(("SegmentBenchmark", f"{shape} native", op))
            out.append(f"| {shape} | {op} | {fmt(ratio(heap, array))} | {fmt(ratio(native, array))} |")
    return "\n".join(out)


def backward_table(rows):
    """Backward through the public API, as time over readTwo (a read-only sum of x and dy) and over its kernel."""
    out = ["| shape | activation | backward / readTwo | into caller arrays / readTwo | backwardInference / readTwo "
           "| backward / kernel |", "|---|---|---|---|---|---|"]
    for shape in SHAPES:
        ceiling = rows.get(("BackwardCeilingBenchmark", shape, "readTwo"))
        kernel = rows.get(("BackwardBenchmark", shape, "backward"))
        for act in ("NONE", "RELU"):
            key = f"{shape} {act}"
            api = rows.get(("ApiBackwardBenchmark", key, "backwardMoments"))
            if api is None:
                continue
            into = rows.get(("ApiBackwardBenchmark", key, "backwardInto"))
            inf = rows.get(("ApiBackwardBenchmark", key, "backwardInference"))
            out.append(f"| {shape} | {act} | {fmt(ratio(api, ceiling))} | {fmt(ratio(into, ceiling))} "
                       f"| {fmt(ratio(inf, ceiling))} | {fmt(ratio(api, kernel)) if act == 'NONE' else '–'} |")
    return "\n".join(out)


COLD_OPS = {"train": "train", "inference": "inference", "moments": "moments"}


def cold_table(cold, rows):
    """Fresh JVMs (ColdStart): vector (with the warm-up) against scalar, medians over the repeats."""
    def med(kernels, op, shape, field):
        v = [e[field] for e in cold if e.get("kernels") == kernels and e["op"] == op and e["shape"] == shape]
        return statistics.median(v) if v else None

    out = ["| shape | op | first call ms, vector / scalar | first 1,000 calls ms, vector / scalar "
           "| settled within 1.25× after s, vector / scalar | at 1 s / steady, vector | plain loop / JMH |",
           "|---|---|---|---|---|---|---|"]
    met = [0, 0, 0, 0]
    total = 0
    for shape in ("1x14x14x256", "8x28x28x256", "64x32x32x3"):
        for op in ("train", "inference", "moments"):
            fv, fs = med("vector", op, shape, "firstCallUs"), med("scalar", op, shape, "firstCallUs")
            if fv is None:
                continue
            cv, cs = med("vector", op, shape, "first1000Ms"), med("scalar", op, shape, "first1000Ms")
            sv, ss = med("vector", op, shape, "settledS"), med("scalar", op, shape, "settledS")
            one = med("vector", op, shape, "atOneSecond")
            # The plain loop after the warm-up, as JMH measures (ColdStart plain), where the run has it; else the
            # last second of the cold JVM, which may not have settled yet.
            warmed = [e["plainWarmUs"] for e in cold if "plain" in e and e["op"] == op and e["shape"] == shape]
            plain = statistics.median(warmed) if warmed else med("vector", op, shape, "plainLoopUs")
            jmh = rows.get(("ApiShapeBenchmark", shape, op))
            agree = ratio(plain, jmh)
            total += 1
            met[0] += cv <= cs
            met[1] += fv <= fs + 10_000
            met[2] += sv is not None and sv <= 1  # settled for good by 1 s, not only near steady at 1 s
            met[3] += agree is not None and 1 / 1.25 <= agree <= 1.25
            out.append(f"| {shape} | {op} | {fv / 1e3:.1f} / {fs / 1e3:.1f} | {cv:.0f} / {cs:.0f} | {sv:.2f} / {ss:.2f} "
                       f"| {one:.2f} | {fmt(agree)} |")
    out.append(f"\nfirst 1,000 calls vector <= scalar: {met[0]}/{total}; first call <= scalar + 10 ms: {met[1]}/{total}; "
               f"within 1.25x of steady at 1 s: {met[2]}/{total}; plain loop within 1.25x of JMH: {met[3]}/{total}")
    if any("plain" in e for e in cold):
        out.append("(plain loop: after KernelSelection.warmUp and 1 s of untimed calls, the mean of 2 s of calls, "
                   "median of the JVMs)")
    floors = [e for e in cold if "floor" in e]
    if floors:
        f = {k: statistics.median(e[k] for e in floors) for k in ("warmUpS", "compileS", "normalizeS",
                                                                  "statisticsS", "gradientsS")}
        out.append(f"\nwarm-up floor (KernelSelection.warmUp in an otherwise idle JVM, median of {len(floors)}): "
                   f"{f['warmUpS']:.2f} s, JIT compile time {f['compileS']:.2f} s; vector kernels in use after "
                   f"{f['normalizeS']:.2f} s (normalize), {f['statisticsS']:.2f} s (statistics), "
                   f"{f['gradientsS']:.2f} s (gradients)")
    return "\n".join(out)


def main():
    rows, percentiles, alloc, cold = load(sys.argv[1:])
    shape_grid = [s + l for s in SHAPES for l in ("", " NCHW")]
    sweep_grid = [f"{kib_label(k)}/C={c}" for c in CHANNELS for k in KIBS]
    shape_keys = [k for k in shape_grid if ("ApiShapeBenchmark", k, "inference") in rows]
    sweep_keys = [k for k in sweep_grid if ("ApiSweepBenchmark", k, "inference") in rows]
    # The targets count the whole grid of a run with ceilings (a main run), so that a row missing from it (a failed
    # fork) shows as "no data" rather than leaving the count unsaid.
    has = lambda cls: any(key[0] == cls for key in rows)
    target_shapes = shape_grid if has("ShapeCeilingBenchmark") else shape_keys
    target_sweep = sweep_grid if has("SweepCeilingBenchmark") else sweep_keys
    if shape_keys:
        print(public_table(rows, "ApiShapeBenchmark", "ShapeCeilingBenchmark", shape_keys,
                           "shape (N×H×W×C, NHWC unless named)"))
        print()
    if sweep_keys:
        print(public_table(rows, "ApiSweepBenchmark", "SweepCeilingBenchmark", sweep_keys, "working set / C"))
        print()
    if has("ShapeCeilingBenchmark") or has("SweepCeilingBenchmark"):  # a main run: the targets need its ceilings
        print(targets(rows, target_shapes, target_sweep))
        print()
    if shape_keys:
        print(diagnostic_table(rows, "ApiShapeBenchmark", "ShapeBenchmark", "ShapeCeilingBenchmark", shape_keys,
                               "shape"))
        print()
    if sweep_keys:
        print(diagnostic_table(rows, "ApiSweepBenchmark", "SweepBenchmark", "SweepCeilingBenchmark", sweep_keys,
                               "working set / C"))
        print()
    for api, kernel, keys, label in (("ApiShapeBenchmark", "ShapeBenchmark", shape_keys, "shape"),
                                     ("ApiSweepBenchmark", "SweepBenchmark", sweep_keys, "working set / C")):
        if keys and any(k[0] == kernel for k in rows):
            print(pairs_table(rows, api, kernel, keys, label))
            print()
    if any(k[0] == "SegmentBenchmark" for k in rows):
        print(segment_table(rows))
        print()
    if any(k[0] == "ApiBackwardBenchmark" for k in rows):
        print(backward_table(rows))
        print()
    if percentiles:
        print(latency_table(percentiles))
        print()
    if alloc:
        print(alloc_table(alloc))
        print()
    if cold:
        print(cold_table(cold, rows))


if __name__ == "__main__":
    main()
