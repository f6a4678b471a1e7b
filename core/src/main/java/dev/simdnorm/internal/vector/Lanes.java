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

    /**
     * Floats a staged tail holds: a tail of under 64 floats (the row sums' are under 32) and a whole vector from any of
     * its floats.
     */
    static final int STAGE = 64 + FLOAT_LANES;

    /** A thread's copy of a tail ({@link #staged}). */
    private static final ThreadLocal<float[]> STAGED = ThreadLocal.withInitial(() -> new float[STAGE]);

    /** How many runs {@link #shortRuns} holds: a map's input and second input, γ and β. */
    private static final int SHORT_RUN_COPIES = 4;

    /** A thread's copies of runs shorter than a vector ({@link #shortRuns}). */
    private static final ThreadLocal<float[][]> SHORT_RUNS =
            ThreadLocal.withInitial(() -> new float[SHORT_RUN_COPIES][FLOAT_LANES]);

    private Lanes() {
    }

    /**
     * Whether a run's tail from {@code start} (its masked vectors from at most 64 floats in) may reach past x's end,
     * where the JDK checks a mask lane by lane, which was seen allocating in compiled code (docs/design-log.md). Such
     * a tail, at most once per call at the end of x, is read from {@link #staged}: its accumulator lanes are
     * positions, so the vector cannot move back inside x as a map's can ({@link #lastOffset}).
     *
     * @param x     the array read
     * @param start the tail's first float
     * @return whether to read the tail from a copy
     */
    static boolean nearEnd(float[] x, int start) {
        return start > x.length - STAGE;
    }

    /**
     * How many of {@code count} vectors of {@link #FLOAT_LANES} floats, the first at {@code first} and each
     * {@code step} floats after the one before, end inside x: the first ones, as the offsets grow. A masked vector past
     * x's end has the JDK check its mask lane by lane, which was seen allocating in compiled code
     * (docs/design-log.md); the statistics add such vectors' lanes one at a time, the maps of runs shorter than a
     * vector run them on copies ({@link #pastEnd}).
     *
     * @param x     the array, read or written
     * @param first the first vector's offset
     * @param step  floats from one vector to the next (any, where {@code count} is 1)
     * @param count the vectors
     * @return the vectors from the first that end inside x
     */
    static int inside(float[] x, int first, int step, int count) {
        int room = x.length - FLOAT_LANES - first;
        return room < 0 ? 0 : count == 1 || step <= 0 ? count : (int) Math.min(count, room / step + 1L);
    }

    /**
     * The floats {@code [start, start + tail)} of x at the start of this thread's stage, {@link #STAGE} floats long,
     * whose masked vectors read the same values. Called before a kernel's vectors are live, so that none crosses it.
     *
     * @param x     the array
     * @param start the tail's first float
     * @param tail  its length, under 64
     * @return the stage
     */
    static float[] staged(float[] x, int start, int tail) {
        float[] stage = STAGED.get();
        System.arraycopy(x, start, stage, 0, tail);
        return stage;
    }

    /**
     * Whether a vector from {@code start} would reach past a's end. A run shorter than a vector (C below the lanes in
     * NHWC, rows and planes shorter than a vector, a tensor's last partial period) has no vector that ends with it
     * inside the run ({@link #lastOffset}), so a map takes its masked vector from the run's start; where that vector
     * would reach past an array's end, where the JDK checks a mask lane by lane (seen allocating in compiled code:
     * docs/design-log.md), the kernels run the same vector on copies ({@link #shortRuns}), at the arrays' end only.
     *
     * @param a     the array
     * @param start the vector's first float
     * @return whether the vector would end past a's end
     */
    static boolean pastEnd(float[] a, int start) {
        return start > a.length - FLOAT_LANES;
    }

    /**
     * This thread's arrays of {@link #FLOAT_LANES} floats for runs shorter than a vector ({@link #pastEnd}): a masked
     * vector reads and writes the same values in a copy, so the bits do not change. The kernels copy into them before
     * their vectors are live.
     *
     * @return four arrays: a map's input and second input, then γ and β
     */
    static float[][] shortRuns() {
        return SHORT_RUNS.get();
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
