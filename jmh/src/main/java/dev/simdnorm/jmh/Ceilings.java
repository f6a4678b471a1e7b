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
}
