#!/usr/bin/env bash
# The shapes, the C sweep and the segments (the run behind docs/performance.md's BatchNorm tables) one row at a time:
#
#   jmh/run-by-row.sh [OUT]        (OUT defaults to jmh/results/rows-YYYY-MM-DD), then python3 jmh/report.py OUT/*.json
#
# JMH takes one benchmark method over all its rows before the next, so in one run of "Shape|Sweep|Segment" a public
# call, its kernel and its ceilings on the same row run up to an hour apart, and a shared machine whose memory
# bandwidth drifts moves the ratios between them (docs/design-log.md, 2026-12-04). Here each row's methods run back
# to back, a few minutes apart at most; the same forks, iterations and rows, so about as long (80–100 min). Needs
# jmh/target/benchmarks.jar (./mvnw -f jmh/pom.xml package) and a JDK 25 java first on PATH or in JAVA_HOME.
#
# Environment:
#   QUICK=1     a check of this script in a minute or two: one shape and one sweep row, no warm-up
#   PAIRS=1     only each public call and its kernel (inference/normalize, Moments.of/statistics, train/trainStep),
#               and the kernels returning their statistics in new arrays as the public calls do: the "public call
#               <= 1.10x its kernel" target, about 50 min
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-jmh/results/rows-$(date +%F)}
mkdir -p "$out"
java=${JAVA_HOME:+$JAVA_HOME/bin/}java
jar=jmh/target/benchmarks.jar

if [[ ${QUICK:-} == 1 ]]; then
    shapes="64x32x32x3"
    kibs="16"
    channels="3"
    timing=(-wi 0 -i 1 -r 100ms)
else
    shapes="1x14x14x256 8x28x28x256 32x56x56x64 64x32x32x3"
    kibs="16 256 4096 262144"
    channels="1 3 16 17 64 100 256 1000"
    timing=()
fi

run() {
    "$java" --add-modules jdk.incubator.vector -jar "$jar" -jvmArgsPrepend "--add-modules=jdk.incubator.vector" \
        "$@" "${timing[@]}"
}

if [[ ${PAIRS:-} == 1 ]]; then
    shape_methods='\.ApiShapeBenchmark\.(inference|moments|train)$|\.ShapeBenchmark\.(normalize|statistics|trainStep)(Returned)?$'
    sweep_methods='\.ApiSweepBenchmark\.(inference|moments|train)$|\.SweepBenchmark\.(normalize|statistics|trainStep)(Returned)?$'
else
    shape_methods="Shape|Segment"
    sweep_methods="Sweep"
fi

for shape in $shapes; do
    run "$shape_methods" -p shape="$shape" -rf json -rff "$out/shape-$shape.json"
done
for kib in $kibs; do
    for c in $channels; do
        run "$sweep_methods" -p kib="$kib" -p channels="$c" -rf json -rff "$out/sweep-$kib-$c.json"
    done
done
echo "tables: python3 jmh/report.py $out/*.json"
