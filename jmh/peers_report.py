#!/usr/bin/env python3
"""Tables for the README's comparison with other frameworks.

usage: python3 jmh/peers_report.py speed RUN.json [RUN.json ...]
       python3 jmh/peers_report.py sweep RUN.json [RUN.json ...]
       python3 jmh/peers_report.py accuracy ACCURACY.md [ACCURACY.md ...]
       python3 jmh/peers_report.py family RUN.json [RUN.json ...]

speed: ns per element of every framework per shape and thread count, the ratio of the best NHWC peer's time to
simdnorm's (simdnorm of the same run as that peer), and simdnorm inference against ONNX Runtime on NCHW data, for
inference and training (the op alone) and inference end to end (float[] to float[]), the goals for the first two; each
file is one JMH run (-rf json) of PeerBenchmark, with simdnorm in it. The simdnorm and arraycopy columns show the
first file's.
sweep: the same for PeerSweepBenchmark (C, working set, threads), with arraycopy from SweepCeilingBenchmark
(give its run first, so that the simdnorm column comes from the same run).
In both, the best NHWC peer is the one whose time is the smallest multiple of simdnorm's time in its own run: the
strictest test of the 1.5x goal when peers come from different runs.
accuracy: PeerAccuracy's Markdown rows (lines starting with '|'), condensed to the largest error of each framework
over the shapes (simdnorm: also over the conventions), and a check of every peer row against simdnorm's row under
the same convention, which PeerAccuracy prints just before it.
family: NormPeerBenchmark (LayerNorm, RMSNorm, GroupNorm) with NormCeilingBenchmark: per row, each framework's
time (simdnorm's from the first file), the best peer's time over simdnorm's time in that peer's own run (each file
must have simdnorm in it), and simdnorm's bandwidth as a fraction of System.arraycopy's over the same bytes (RMSNorm
rows use LayerNorm's copy: the same bytes).
"""
import json
import sys
from collections import defaultdict

from report import median  # the median of a row's measured iterations, as report.py takes it

SHAPES = ["1x14x14x256", "8x28x28x256", "32x56x56x64", "64x32x32x3"]
NCHW = {"onnxruntime-nchw"}


def elements(shape):
    n = 1
    for d in shape.split("x"):
        n *= int(d)
    return n


def speed(files):
    # (op, threads, shape) -> {framework: (ns per element, simdnorm's ns per element in the same run)}
    rows = defaultdict(dict)
    copy = {}
    for f in files:
        runs = json.load(open(f))
        own = {}
        for b in runs:
            p = b.get("params", {})
            op = b["benchmark"].rsplit(".", 1)[1]
            if op == "arraycopy":
                copy.setdefault(p["shape"], median(b) * 1e3 / elements(p["shape"]))
                continue
            ns = median(b) * 1e3 / elements(p["shape"])
            key = (op, p["threads"], p["shape"])
            if p["framework"] == "simdnorm":
                own[key] = ns
            rows[key].setdefault(p["framework"], [ns, None])  # the first file's simdnorm is the one shown
        for b in runs:
            p = b.get("params", {})
            op = b["benchmark"].rsplit(".", 1)[1]
            if op == "arraycopy":
                continue
            key = (op, p["threads"], p["shape"])
            if rows[key][p["framework"]][1] is None:
                rows[key][p["framework"]][1] = own.get(key)
    print("| op | threads | shape | simdnorm ns/element | best NHWC peer | its ns/element | peer / simdnorm "
          "| ONNX Runtime NCHW / simdnorm | arraycopy ns/element | other NHWC peers (ns/element) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    misses = []
    for op in ["inference", "train", "endToEnd"]:
        for threads in ["1", "2"]:
            for shape in SHAPES:
                r = rows.get((op, threads, shape))
                if not r or "simdnorm" not in r:
                    continue
                peers = {k: v for k, v in r.items() if k != "simdnorm" and k not in NCHW}
                if not peers:
                    continue
                best = min(peers, key=lambda k: peers[k][0] / peers[k][1])
                ns, own = peers[best]
                ratio = ns / own
                nchw = r.get("onnxruntime-nchw")
                nchw_ratio = "%.2f" % (nchw[0] / nchw[1]) if nchw else "–"
                others = ", ".join("%s %.3g" % (k, v[0]) for k, v in sorted(peers.items(), key=lambda kv: kv[1][0])
                                   if k != best)
                c = copy.get(shape) if threads == "1" else None
                print("| %s | %s | %s | %.3g | %s | %.3g | %.2f | %s | %s | %s |" % (
                    op, threads, shape, r["simdnorm"][0], best, ns, ratio, nchw_ratio,
                    "%.3g" % c if c else "–", others))
                if threads == "1" and op != "endToEnd" and ratio < 1.5:
                    misses.append("%s %s: %.2fx %s" % (op, shape, ratio, best))
                if threads == "1" and op == "inference" and nchw and nchw[0] < nchw[1]:
                    misses.append("inference %s: ONNX Runtime NCHW %.2fx simdnorm's time" % (shape, nchw[0] / nchw[1]))
    print()
    print("goals missed at 1 thread: " + ("; ".join(misses) if misses else "none"))


def accuracy(files):
    """Condensed table; each peer row is checked against the simdnorm row just before it (its convention)."""
    cols = None
    worst = {}
    order = []
    notbest = []
    for f in files:
        matched = None
        for line in open(f):
            if not line.startswith("|") or line.startswith("|---"):
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells[0] == "data":
                cols = cells[3:]
                continue
            data, shape, framework, errors = cells[0], cells[1], cells[2], [float(c) for c in cells[3:]]
            if framework.startswith("simdnorm"):
                matched = (framework, errors)
                framework = "simdnorm (each framework's convention)"
            elif matched:
                for i, (a, b) in enumerate(zip(matched[1], errors)):
                    if b < a:
                        notbest.append("%s, %s, %s: %s %.2g < %s %.2g" % (data, shape, cols[i], framework, b,
                                                                          matched[0], a))
            key = (data, framework)
            if key not in worst:
                order.append(key)
                worst[key] = errors
            else:
                worst[key] = [max(a, b) for a, b in zip(worst[key], errors)]
    print("| data | framework | " + " | ".join(cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for data in dict.fromkeys(d for d, _ in order):
        group = [k for k in order if k[0] == data]
        group.sort(key=lambda k: (not k[1].startswith("simdnorm"), k[1]))
        for k in group:
            print("| %s | %s | %s |" % (data, k[1], " | ".join("%.2g" % e for e in worst[k])))
    print()
    print("where a peer beats simdnorm under the same convention (same data and shape): "
          + ("; ".join(notbest) if notbest else "nowhere"))


def family(files):
    times = defaultdict(dict)  # row -> framework -> (µs, simdnorm's µs in the same file)
    copy = {}
    for f in files:
        runs = json.load(open(f))
        own = {b["params"]["row"]: median(b) for b in runs
               if b["params"].get("framework") == "simdnorm"}
        for b in runs:
            row = b["params"]["row"]
            score = median(b)
            if b["benchmark"].endswith("NormCeilingBenchmark.arraycopy"):
                copy.setdefault(row, score)
            else:
                times[row].setdefault(b["params"]["framework"], (score, own.get(row)))
    names = {"onnxruntime": "ONNX Runtime", "pytorch": "PyTorch", "tensorflow": "TensorFlow", "nd4j": "ND4J"}
    print("| row | simdnorm µs | ONNX Runtime µs | PyTorch µs | TensorFlow µs | ND4J µs | best peer ÷ simdnorm "
          "| simdnorm ÷ arraycopy bandwidth |")
    print("|---|---|---|---|---|---|---|---|")

    def key(row):
        op, a, b = row.split(":")
        return ({"layer": 0, "rms": 1, "group": 2, "skip-layer": 3, "skip-rms": 4}[op],
                int(a) if op != "group" else 0, int(b) if op != "group" else 0, a)

    for row in sorted(times, key=key):
        t = times[row]
        simd = t["simdnorm"][0] if "simdnorm" in t else None
        ratios = {k: v[0] / v[1] for k, v in t.items() if k != "simdnorm" and v[1]}
        best = min(ratios, key=ratios.get) if ratios else None
        ratio = "%s %.2f" % (names[best], ratios[best]) if best else "–"
        c = copy.get(row.replace("rms:", "layer:"))
        bandwidth = "%.2f" % (c / simd) if c and simd else "–"
        cell = lambda k: "%.2f" % t[k][0] if k in t else "–"
        op, a, b = row.split(":")
        if op == "group":
            label = "GroupNorm %s, %s groups" % (a, b)
        else:
            rows = max(1, int(b) * 1024 // (4 * int(a)))
            name = {"layer": "LayerNorm", "rms": "RMSNorm", "skip-layer": "LayerNorm + residual",
                    "skip-rms": "RMSNorm + residual"}[op]
            label = "%s, size %s, %d rows (%s)" % (name, a, rows,
                                                   "%d MiB" % (int(b) // 1024) if int(b) >= 1024 else "%s KiB" % b)
        print("| %s | %s | %s | %s | %s | %s | %s | %s |" % (label, cell("simdnorm"), cell("onnxruntime"),
              cell("pytorch"), cell("tensorflow"), cell("nd4j"), ratio, bandwidth))


def sweep(files):
    # (op, threads, C, KiB) -> {framework: [ns per element, simdnorm's ns per element in the same run]}
    rows = defaultdict(dict)
    copy = {}
    for f in files:
        runs = json.load(open(f))
        own = {}
        for b in runs:
            p = b["params"]
            op = b["benchmark"].rsplit(".", 1)[1]
            c, kib = int(p["channels"]), int(p["kib"])
            n = max(1, kib * 1024 // (4 * c)) * c
            if op == "arraycopy":
                copy.setdefault((c, kib), median(b) * 1e3 / n)
                continue
            key = (op, p.get("threads", "1"), c, kib)
            ns = median(b) * 1e3 / n
            if p["framework"] == "simdnorm":
                own[key] = ns
            rows[key].setdefault(p["framework"], [ns, None])  # the first file's simdnorm is the one shown
        for b in runs:
            p = b["params"]
            op = b["benchmark"].rsplit(".", 1)[1]
            if op == "arraycopy":
                continue
            key = (op, p.get("threads", "1"), int(p["channels"]), int(p["kib"]))
            if rows[key][p["framework"]][1] is None:
                rows[key][p["framework"]][1] = own.get(key)
    print("| op | threads | C, working set | simdnorm ns/element | best NHWC peer | its ns/element | peer / simdnorm "
          "| ONNX Runtime NCHW / simdnorm | arraycopy ns/element | other NHWC peers (ns/element) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    met = defaultdict(lambda: [0, 0])
    nchw_met = defaultdict(lambda: [0, 0])
    misses = []
    for op in ["inference", "train"]:
        for threads in ["1", "2"]:
            for c in [1, 3, 16, 17, 64, 100, 256, 1000]:
                for kib in [16, 256, 4096, 262144]:
                    r = rows.get((op, threads, c, kib))
                    if not r or "simdnorm" not in r:
                        continue
                    peers = {k: v for k, v in r.items() if k != "simdnorm" and k not in NCHW and v[1]}
                    nchw = r.get("onnxruntime-nchw")
                    if not peers and not nchw:
                        continue
                    size = "%d KiB" % kib if kib < 1024 else "%d MiB" % (kib // 1024)
                    nchw_ratio = "%.2f" % (nchw[0] / nchw[1]) if nchw and nchw[1] else "–"
                    if peers:
                        # The strictest comparison: the peer whose time is the smallest multiple of simdnorm's in
                        # the same run.
                        best = min(peers, key=lambda k: peers[k][0] / peers[k][1])
                        ratio = peers[best][0] / peers[best][1]
                        met[(op, threads)][1] += 1
                        met[(op, threads)][0] += ratio >= 1.5
                        if ratio < 1.5:
                            misses.append("%s %s threads C=%d %s: %.3fx %s" % (op, threads, c, size, ratio, best))
                        others = ", ".join("%s %.3g" % (k, v[0]) for k, v in sorted(peers.items(),
                                                                                     key=lambda kv: kv[1][0])
                                           if k != best)
                        cells = (best, "%.3g" % peers[best][0], "%.2f" % ratio, others)
                    else:
                        cells = ("–", "–", "–", "")
                    if op == "inference" and nchw and nchw[1]:
                        nchw_met[threads][1] += 1
                        nchw_met[threads][0] += nchw[0] >= nchw[1]
                    if op == "inference" and nchw and nchw[1] and nchw[0] < nchw[1]:
                        misses.append("inference %s threads C=%d %s: ONNX Runtime NCHW %.2fx simdnorm's time" % (
                            threads, c, size, nchw[0] / nchw[1]))
                    cp = copy.get((c, kib)) if threads == "1" else None
                    print("| %s | %s | C=%d, %s | %.3g | %s | %s | %s | %s | %s | %s |" % (
                        op, threads, c, size, r["simdnorm"][0], cells[0], cells[1], cells[2], nchw_ratio,
                        "%.3g" % cp if cp else "–", cells[3]))
    print()
    print("at least 1.5x the best NHWC peer: " + ", ".join("%s at %s thread(s) %d/%d" % (k[0], k[1], m[0], m[1])
                                                            for k, m in met.items()))
    print("inference no slower than ONNX Runtime on NCHW data: " + ", ".join(
        "at %s thread(s) %d/%d" % (t, m[0], m[1]) for t, m in nchw_met.items()))
    print("misses: " + ("; ".join(misses) if misses else "none"))


if __name__ == "__main__":
    {"speed": speed, "sweep": sweep, "accuracy": accuracy, "family": family}[sys.argv[1]](sys.argv[2:])
