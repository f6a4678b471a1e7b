#!/usr/bin/env bash
# Regenerates every number and chart of the README's "Against other frameworks", in one command:
#
#   jmh/peers.sh [OUT]        (OUT defaults to jmh/results/peers-YYYY-MM-DD)
#
# About three hours on a 2-vCPU machine; the runs go one after another, never two at once. Writes into OUT the JMH
# JSON of every run, speed.md and sweep.md (peers_report.py's tables), accuracy*.md and the report of them, and the
# two peer charts into docs/img (OUT/img with QUICK=1). Each framework's run has simdnorm in it, so each ratio comes
# from one run. The environment each peer needs is set here: TF_ENABLE_ONEDNN_OPTS=0 for TensorFlow with oneDNN
# off, OMP_NUM_THREADS equal to the thread count for ND4J (Nd4jPeer refuses to run otherwise).
#
# Environment:
#   QUICK=1     a check of this script in a few minutes: one shape, one C and size, no warm-up; numbers meaningless
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-jmh/results/peers-$(date +%F)}
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [[ ${QUICK:-} == 1 ]]; then
    shapes="-p shape=64x32x32x3"
    sweep="-p channels=3 -p kib=16"
    big="-p channels=3 -p kib=16"
    timing="-f 1 -wi 0 -i 1 -r 100ms"
    img=$out/img
else
    shapes=""
    sweep="-p kib=16,256,4096,262144"
    big="-p kib=4096,262144"
    timing=""
    img=$(pwd)/docs/img
fi
sweep_timing=${timing:-"-i 2 -r 500ms"}

# bench PROFILE FILE JMH-ARGS...: one JMH run of the peers' benchmarks into OUT/FILE.
bench() {
    local profile=$1 file=$2
    shift 2
    echo "$(date +%T) $file" >&2
    ./mvnw -q -f jmh/pom.xml "$profile" compile exec:exec@peers -Djmh.args="$* -rf json -rff $out/$file"
}

for t in 1 2; do
    bench -Ppeers shapes-$t.json "jmh.PeerBenchmark|ShapeCeilingBenchmark.arraycopy -p threads=$t $shapes $timing" \
        "-p framework=simdnorm,tensorflow,tensorflow-tf1,pytorch,onnxruntime-nhwc,onnxruntime-nchw"
    TF_ENABLE_ONEDNN_OPTS=0 bench -Ppeers shapes-onednn-off-$t.json "jmh.PeerBenchmark -p threads=$t $shapes $timing" \
        "-p framework=simdnorm,tensorflow-onednn-off,tensorflow-tf1-onednn-off"
    OMP_NUM_THREADS=$t bench -Pnd4j shapes-nd4j-$t.json "jmh.PeerBenchmark -p threads=$t $shapes $timing" \
        "-p framework=simdnorm,nd4j"
done

bench -Ppeers sweep-1.json "PeerSweepBenchmark|SweepCeilingBenchmark.arraycopy -p threads=1 $sweep $sweep_timing" \
    "-p framework=simdnorm,tensorflow,pytorch,onnxruntime-nhwc,onnxruntime-nchw"
TF_ENABLE_ONEDNN_OPTS=0 bench -Ppeers sweep-onednn-off-1.json "PeerSweepBenchmark -p threads=1 $sweep $sweep_timing" \
    "-p framework=simdnorm,tensorflow-onednn-off"
OMP_NUM_THREADS=1 bench -Pnd4j sweep-nd4j-1.json "PeerSweepBenchmark -p threads=1 $sweep $sweep_timing" \
    "-p framework=simdnorm,nd4j"
bench -Ppeers sweep-2.json "PeerSweepBenchmark -p threads=2 $sweep $sweep_timing" \
    "-p framework=simdnorm,tensorflow,pytorch,onnxruntime-nhwc,onnxruntime-nchw"
# TensorFlow with oneDNN off and ND4J on two threads from 4 MiB on only: below that a second thread has little to do.
TF_ENABLE_ONEDNN_OPTS=0 bench -Ppeers sweep-onednn-off-2.json "PeerSweepBenchmark -p threads=2 $big $sweep_timing" \
    "-p framework=simdnorm,tensorflow-onednn-off"
OMP_NUM_THREADS=2 bench -Pnd4j sweep-nd4j-2.json "PeerSweepBenchmark -p threads=2 $big $sweep_timing" \
    "-p framework=simdnorm,nd4j"

python3 jmh/peers_report.py speed "$out"/shapes-1.json "$out"/shapes-onednn-off-1.json "$out"/shapes-nd4j-1.json \
    "$out"/shapes-2.json "$out"/shapes-onednn-off-2.json "$out"/shapes-nd4j-2.json > "$out/speed.md"
python3 jmh/peers_report.py sweep "$out"/sweep-1.json "$out"/sweep-onednn-off-1.json "$out"/sweep-nd4j-1.json \
    "$out"/sweep-2.json "$out"/sweep-onednn-off-2.json "$out"/sweep-nd4j-2.json > "$out/sweep.md"

./mvnw -q -f jmh/pom.xml -Ppeers compile exec:exec@peer-accuracy | grep '^|' > "$out/accuracy.md"
TF_ENABLE_ONEDNN_OPTS=0 ./mvnw -q -f jmh/pom.xml -Ppeers compile exec:exec@peer-accuracy | grep '^|' \
    > "$out/accuracy-onednn-off.md"
OMP_NUM_THREADS=1 ./mvnw -q -f jmh/pom.xml -Pnd4j compile exec:exec@peer-accuracy | grep '^|' > "$out/accuracy-nd4j.md"
python3 jmh/peers_report.py accuracy "$out"/accuracy.md "$out"/accuracy-onednn-off.md "$out"/accuracy-nd4j.md \
    > "$out/accuracy-report.md"

charts="$img $out/shapes-1.json $out/shapes-onednn-off-1.json $out/shapes-nd4j-1.json"
./mvnw -q -f jmh/pom.xml -Ppeers compile exec:exec@peer-charts -Dcharts.args="$charts"
echo "$(date +%T) done: $out" >&2
