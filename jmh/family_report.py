#!/usr/bin/env python3
"""The LayerNorm, RMSNorm and GroupNorm tables of docs/performance.md from JMH JSON results (-rf json).

Every ratio is between rows of the same run, from medians of the measured iterations (JMH's score is their mean).

  rows FILE   RowNormBenchmark: copy's time / each layer's and each ceiling's time; the residual form and its
              ceiling against its copy (residualCopy: x into y and the residual into h, measured) where the run has
              it, else twice arraycopy. Targets: LayerNorm and RMSNorm >= 0.5x the copy in cache (16 KiB to 4 MiB)
              and >= 0.85x at 256 MiB; the residual form >= 0.5x; a row below its target is "out of reach" where
              its ceiling (the map pass alone: rowAffine, rowScale, residualAffine) is below the target too, else
              "short". The decode row (4096 x 1) against <= 4x the copy's time.
  residual FILE  RowNormBenchmark's residual rows alone (layerNormResidual, residualAffine, residualCopy,
              arraycopy): the form and its ceiling against residualCopy, and residualCopy against two copies.
  groups FILE GroupNormBenchmark: GroupNorm's and InstanceNorm's time / the copy's; target <= 2.2x at >= 256 KiB.
"""
import json
import sys

from report import median  # the median of a row's measured iterations, as report.py takes it


def size_of(kib_bytes):
    k = kib_bytes / 1024
    return f"{int(k)} KiB" if k < 1024 else f"{int(k / 1024)} MiB"


def of_class(path, cls):
    """The entries of benchmark class cls: the scalar classes' rows (the same methods and parameters) kept apart."""
    return [e for e in json.load(open(path)) if e["benchmark"].split(".")[-2] == cls]


def row_scores(path):
    """RowNormBenchmark's medians by (size, kib, method)."""
    s = {}
    for e in of_class(path, "RowNormBenchmark"):
        p = e["params"]
        s[(int(p["size"]), int(p["kib"]), e["benchmark"].split(".")[-1])] = median(e)
    return s


def rows(path):
    s = row_scores(path)
    counts = {k: [0, 0, 0] for k in ("LayerNorm", "RMSNorm", "residual form")}
    short = {k: [] for k in counts}
    pair_name = "its copy" if any(k[2] == "residualCopy" for k in s) else "2 copies"
    print("| size | x | rows | LayerNorm: copy ÷ it | `rowAffine`: copy ÷ it | RMSNorm: copy ÷ it "
          f"| `rowScale`: copy ÷ it | residual form: {pair_name} ÷ it | `residualAffine`: {pair_name} ÷ it |")
    print("|---|---|---|---|---|---|---|---|---|")
    decode = None
    for size in (64, 768, 4096, 16384):
        for kib in (16, 256, 4096, 262144):
            if (size, kib, "arraycopy") not in s:
                continue
            copy = s[(size, kib, "arraycopy")]
            r = lambda b, f=1: f * copy / s[(size, kib, b)]
            ln, ra, rm, rs = r("layerNorm"), r("rowAffine"), r("rmsNorm"), r("rowScale")
            # The residual form against a measured copy of its four arrays where the run has one, else two copies.
            pair = s.get((size, kib, "residualCopy"), 2 * copy)
            res, resa = pair / s[(size, kib, "layerNormResidual")], pair / s[(size, kib, "residualAffine")]
            x = size_of(max(kib * 1024, size * 4))
            print(f"| {size} | {x} | {max(1, kib * 256 // size)} | {ln:.2f} | {ra:.2f} | {rm:.2f} | {rs:.2f} "
                  f"| {res:.2f} | {resa:.2f} |")
            for key, val, ceiling in (("LayerNorm", ln, ra), ("RMSNorm", rm, rs), ("residual form", res, resa)):
                target = 0.5 if key == "residual form" or kib < 262144 else 0.85
                if val >= target:
                    counts[key][0] += 1
                elif ceiling < target:
                    counts[key][1] += 1
                else:
                    counts[key][2] += 1
                    short[key].append(f"{size} at {x} ({val:.2f})")
            if size == 4096 and kib == 16:
                decode = (1 / ln, 1 / rm, 1 / ra, 1 / rs, copy)
    print()
    for key in counts:
        print(f"{key}: {counts[key][0]} met, {counts[key][1]} out of reach, {counts[key][2]} short: "
              + ", ".join(short[key]))
    if decode:
        print("decode row (4096 x 1) over the 16 KiB copy's time: LayerNorm %.2f, RMSNorm %.2f, rowAffine %.2f, "
              "rowScale %.2f; the copy %.3f us" % decode)
        verdict = lambda v, ceiling: "met" if v <= 4 else "out of reach" if ceiling > 4 else "short"
        print(f"decode row <= 4x the copy: LayerNorm {verdict(decode[0], decode[2])}, "
              f"RMSNorm {verdict(decode[1], decode[3])}")


def residual(path):
    """The residual form alone, against its measured copy (residualCopy) and against two copies of x into y."""
    s = row_scores(path)
    met, out_of_reach, short = 0, 0, []
    print("| size | x | rows | residual form: its copy ÷ it | `residualAffine`: its copy ÷ it "
          "| its copy ÷ 2 copies of x | residual form: 2 copies ÷ it |")
    print("|---|---|---|---|---|---|---|")
    for size in (64, 768, 4096, 16384):
        for kib in (16, 256, 4096, 262144):
            if (size, kib, "residualCopy") not in s:
                continue
            pair, copy = s[(size, kib, "residualCopy")], s[(size, kib, "arraycopy")]
            res, resa = pair / s[(size, kib, "layerNormResidual")], pair / s[(size, kib, "residualAffine")]
            x = size_of(max(kib * 1024, size * 4))
            print(f"| {size} | {x} | {max(1, kib * 256 // size)} | {res:.2f} | {resa:.2f} | {pair / (2 * copy):.2f} "
                  f"| {2 * copy / s[(size, kib, 'layerNormResidual')]:.2f} |")
            if res >= 0.5:
                met += 1
            elif resa < 0.5:
                out_of_reach += 1
            else:
                short.append(f"{size} at {x} ({res:.2f})")
    print()
    print(f"residual form >= 0.5x its copy: {met} met, {out_of_reach} out of reach, {len(short)} short: "
          + ", ".join(short))


def groups(path):
    s = {}
    for e in of_class(path, "GroupNormBenchmark"):
        p = e["params"]
        s[(p["shape"], p["layout"], e["benchmark"].split(".")[-1])] = median(e)
    sizes = {"1x14x14x256": "196 KiB", "8x28x28x256": "6.1 MiB", "32x56x56x64": "24.5 MiB", "64x32x32x3": "768 KiB"}
    met, total, misses = 0, 0, []
    print("| shape | groups | GroupNorm: its time ÷ copy's time | InstanceNorm: its time ÷ copy's time |")
    print("|---|---|---|---|")
    for shape in sizes:
        for layout in ("NHWC", "NCHW"):
            copy = s[(shape, layout, "arraycopy")]
            g, i = s[(shape, layout, "groupNorm")] / copy, s[(shape, layout, "instanceNorm")] / copy
            print(f"| {shape} {layout} ({sizes[shape]}) | {3 if shape == '64x32x32x3' else 32} | {g:.2f} | {i:.2f} |")
            if shape != "1x14x14x256":
                total += 1
                if g <= 2.2:
                    met += 1
                else:
                    misses.append(f"{shape} {layout} ({g:.2f})")
    print()
    print(f"GroupNorm <= 2.2x the copy's time at >= 256 KiB: {met}/{total}; missed: " + ", ".join(misses))


if __name__ == "__main__":
    {"rows": rows, "residual": residual, "groups": groups}[sys.argv[1]](sys.argv[2])
