package dev.simdnorm.internal;

import dev.simdnorm.internal.KernelProvider.Selection;
import dev.simdnorm.internal.KernelWorkout.Operation;

/**
 * {@link KernelProvider}'s state: what calls run now, per operation, what they asked for, and the choice once it is
 * made. One per JVM; the fields marked guarded are read and written with its monitor held.
 */
final class ProviderState {

    private static final Operation[] OPERATIONS = Operation.values();

    final long started = System.nanoTime();
    volatile Kernel normalizing = ScalarKernel.INSTANCE;
    volatile Kernel statistics = ScalarKernel.INSTANCE;
    volatile Kernel normalizingNchw = ScalarKernel.INSTANCE;
    volatile Kernel statisticsNchw = ScalarKernel.INSTANCE;
    volatile Kernel gradients = ScalarKernel.INSTANCE;
    volatile Kernel rows = ScalarKernel.INSTANCE;
    volatile Kernel statisticsInDouble = ScalarKernel.INSTANCE;
    /** Operations in the order calls first asked for them; guarded by this. */
    final Operation[] asked = new Operation[OPERATIONS.length];
    int askedCount;
    /** Bit {@code op.ordinal()} once {@link #asked} holds op: read without the lock on every scalar call. */
    volatile int askedMask;
    final boolean[] warm = new boolean[OPERATIONS.length];
    /** Set by {@link KernelProvider#awaitWarm} and {@link KernelProvider#selection}: start now, and (for the former) warm every operation. */
    boolean urged;
    boolean everything;
    /** Null until decided; guarded by this, and volatile for the reads of {@link KernelProvider#selection}. */
    volatile Selection selection;
    long warmAfterNanos = -1;
    /** Whether a warm-up thread is alive, or about to start; guarded by this. */
    boolean running;
    /** The workouts, once the vector kernel is chosen with a warm-up, for the threads after the first; guarded. */
    KernelWorkout vectorWorkout;
    KernelWorkout scalarWorkout;
    /** What {@code -Dsimdnorm.kernels} asked for, for the reasons logged. */
    String forced = "";

    Kernel active(Operation op) {
        return switch (op) {
            case NORMALIZE -> normalizing;
            case STATISTICS -> statistics;
            case NORMALIZE_NCHW -> normalizingNchw;
            case STATISTICS_NCHW -> statisticsNchw;
            case GRADIENTS -> gradients;
            case ROWS -> rows;
            case STATISTICS_IN_DOUBLE -> statisticsInDouble;
        };
    }

    void use(Operation op, Kernel kernel) {
        switch (op) {
            case NORMALIZE -> normalizing = kernel;
            case STATISTICS -> statistics = kernel;
            case NORMALIZE_NCHW -> normalizingNchw = kernel;
            case STATISTICS_NCHW -> statisticsNchw = kernel;
            case GRADIENTS -> gradients = kernel;
            case ROWS -> rows = kernel;
            case STATISTICS_IN_DOUBLE -> statisticsInDouble = kernel;
        }
    }

    /** Records that calls asked for {@code op}, once; starts a warm-up thread again where the last one ended. */
    void ask(Operation op) {
        String warning = null;
        synchronized (this) {
            for (int i = 0; i < askedCount; i++) {
                if (asked[i] == op) {
                    return;
                }
            }
            asked[askedCount++] = op;
            askedMask |= 1 << op.ordinal();
            notifyAll();
            if (!warm[op.ordinal()]) {
                warning = KernelProvider.resume(this);
            }
        }
        KernelProvider.warn(warning); // outside the lock, which every caller's first call of an operation takes
    }

    /** Every operation not yet warm runs {@code kernel} from now on, without warm-up (guarded by this). */
    void switchCold(Kernel kernel) {
        for (Operation op : OPERATIONS) {
            if (!warm[op.ordinal()]) {
                use(op, kernel);
                warm[op.ordinal()] = true;
            }
        }
    }

    synchronized boolean allWarm() {
        for (boolean w : warm) {
            if (!w) {
                return false;
            }
        }
        return true;
    }
}
