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
 */
final class WarmUp {

    /** Consecutive rounds every vector call must pass. */
    private static final int STREAK = 3;
    /** The absolute slack of the test, above timer noise and far below interpreted vector code. */
    private static final long SLACK_NANOS = 1_000;

    private WarmUp() {
    }

    /**
     * Runs {@code op}'s workout on both kernels until the vector kernel's is compiled, or until the deadline.
     *
     * @param vector        the vector kernel's workout
     * @param scalar        the scalar kernel's workout, the yardstick: the same calls
     * @param deadlineNanos {@link System#nanoTime()} after which to stop anyway
     * @return whether the vector kernel passed the test
     */
    static boolean warm(Operation op, KernelWorkout vector, KernelWorkout scalar, long deadlineNanos) {
        int calls = vector.calls(op);
        long[] bestScalar = new long[calls];
        Arrays.fill(bestScalar, Long.MAX_VALUE);
        for (int passed = 0; passed < STREAK; ) {
            if (System.nanoTime() - deadlineNanos > 0) { // the difference, which a wrapping clock keeps right
                return false;
            }
            boolean all = true;
            for (int i = 0; i < calls; i++) {
                long t0 = System.nanoTime();
                scalar.call(op, i);
                long t1 = System.nanoTime();
                vector.call(op, i);
                long t2 = System.nanoTime();
                bestScalar[i] = Math.min(bestScalar[i], t1 - t0);
                all &= t2 - t1 <= 2 * bestScalar[i] + SLACK_NANOS;
            }
            passed = all ? passed + 1 : 0;
        }
        return true;
    }
}
