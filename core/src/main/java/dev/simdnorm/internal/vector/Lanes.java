package dev.simdnorm.internal.vector;

import dev.simdnorm.internal.KernelProvider;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The species of every vector class in this package, chosen once per JVM: static final, so C2 folds them into
 * constants and intrinsifies every vector operation.
 */
final class Lanes {

    /** The float species: the preferred one, or the width forced by {@code -Dsimdnorm.vector.bits}. */
    static final VectorSpecies<Float> FLOATS = species(bits(System.getProperty(KernelProvider.BITS_PROPERTY)));
    /** Floats per vector. */
    static final int FLOAT_LANES = FLOATS.length();
    /** Doubles of the same width, for the per-channel steps of statistics. */
    static final VectorSpecies<Double> DOUBLES = VectorSpecies.of(double.class, FLOATS.vectorShape());
    /** Doubles per vector. */
    static final int DOUBLE_LANES = DOUBLES.length();
    /**
     * Floats of half the width: as many as {@link #DOUBLES} has lanes, the floats that widen into them. Only for
     * whole, unmasked loads that are then converted: a vector of a second float shape that calls {@code FloatVector}'s
     * shared methods ({@code add}, {@code intoArray}, a mask's range checks) puts its class in their profiles, C2 then
     * inlines them for both classes, and the merge of the two can box the kernels' vectors. Masks and stores use
     * {@link #FLOATS}' low lanes. The load itself is shared too ({@code FloatVector.fromArray} is static): in some JVMs
     * its class checks reach C2's trap limit and the float kernels box again; widening whole vectors of {@link #FLOATS}
     * instead cost the double statistics 1.2–2.5× beyond L2, so this stays (docs/design-log.md, 2026-12-06 and
     * 2026-12-07, night).
     */
    static final VectorSpecies<Float> HALF_FLOATS =
            VectorSpecies.of(float.class, VectorShape.forBitSize(FLOATS.vectorBitSize() / 2));

    private Lanes() {
    }

    /**
     * Where the vector that holds the last, partial vector's floats of a run of {@code length} floats starts: the
     * vector that ends with the run, where the run is a vector long or longer, so that a masked access stays inside the
     * arrays (past an array's end the JDK checks the mask lane by lane, which was seen allocating in compiled code:
     * docs/design-log.md); the run's start otherwise. Its lanes for the floats from {@code first} to the run's end are
     * {@code FLOATS.indexInRange(0, length - offset).and(FLOATS.indexInRange(0, first - offset).not())}: masks from an
     * offset of 0, as the JDK builds a mask from a negative offset with the same lane-by-lane check. Each lane does its
     * position's operations, so the bits do not depend on which vector holds a float.
     *
     * @param length floats in the run
     * @return the vector's offset in the run
     */
    static int lastOffset(int length) {
        return length >= FLOAT_LANES ? length - FLOAT_LANES : 0;
    }

    /**
     * The offset of the vector that holds a run's floats from {@code first} (a multiple of the lanes): {@code first}
     * where a whole vector fits before the run's end, {@link #lastOffset} otherwise.
     *
     * @param first  the first float the vector is for
     * @param length floats in the run
     * @return the vector's offset in the run
     */
    static int vectorAt(int first, int length) {
        return first + FLOAT_LANES <= length ? first : lastOffset(length);
    }

    private static Integer bits(String property) {
        try {
            return property == null ? null : Integer.valueOf(property.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "-D" + KernelProvider.BITS_PROPERTY + " must be 128, 256 or 512, got " + property);
        }
    }

    private static VectorSpecies<Float> species(Integer bits) {
        if (bits == null) {
            int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
            if (preferred < 128) {
                throw new IllegalStateException("the preferred float species is " + preferred
                        + " bits, below the 128 the vector kernels need (-XX:MaxVectorSize below 16?)");
            }
            // LanePeriod assumes at most 16 lanes, and the half-width floats a standard shape: the widest of 128, 256
            // and 512 bits that the preferred width holds (512 on wider SVE, 256 on 384-bit SVE).
            return preferred >= 512 ? FloatVector.SPECIES_512
                    : preferred >= 256 ? FloatVector.SPECIES_256 : FloatVector.SPECIES_128;
        }
        return switch (bits) {
            case 128 -> FloatVector.SPECIES_128;
            case 256 -> FloatVector.SPECIES_256;
            case 512 -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException(
                    "-D" + KernelProvider.BITS_PROPERTY + " must be 128, 256 or 512, got " + bits);
        };
    }
}
