package dev.simdnorm.jmh;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** The hardware ceilings the kernels are measured against. */
final class Ceilings {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private Ceilings() {
    }

    /** A read-only sum over the floats with four vector accumulators: what reading the data costs at best. */
    static float readSum(float[] x, int length) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        int l = S.length();
        int i = 0;
        for (; i <= length - 4 * l; i += 4 * l) {
            a0 = a0.add(FloatVector.fromArray(S, x, i));
            a1 = a1.add(FloatVector.fromArray(S, x, i + l));
            a2 = a2.add(FloatVector.fromArray(S, x, i + 2 * l));
            a3 = a3.add(FloatVector.fromArray(S, x, i + 3 * l));
        }
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < length; i++) {
            s += x[i];
        }
        return s;
    }

    /**
     * A read-only sum over two arrays of the same length with four vector accumulators, two per array: what reading
     * both inputs of the backward pass costs at best.
     */
    static float readTwo(float[] x, float[] dy, int length) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        int l = S.length();
        int i = 0;
        for (; i <= length - 2 * l; i += 2 * l) {
            a0 = a0.add(FloatVector.fromArray(S, x, i));
            a1 = a1.add(FloatVector.fromArray(S, x, i + l));
            a2 = a2.add(FloatVector.fromArray(S, dy, i));
            a3 = a3.add(FloatVector.fromArray(S, dy, i + l));
        }
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; i < length; i++) {
            s += x[i] + dy[i];
        }
        return s;
    }

    /**
     * The statistics kernel's arithmetic alone: {@code Σ(x − c)} and {@code Σ(x − c)²} (by FMA) around one center,
     * four vector accumulators each, in a linear loop with a constant stride and nothing else: what a Java vector loop
     * with three floating-point operations per float reaches, against {@link #readSum}'s one.
     *
     * @return the two sums added, so that neither can be optimised away
     */
    static float deviationSum(float[] x, int length, float c) {
        FloatVector m = FloatVector.broadcast(S, c);
        FloatVector r0 = FloatVector.zero(S);
        FloatVector r1 = FloatVector.zero(S);
        FloatVector r2 = FloatVector.zero(S);
        FloatVector r3 = FloatVector.zero(S);
        FloatVector q0 = FloatVector.zero(S);
        FloatVector q1 = FloatVector.zero(S);
        FloatVector q2 = FloatVector.zero(S);
        FloatVector q3 = FloatVector.zero(S);
        int l = S.length();
        int i = 0;
        for (; i <= length - 4 * l; i += 4 * l) {
            FloatVector d0 = FloatVector.fromArray(S, x, i).sub(m);
            FloatVector d1 = FloatVector.fromArray(S, x, i + l).sub(m);
            FloatVector d2 = FloatVector.fromArray(S, x, i + 2 * l).sub(m);
            FloatVector d3 = FloatVector.fromArray(S, x, i + 3 * l).sub(m);
            r0 = r0.add(d0);
            r1 = r1.add(d1);
            r2 = r2.add(d2);
            r3 = r3.add(d3);
            q0 = d0.fma(d0, q0);
            q1 = d1.fma(d1, q1);
            q2 = d2.fma(d2, q2);
            q3 = d3.fma(d3, q3);
        }
        float s = r0.add(r1).add(r2.add(r3)).add(q0.add(q1).add(q2.add(q3))).reduceLanes(VectorOperators.ADD);
        for (; i < length; i++) {
            float d = x[i] - c;
            s += d + d * d;
        }
        return s;
    }

    /**
     * A copy with Vector API loads and stores, four vectors per iteration: what any Java vector loop that reads x and
     * writes y can reach. {@code System.arraycopy} is a hand-written stub and faster (see README).
     */
    static void vectorCopy(float[] x, float[] y, int length) {
        int l = S.length();
        int i = 0;
        for (; i <= length - 4 * l; i += 4 * l) {
            FloatVector.fromArray(S, x, i).intoArray(y, i);
            FloatVector.fromArray(S, x, i + l).intoArray(y, i + l);
            FloatVector.fromArray(S, x, i + 2 * l).intoArray(y, i + 2 * l);
            FloatVector.fromArray(S, x, i + 3 * l).intoArray(y, i + 3 * l);
        }
        for (; i < length; i += l) {
            var m = S.indexInRange(i, length);
            FloatVector.fromArray(S, x, i, m).intoArray(y, i, m);
        }
    }

    /**
     * The scalar kernels' map where x and y share an index, as a plain loop (the shape of
     * {@code ScalarKernel.periods}): runs of {@code period} floats (whole periods of the channels), the center, its low
     * part, the scale and the shift read from one {@code double[]} laid out over a run, with {@code max(t, +0)} on each
     * output where {@code max}. Two loops, as in the kernel. What plain Java can reach for the fallback's ReLU: C2
     * compiles {@code Math.max} to a sequence of blends (its NaN and −0 rules) and {@code t < 0 ? 0 : t} to a branch.
     */
    static void plainMap(float[] x, float[] y, int periods, int period, double[] q, boolean max) {
        if (max) {
            plainMapWithMax(x, y, periods, period, q);
            return;
        }
        for (int r = 0, i = 0; r < periods; r++, i += period) {
            for (int c = 0; c < period; c++) {
                float v = (x[i + c] - (float) q[c]) - (float) q[period + c];
                y[i + c] = Math.fma(v, (float) q[2 * period + c], (float) q[3 * period + c]);
            }
        }
    }

    private static void plainMapWithMax(float[] x, float[] y, int periods, int period, double[] q) {
        for (int r = 0, i = 0; r < periods; r++, i += period) {
            for (int c = 0; c < period; c++) {
                float v = (x[i + c] - (float) q[c]) - (float) q[period + c];
                y[i + c] = Math.max(Math.fma(v, (float) q[2 * period + c], (float) q[3 * period + c]), 0f);
            }
        }
    }

    /**
     * {@code y = x·γ + β} along rows of {@code size} floats, γ and β per position: the streams any LayerNorm's
     * normalize pass reads and writes (x, γ, β in; y out), with none of its arithmetic or its statistics.
     */
    static void rowAffine(float[] x, float[] y, int rows, int size, float[] gamma, float[] beta) {
        int l = S.length();
        for (int r = 0, base = 0; r < rows; r++, base += size) {
            int j = 0;
            for (; j <= size - l; j += l) {
                FloatVector.fromArray(S, x, base + j)
                        .fma(FloatVector.fromArray(S, gamma, j), FloatVector.fromArray(S, beta, j))
                        .intoArray(y, base + j);
            }
            if (j < size) {
                var m = S.indexInRange(j, size);
                FloatVector.fromArray(S, x, base + j, m)
                        .fma(FloatVector.fromArray(S, gamma, j, m), FloatVector.fromArray(S, beta, j, m))
                        .intoArray(y, base + j, m);
            }
        }
    }
    /**
     * {@code y = x·γ} along rows of {@code size} floats, γ per position: the streams RMSNorm's normalize pass reads
     * and writes (x and γ in; y out), with none of its statistics.
     */
    static void rowScale(float[] x, float[] y, int rows, int size, float[] gamma) {
        int l = S.length();
        for (int r = 0, base = 0; r < rows; r++, base += size) {
            int j = 0;
            for (; j <= size - l; j += l) {
                FloatVector.fromArray(S, x, base + j).mul(FloatVector.fromArray(S, gamma, j)).intoArray(y, base + j);
            }
            if (j < size) {
                var m = S.indexInRange(j, size);
                FloatVector.fromArray(S, x, base + j, m).mul(FloatVector.fromArray(S, gamma, j, m))
                        .intoArray(y, base + j, m);
            }
        }
    }

    /**
     * {@code h = x + r}, then {@link #rowAffine} of h into y: the streams of the residual form of LayerNorm (x and r
     * in, h out; h, γ and β in, y out), with none of its statistics.
     */
    static void residualAffine(float[] x, float[] r, float[] h, float[] y, int rows, int size, float[] gamma,
                               float[] beta) {
        int l = S.length();
        int n = rows * size;
        int i = 0;
        for (; i <= n - l; i += l) {
            FloatVector.fromArray(S, x, i).add(FloatVector.fromArray(S, r, i)).intoArray(h, i);
        }
        if (i < n) {
            var m = S.indexInRange(i, n);
            FloatVector.fromArray(S, x, i, m).add(FloatVector.fromArray(S, r, i, m)).intoArray(h, i, m);
        }
        rowAffine(h, y, rows, size, gamma, beta);
    }
}
