package dev.simdnorm.internal.vector;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.Kernel;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A training map's per-channel values in double vectors ({@link Kernel#trainingValues}): the same operations per lane
 * as {@link AffineParams#trainingValues} (conversions as Java's casts, a correctly rounded root and quotient), so the
 * same floats; and whether a channel may need the map's rare steps, found in the same loop.
 */
final class VectorTrainingValues {

    private static final VectorSpecies<Double> DOUBLES = Lanes.DOUBLES;
    private static final int DOUBLE_LANES = Lanes.DOUBLE_LANES;
    private static final VectorSpecies<Float> FLOATS = Lanes.FLOATS;

    private VectorTrainingValues() {
    }

    /** {@link Kernel#trainingValues}. */
    static boolean write(AffineParams p, double[] mean, double[] variance, long count, float[] gamma,
                         float epsilon) {
        float[] hi = p.center();
        float[] lo = p.centerLow();
        float[] scale = p.scale();
        double n = count;
        boolean rare = false;
        // Floats in the low lanes of FLOATS' vectors, not in vectors of half the width: a second float shape's calls
        // of FloatVector's shared methods make C2 inline them for two classes, and the merge can box (design log).
        VectorMask<Float> low = FLOATS.indexInRange(0, DOUBLE_LANES);
        // Only vectors that end inside every array: past an array's end the JDK checks a mask lane by lane, which was
        // seen allocating in compiled code (docs/design-log.md); the channels after them take the scalar steps.
        int inside = Math.min(Math.min(gamma.length, scale.length), Math.min(hi.length, lo.length)) - FLOATS.length();
        int c = 0;
        for (int end = p.channels() - p.channels() % DOUBLE_LANES; c < end && c <= inside; c += DOUBLE_LANES) {
            DoubleVector v = DoubleVector.fromArray(DOUBLES, variance, c);
            DoubleVector g = (DoubleVector) FloatVector.fromArray(FLOATS, gamma, c, low)
                    .convertShape(VectorOperators.F2D, DOUBLES, 0);
            ((FloatVector) g.div(v.add((double) epsilon).sqrt()).convertShape(VectorOperators.D2F, FLOATS, 0))
                    .intoArray(scale, c, low);
            DoubleVector m = DoubleVector.fromArray(DOUBLES, mean, c);
            FloatVector h = (FloatVector) m.convertShape(VectorOperators.D2F, FLOATS, 0);
            h.intoArray(hi, c, low);
            DoubleVector l = m.sub(h.convertShape(VectorOperators.F2D, DOUBLES, 0));
            ((FloatVector) l.convertShape(VectorOperators.D2F, FLOATS, 0)).intoArray(lo, c, low);
            // A low part is not finite only where μ − hi is not (a mean beyond float's range, or not finite). And
            // n·σ² not below 2^254 takes in the NaN and infinite variances too, which the rare steps pass over. A
            // boolean, not a mask carried through the loop: no vector value lives across the loop's back edge.
            rare |= l.test(VectorOperators.IS_FINITE).not()
                    .or(v.mul(n).compare(VectorOperators.LT, 0x1p254).not()).anyTrue();
        }
        p.trainingValues(c, mean, variance, gamma, epsilon);
        for (; c < p.channels(); c++) {
            rare |= !Float.isFinite(lo[c]) || !(variance[c] * n < 0x1p254);
        }
        return rare;
    }
}
