package dev.simdnorm;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * Where the parallel overloads of {@link Moments}, {@link ChannelAffine}, {@link BatchNorm}, {@link GroupNorm},
 * {@link LayerNorm} and {@link RmsNorm} run their work: an {@link Executor} of the caller's and how many threads, the
 * calling thread included, may work on one call.
 *
 * <p><b>Determinism.</b> Results never depend on the thread count. A tensor is cut into fixed slices of rows,
 * whatever the threads: about 1 MiB each, up to 4 MiB for statistics in double with many channels. Each slice's
 * partial moments are computed alone and the partials are merged in a fixed balanced tree; the sequential methods
 * compute exactly that too. So every thread count, 1 included, and the sequential methods give the same bits. Below
 * 2²⁰ floats (4 MiB) a call stays on the calling thread: handing work to another thread costs more than it saves
 * there (docs/performance.md).
 *
 * <p>The calling thread always works too, and takes every slice no other thread has started, so a call completes even
 * if the executor is saturated, slow to start tasks, rejects them, or throws anything when asked to run one; but
 * {@code execute} must not block (a pool whose rejection handler waits for room in its queue, called from its own
 * threads, can deadlock, as with any such pool). An exception thrown by the work, or anything but a {@link
 * RuntimeException} thrown by {@code execute}, is rethrown to the caller after every started slice has finished; no
 * task of the library touches the call's arrays after the call has returned or thrown. An executor that runs other
 * work inside {@code execute} must not make that work train, set or run a backward pass on the {@link BatchNorm}
 * whose call is handing it the task: such a call throws {@code IllegalStateException}. A parallel call allocates a few
 * small objects per task and one pair of per-channel arrays per slice; sequential calls allocate nothing (but an NCHW
 * backward pass's two small work objects). The working arrays are per thread, made at a thread's first call: an
 * executor that starts a new thread per task (or virtual threads) makes them again for each task (for a task staging
 * segments or an NCHW backward pass's slices, two buffers of 1 MiB, of C KiB above 1,024 channels, or of a row for
 * rows longer than 2¹⁸ floats, each kept up to 16 MiB). Instances are immutable and thread-safe.
 */
public final class Parallelism {

    /**
     * Floats below which a call runs on the calling thread alone (docs/guide.md, "Multi-threading"). The system
     * property {@code simdnorm.parallel.minFloats} overrides it, for measuring; results never depend on it.
     */
    static final long MIN_PARALLEL_FLOATS = Long.getLong("simdnorm.parallel.minFloats", 1L << 20);

    private static final Parallelism SEQUENTIAL = new Parallelism(Runnable::run, 1);

    private final Executor executor;
    private final int threads;

    private Parallelism(Executor executor, int threads) {
        this.executor = executor;
        this.threads = threads;
    }

    /**
     * Work on up to {@code threads} threads: the caller and up to {@code threads − 1} tasks of {@code executor}.
     *
     * @param executor runs the helper tasks, e.g. a {@link ForkJoinPool} or a fixed thread pool
     * @param threads  the most threads working on one call, caller included, at least 1
     * @return the parallelism
     * @throws NullPointerException     if executor is null
     * @throws IllegalArgumentException if {@code threads < 1}
     */
    public static Parallelism of(Executor executor, int threads) {
        Check.notNull(executor, "executor");
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        }
        return new Parallelism(executor, threads);
    }

    /**
     * Work on the common {@link ForkJoinPool}: the caller and as many tasks as the pool's parallelism.
     *
     * @return the parallelism of the common pool
     */
    public static Parallelism commonPool() {
        return new Parallelism(ForkJoinPool.commonPool(), ForkJoinPool.getCommonPoolParallelism() + 1);
    }

    /**
     * Work on the calling thread only; the same results as every other parallelism.
     *
     * @return the sequential parallelism
     */
    public static Parallelism sequential() {
        return SEQUENTIAL;
    }

    /**
     * Returns the most threads that work on one call, the caller included.
     *
     * @return the most threads that work on one call, the caller included
     */
    public int threads() {
        return threads;
    }

    /** Whether a call over {@code floats} floats is worth spreading over threads. */
    boolean spreads(long floats) {
        return threads > 1 && floats >= MIN_PARALLEL_FLOATS;
    }

    /**
     * Runs {@code body} for every index in [0, tasks), on the caller and up to {@code threads − 1} executor tasks, and
     * returns when all have run. Which thread runs an index is left to chance; what an index computes must not be.
     *
     * <p>Whatever {@code execute} throws, the caller takes every index no task has started and waits for every started
     * one before it returns or rethrows: a {@link RuntimeException} is taken as a rejection (the call completes and
     * returns), anything else (an {@link Error}, or a checked exception thrown through the back door) is rethrown
     * afterwards. No task touches the call's data once it has returned or thrown: the body is dropped then, so tasks
     * the executor runs later find nothing to do and hold nothing.
     */
    void forEach(int tasks, long floats, IntConsumer body) {
        int helpers = spreads(floats) ? Math.min(threads, tasks) - 1 : 0;
        if (helpers <= 0) {
            for (int i = 0; i < tasks; i++) {
                body.accept(i);
            }
            return;
        }
        Call call = new Call(tasks, body);
        Throwable submitFailure = null;
        for (int k = 0; k < helpers; k++) {
            try {
                executor.execute(call);
            } catch (RuntimeException e) {
                break; // rejected, or the executor failed: the caller takes the rest
            } catch (Throwable e) {
                submitFailure = e; // an Error (no native thread, say), or a sneaky checked exception: rethrown below
                break;
            }
        }
        try {
            call.run();
        } finally {
            // Normally every index is claimed by now. If the caller's own run threw (a StackOverflowError in its
            // bookkeeping, say), the indices no one has started end here, so that the wait below ends, and the
            // started ones are awaited all the same: no task writes after the call.
            for (int i; (i = call.next.getAndIncrement()) < call.tasks; ) {
                call.finished.countDown();
            }
            awaitUninterruptibly(call.finished);
            call.body = null;
        }
        if (submitFailure != null) {
            sneakyThrow(submitFailure);
        }
        Throwable t = call.failure.get();
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) {
            throw new IllegalStateException(t);
        }
    }

    /** One parallel call: its indices, claimed one at a time by the caller and the executor's tasks. */
    private static final class Call implements Runnable {
        final int tasks;
        final AtomicInteger next = new AtomicInteger();
        final CountDownLatch finished;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        /** The work; null once the call has ended, so a task run later holds and touches nothing of it. */
        volatile IntConsumer body;

        Call(int tasks, IntConsumer body) {
            this.tasks = tasks;
            this.finished = new CountDownLatch(tasks);
            this.body = body;
        }

        @Override
        public void run() {
            IntConsumer b = body;
            if (b == null) {
                return;
            }
            for (int i; (i = next.getAndIncrement()) < tasks; ) {
                try {
                    if (failure.get() == null) {
                        b.accept(i);
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    finished.countDown();
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneakyThrow(Throwable t) throws T {
        throw (T) t;
    }

    /** Waits for the started slices; an interrupt is kept for the caller, never lost, and never abandons them. */
    private static void awaitUninterruptibly(CountDownLatch latch) {
        boolean interrupted = false;
        while (true) {
            try {
                latch.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "Parallelism[threads=" + threads + ", executor=" + executor + "]";
    }
}
