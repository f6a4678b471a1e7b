package dev.simdnorm.internal;

import dev.simdnorm.internal.KernelWorkout.Operation;

import java.util.Arrays;

/**
 * Runs the vector kernel's workout for one {@link Operation} until C2 has compiled every loop of it.
 *
 * <p>The test: each call of a round is timed on both kernels, the scalar one first. Compiled vector code takes at most
 * about the scalar kernel's time even on the workout's small buffers; vector code still interpreted or in C1 takes
 * tens of times longer, at least a few microseconds for the smallest call. So once every call of the round takes at
 * most twice the scalar call's best time plus 1 µs, three rounds in a row, every vector loop of that operation is
 * compiled.
 *
 * <p>At the deadline the last whole round decides, by the same test on its totals: vector code that C2 compiled while
 * a loaded machine kept some call from passing three rounds in a row passes it, and vector code compiled into a slow
 * form (vectors boxed where C2 left a call virtual: 3.7 times the scalar kernel's time, seen in 1 JVM in 10 before
 * the kernels' masked arithmetic was changed) does not, and would be slower than the scalar kernel for good.
 */
final class WarmUp {

    /** Consecutive rounds every vector call must pass. */
    private static final int STREAK = 3;
    /** The absolute slack of the test, above timer noise and far below interpreted vector code. */
    private static final long SLACK_NANOS = 1_000;

    private WarmUp() {
    }

    /** What {@link #warm} found. */
    enum Verdict {
        /** Every call passed the test three rounds in a row: the vector kernel is compiled. */
        COMPILED,
        /** The deadline came first, and the last whole round passed the test in total: use the vector kernel. */
        PASSED_IN_TOTAL,
        /** The deadline came first, and the vector kernel was slower than the test allows: keep the scalar one. */
        SLOWER
    }

    /**
     * Runs {@code op}'s workout on both kernels until the vector kernel's is compiled, or until the deadline.
     *
     * @param vector        the vector kernel's workout
     * @param scalar        the scalar kernel's workout, the yardstick: the same calls
     * @param deadlineNanos {@link System#nanoTime()} after which to stop and decide on the last whole round
     * @return the verdict
     */
    static Verdict warm(Operation op, KernelWorkout vector, KernelWorkout scalar, long deadlineNanos) {
        int calls = vector.calls(op);
        long[] bestScalar = new long[calls];
        Arrays.fill(bestScalar, Long.MAX_VALUE);
        long lastRoundVector = -1; // no whole round yet
        for (int passed = 0; passed < STREAK; ) {
            if (System.nanoTime() - deadlineNanos > 0) { // the difference, which a wrapping clock keeps right
                return passesInTotal(lastRoundVector, bestScalar) ? Verdict.PASSED_IN_TOTAL : Verdict.SLOWER;
            }
            boolean all = true;
            long roundVector = 0;
            for (int i = 0; i < calls; i++) {
                long t0 = System.nanoTime();
                scalar.call(op, i);
                long t1 = System.nanoTime();
                vector.call(op, i);
                long t2 = System.nanoTime();
                bestScalar[i] = Math.min(bestScalar[i], t1 - t0);
                all &= t2 - t1 <= 2 * bestScalar[i] + SLACK_NANOS;
                roundVector += t2 - t1;
            }
            lastRoundVector = roundVector;
            passed = all ? passed + 1 : 0;
        }
        return Verdict.COMPILED;
    }

    /**
     * The test on a round's totals: its vector calls took at most twice the scalar calls' best times plus 1 µs a
     * call, in sum. False without a whole round ({@code roundVector} negative).
     */
    static boolean passesInTotal(long roundVector, long[] bestScalar) {
        if (roundVector < 0) {
            return false;
        }
        long allowed = 0;
        for (long best : bestScalar) {
            allowed += 2 * best + SLACK_NANOS;
        }
        return roundVector <= allowed;
    }
}
