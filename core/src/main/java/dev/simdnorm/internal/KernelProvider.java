package dev.simdnorm.internal;

import dev.simdnorm.internal.KernelWorkout.Operation;

import java.lang.System.Logger.Level;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import static dev.simdnorm.internal.ProviderLog.log;

/**
 * Chooses the kernel once per JVM, Lucene-style, and decides what each call runs until that kernel is compiled.
 *
 * <p><b>The choice.</b> The Vector API kernel only when {@code jdk.incubator.vector} is readable, C2 is on and the
 * species is at least 128 bits wide; otherwise the scalar kernel, with one actionable warning. The vector classes are
 * loaded by name only after those checks pass, so a missing module can never surface as {@link NoClassDefFoundError}.
 *
 * <p><b>Warm-up.</b> Until C2 has compiled it, vector code runs about a hundred times slower than plain Java (the
 * interpreter and C1 do not intrinsify the Vector API), and compiling it takes seconds of a compiler thread. So calls
 * run the scalar kernel, which compiles within a few hundred milliseconds and gives the same bits, while a daemon
 * thread, {@code simdnorm-warm-up}, loads the vector kernel and runs its {@link KernelWorkout} on private buffers,
 * one {@link Operation} at a time, each switching to the vector kernel once {@link WarmUp} finds it compiled. The
 * thread waits {@link #START_DELAY_NANOS} after the first call before it starts, so that it does not compete with the
 * compilation of the caller's own first calls; it warms only the operations calls have asked for, in the order they
 * were first asked for (all of them when {@link #awaitWarm} is called). NHWC and NCHW are separate operations: C2's
 * work for the workout is most of the cost of a cold start, and a caller of one layout needs none of the other's.
 * A switch never changes a result, between calls or within one (a pass reads its kernel once; the row normalizations
 * read it per run of rows): the kernels give the same bits.
 *
 * <p>The thread ends once every operation runs the vector kernel, or once those asked for do and no other is asked
 * for within {@link #IDLE_EXIT_NANOS}; the first call of another operation then starts a new one, which keeps the
 * workouts (and the choice) of the first. So no thread of the library outlives its work, and none pins the class
 * loader of a caller (its context class loader is the library's) in a container that unloads applications.
 *
 * <p>System properties: {@code simdnorm.kernels=scalar|vector} forces a choice;
 * {@code simdnorm.vector.bits=128|256|512} forces the vector width (for tests; wider than the hardware runs correctly
 * but emulated and slow); {@code simdnorm.warmup=off} runs the vector kernel from the first call, compiled or not.
 */
public final class KernelProvider {

    /** Forces the kernel: {@code scalar} or {@code vector}. */
    public static final String KERNELS_PROPERTY = "simdnorm.kernels";
    /** Forces the vector width in bits: 128, 256 or 512. */
    public static final String BITS_PROPERTY = "simdnorm.vector.bits";
    /** {@code off}: no warm-up; calls run the chosen kernel from the first. */
    public static final String WARM_UP_PROPERTY = "simdnorm.warmup";

    /** How long the warm-up waits after the first call: the scalar kernel's own compilation is over by then. */
    static final long START_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
    /** After this long on one operation the warm-up switches it anyway. */
    private static final long WARM_UP_LIMIT_NANOS = TimeUnit.SECONDS.toNanos(30);
    /**
     * How long the warm-up thread waits for another operation once those asked for are warm, before it ends: longer
     * than the gap between a program's first calls of its operations (a training loop's first backward, say), short
     * enough that a container unloading an application soon after finds no thread of ours. Operations are asked for
     * at most once each, so the thread starts again at most once per operation (and once for {@link #awaitWarm}).
     * Interrupted (a container stopping an application's threads), in its start delay or while it waits, the thread
     * ends as soon as the operations asked for are warm, the choice made.
     */
    static final long IDLE_EXIT_NANOS = TimeUnit.SECONDS.toNanos(2);
    private static final String THREAD_NAME = "simdnorm-warm-up";

    private static final Operation[] OPERATIONS = Operation.values();
    /** The choice recorded first when the choice or the warm-up fails, before its reason is put in words. */
    private static final Selection FAILED = new Selection(ScalarKernel.INSTANCE, 0,
            "scalar: the vector kernel failed (see the warning logged)");

    /** The kernel chosen and why. {@code vectorBits} is 0 for the scalar kernel. */
    public record Selection(Kernel kernel, int vectorBits, String reason) {
    }

    /** Implemented by vector kernels to report their width. */
    public interface VectorWidth {
        /** Bits per vector. */
        int vectorBits();
    }

    private KernelProvider() {
    }

    /** Started at the first use of the library in this JVM. */
    private static final class Started {
        static final ProviderState STATE = start();
    }

    /** The kernel that NHWC normalize calls run now. */
    public static Kernel normalizing() {
        return current(Operation.NORMALIZE);
    }

    /** The kernel that NHWC statistics calls run now. */
    public static Kernel statistics() {
        return current(Operation.STATISTICS);
    }

    /**
     * The kernel that lays a map out over the period: the NHWC normalize calls' kernel, without asking for its warm-up.
     * Either kernel lays out the same floats, and an NCHW caller, whose maps are laid out too (a layer may be called
     * with either layout), should not make the warm-up compile NHWC's loops.
     */
    public static Kernel layingOut() {
        return Started.STATE.normalizing;
    }

    /** The kernel that NCHW normalize calls run now. */
    public static Kernel normalizingNchw() {
        return current(Operation.NORMALIZE_NCHW);
    }

    /** The kernel that NCHW statistics calls (and LayerNorm's rows longer than a double-summed block) run now. */
    public static Kernel statisticsNchw() {
        return current(Operation.STATISTICS_NCHW);
    }

    /** The kernel that the backward passes run now. */
    public static Kernel gradients() {
        return current(Operation.GRADIENTS);
    }

    /** The kernel that the row normalizations (LayerNorm, RMSNorm) run now for their own operations. */
    public static Kernel rows() {
        return current(Operation.ROWS);
    }

    /** The kernel that statistics in double ({@code Precision.DOUBLE}) run now. */
    public static Kernel statisticsInDouble() {
        return current(Operation.STATISTICS_IN_DOUBLE);
    }

    /** What {@code op}'s calls run now; while that is the scalar kernel, lets the warm-up know op is wanted. */
    private static Kernel current(Operation op) {
        ProviderState s = Started.STATE;
        Kernel k = s.active(op);
        if (k == ScalarKernel.INSTANCE) {
            asked(s, op);
        }
        return k;
    }

    /** While an operation runs the scalar kernel: lets the warm-up know it is wanted (cheap once recorded). */
    private static void asked(ProviderState s, Operation op) {
        if ((s.askedMask & (1 << op.ordinal())) == 0) {
            s.ask(op);
        }
    }

    /** The kernel chosen for this JVM and why; waits for the choice, which loads the vector classes (~0.1 s). */
    public static Selection selection() {
        ProviderState s = Started.STATE;
        boolean interrupted = false;
        try {
            synchronized (s) {
                s.urged = true;
                s.notifyAll();
                while (s.selection == null) {
                    interrupted |= !waitOn(s, Long.MAX_VALUE);
                }
                return s.selection;
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The kernel chosen for this JVM, whether or not calls run it yet. */
    public static Kernel kernel() {
        return selection().kernel();
    }

    /** Whether every operation runs the chosen kernel. */
    public static boolean warm() {
        return Started.STATE.allWarm();
    }

    /**
     * Warms up every operation now and waits until each runs the chosen kernel.
     *
     * @param timeoutNanos how long to wait at most
     * @return whether every operation does
     */
    public static boolean awaitWarm(long timeoutNanos) {
        ProviderState s = Started.STATE;
        long deadline = System.nanoTime() + Math.min(timeoutNanos, Long.MAX_VALUE / 4);
        String warning;
        synchronized (s) {
            s.urged = true;
            s.everything = true;
            s.notifyAll();
            warning = resume(s);
        }
        warn(warning);
        synchronized (s) {
            while (!s.allWarm()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                if (!waitOn(s, left)) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return true;
        }
    }

    /** How long the warm-up took from the first use of the library, or −1 while it runs. */
    public static long warmUpNanos() {
        ProviderState s = Started.STATE;
        synchronized (s) {
            return s.warmAfterNanos;
        }
    }

    /**
     * Waits on {@code s}'s monitor (held) for at most {@code nanos}.
     *
     * @return false if interrupted; the interrupt is then consumed, and the caller decides what to keep of it
     */
    private static boolean waitOn(ProviderState s, long nanos) {
        try {
            TimeUnit.NANOSECONDS.timedWait(s, nanos);
            return true;
        } catch (InterruptedException e) {
            return false;
        }
    }

    private static ProviderState start() {
        ProviderState s = new ProviderState();
        try {
            choose(s);
        } catch (Throwable e) {
            // Out of a class initializer, an error would fail every later call with NoClassDefFoundError: the scalar
            // kernel instead (a stack overflow or OutOfMemoryError in the first caller's call, a failing logger).
            failed(s, e, "the kernels' choice failed");
        }
        return s;
    }

    /** The choice, or the warm-up thread that makes it. */
    private static void choose(ProviderState s) {
        String forced = System.getProperty(KERNELS_PROPERTY, "").trim().toLowerCase(Locale.ROOT);
        s.forced = forced;
        if (forced.equals("scalar")) {
            decide(s, scalar("scalar: forced by -D" + KERNELS_PROPERTY + "=scalar"), Level.INFO);
            return;
        }
        if (!forced.isEmpty() && !forced.equals("vector")) {
            log(Level.WARNING, "simdnorm: ignoring -D{0}={1}; expected scalar or vector", KERNELS_PROPERTY, forced);
        }
        String unreadable = VectorClasses.unreadableReason();
        if (unreadable != null) {
            decide(s, scalar(fallbackReason(unreadable, forced)), Level.WARNING);
            return;
        }
        String warmUp = System.getProperty(WARM_UP_PROPERTY, "").trim().toLowerCase(Locale.ROOT);
        if (!warmUp.isEmpty() && !warmUp.equals("off")) {
            log(Level.WARNING, "simdnorm: ignoring -D{0}={1}; expected off", WARM_UP_PROPERTY, warmUp);
        }
        if (warmUp.equals("off")) {
            chooseVector(s, forced, false);
            return;
        }
        Throwable failed = startThread(s, () -> warmUp(s));
        if (failed != null) {
            // No thread for the warm-up (a thread limit, "unable to create native thread"): as without one.
            log(Level.WARNING, "simdnorm: the warm-up thread could not start (" + failed + "); no warm-up");
            chooseVector(s, forced, false);
        }
    }

    /**
     * Starts a warm-up thread running {@code work}, and records it running. Its context class loader is the library's,
     * not the starting caller's, which it would otherwise keep from being unloaded while it runs.
     *
     * @return null, or why no thread could start (a thread limit, "unable to create native thread")
     */
    private static Throwable startThread(ProviderState s, Runnable work) {
        synchronized (s) {
            try {
                Thread t = Thread.ofPlatform().daemon().name(THREAD_NAME).inheritInheritableThreadLocals(false)
                        .unstarted(work);
                t.setContextClassLoader(KernelProvider.class.getClassLoader());
                t.start();
                s.running = true; // the thread takes this lock before it reads the flag
                return null;
            } catch (Throwable e) {
                // A thread limit, "unable to create native thread", a stack overflow in a deep first call.
                return e;
            }
        }
    }

    /**
     * Starts a warm-up thread again where the last one ended idle and an operation now waits for it (guarded by s).
     * Where none can start, every operation not yet warm switches to the vector kernel at once, as when the first
     * thread could not start.
     *
     * @return null, or a warning for the caller to log once it has left the lock
     */
    static String resume(ProviderState s) {
        if (s.running || s.vectorWorkout == null || s.allWarm()) {
            return null;
        }
        Throwable failed = startThread(s, () -> warmOperations(s));
        if (failed == null) {
            return null;
        }
        s.switchCold(s.selection.kernel());
        s.warmAfterNanos = System.nanoTime() - s.started;
        s.vectorWorkout = null;
        s.scalarWorkout = null;
        s.notifyAll();
        return "simdnorm: the warm-up thread could not start again (" + failed
                + "); the vector kernels without warm-up";
    }

    /** Logs {@code warning} as a warning, if not null (outside {@link ProviderState}'s lock). */
    static void warn(String warning) {
        if (warning != null) {
            log(Level.WARNING, warning);
        }
    }

    /** The first warm-up thread: waits out the start delay, chooses, then warms each operation calls ask for. */
    private static void warmUp(ProviderState s) {
        try {
            boolean interrupted = false;
            synchronized (s) {
                while (!interrupted && !s.urged && System.nanoTime() - s.started < START_DELAY_NANOS) {
                    interrupted = !waitOn(s, START_DELAY_NANOS - (System.nanoTime() - s.started));
                }
            }
            KernelWorkout vector = chooseVector(s, s.forced, true);
            if (interrupted) {
                // Kept for next(): this thread warms what calls asked for and ends at its first idle moment. Not
                // before the choice, which callers wait for and no other thread makes.
                Thread.currentThread().interrupt();
            }
            if (vector == null) {
                synchronized (s) {
                    s.running = false;
                }
                return;
            }
            KernelWorkout scalar = new KernelWorkout(ScalarKernel.INSTANCE);
            synchronized (s) {
                s.vectorWorkout = vector;
                s.scalarWorkout = scalar;
            }
        } catch (RuntimeException | Error e) {
            failed(s, e, "the vector kernel failed in its warm-up");
            return;
        }
        warmOperations(s);
    }

    /** A warm-up thread's work once the vector kernel is chosen: warms each operation asked for, then ends. */
    private static void warmOperations(ProviderState s) {
        try {
            KernelWorkout vector;
            KernelWorkout scalar;
            synchronized (s) {
                vector = s.vectorWorkout;
                scalar = s.scalarWorkout;
            }
            Kernel chosen = s.selection.kernel();
            for (Operation op; (op = next(s)) != null; ) {
                if (!WarmUp.warm(op, vector, scalar, System.nanoTime() + WARM_UP_LIMIT_NANOS)) {
                    log(Level.DEBUG, "simdnorm: {0} not found compiled in {1} s; switching anyway", op,
                            TimeUnit.NANOSECONDS.toSeconds(WARM_UP_LIMIT_NANOS));
                }
                s.use(op, chosen);
                synchronized (s) {
                    s.warm[op.ordinal()] = true;
                    if (s.allWarm()) {
                        s.warmAfterNanos = System.nanoTime() - s.started;
                    }
                    s.notifyAll();
                }
                log(Level.DEBUG, "simdnorm: {0} runs the {1} kernel after {2} ms", op, chosen.name(),
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - s.started));
            }
        } catch (RuntimeException | Error e) {
            failed(s, e, "the vector kernel failed in its warm-up");
        }
    }

    /**
     * Ends a warm-up that threw. It is only about speed: never leave a caller waiting, and say why it ended. Whatever
     * failed may fail in a caller's call too, so every operation goes (back) to the scalar kernel, with the same bits.
     */
    private static void failed(ProviderState s, Throwable e, String what) {
        // The state first, with a reason made in advance: building the detailed one (or logging it) may throw too, an
        // OutOfMemoryError say, and must not leave the thread recorded running, or callers waiting for a choice.
        synchronized (s) {
            s.selection = FAILED;
            for (Operation op : OPERATIONS) {
                s.use(op, ScalarKernel.INSTANCE);
                s.warm[op.ordinal()] = true;
            }
            s.warmAfterNanos = System.nanoTime() - s.started;
            s.running = false;
            s.vectorWorkout = null;
            s.scalarWorkout = null;
            s.notifyAll();
        }
        try {
            String reason = what + " (" + rootCause(e) + ")";
            Selection detailed = scalar(fallbackReason(reason, s.forced));
            synchronized (s) {
                s.selection = detailed; // the same kernel, a fuller reason
            }
            log(Level.WARNING, "simdnorm: " + reason);
        } catch (RuntimeException | Error again) {
            // FAILED's reason stays.
        }
    }

    /**
     * The next operation to warm: the first asked for, or any when all were asked for; waits for one. Null when the
     * thread is to end: every operation is warm, or every one asked for is and no other was asked for within
     * {@link #IDLE_EXIT_NANOS}. The thread is recorded ended in the same lock, so an operation asked for after
     * that starts another ({@link #resume}).
     */
    private static Operation next(ProviderState s) {
        synchronized (s) {
            long idleSince = System.nanoTime();
            // Interrupted in the start delay (warmUp) or in a wait below: kept set, as next() runs once per operation.
            boolean interrupted = Thread.currentThread().isInterrupted();
            while (true) {
                for (int i = 0; i < s.askedCount; i++) {
                    if (!s.warm[s.asked[i].ordinal()]) {
                        return s.asked[i];
                    }
                }
                if (s.everything || s.allWarm()) {
                    for (Operation op : OPERATIONS) {
                        if (!s.warm[op.ordinal()]) {
                            return op;
                        }
                    }
                    return ended(s);
                }
                long left = IDLE_EXIT_NANOS - (System.nanoTime() - idleSince);
                if (left <= 0 || interrupted) {
                    return ended(s);
                }
                // Interrupted (a container stopping leftover threads): end once what was asked for is warm; ending
                // at once could leave an operation asked for as the wait ended without a thread to warm it.
                if (!waitOn(s, left)) {
                    interrupted = true;
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    /** Records the thread ended (guarded by s); once every operation is warm, none will start again: no workouts. */
    private static Operation ended(ProviderState s) {
        s.running = false;
        if (s.allWarm()) {
            s.vectorWorkout = null;
            s.scalarWorkout = null;
        }
        return null;
    }

    /**
     * Loads the vector kernel if C2 is on and records the choice: with a warm-up, returns the vector kernel's workout;
     * without, switches every operation at once. Returns null when the choice is the scalar kernel.
     */
    private static KernelWorkout chooseVector(ProviderState s, String forced, boolean warmUp) {
        String c2 = CompilerCheck.c2OffReason();
        if (c2 != null) {
            decide(s, scalar(fallbackReason(c2 + "; the Vector API is only fast when C2 compiles it", forced)),
                    Level.WARNING);
            return null;
        }
        KernelWorkout workout;
        Selection selection;
        try {
            selection = VectorClasses.kernel();
            workout = warmUp ? VectorClasses.workout() : null;
        } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
            decide(s, scalar(fallbackReason("the vector kernel failed to load (" + rootCause(e) + ")", forced)),
                    Level.WARNING);
            return null;
        }
        if (!warmUp) {
            decide(s, selection, Level.INFO);
            return null;
        }
        synchronized (s) {
            s.selection = selection;
            s.notifyAll();
        }
        log(Level.INFO, "simdnorm kernels: {0}; scalar until it is compiled", selection.reason());
        return workout;
    }

    /** Records a choice that needs no warm-up: every operation runs it from now on. */
    private static void decide(ProviderState s, Selection selection, Level level) {
        synchronized (s) {
            s.switchCold(selection.kernel()); // nothing is warm before the choice
            s.selection = selection;
            s.warmAfterNanos = 0;
            s.notifyAll();
        }
        log(level, "simdnorm kernels: {0}", selection.reason());
    }

    private static String fallbackReason(String unavailable, String forced) {
        String reason = "scalar: " + unavailable;
        if (forced.equals("vector")) {
            reason += " (-D" + KERNELS_PROPERTY + "=vector was requested and cannot be honoured)";
        }
        return reason;
    }

    /** The innermost cause: reflection and class initialisation wrap the exception that says what went wrong. */
    private static Throwable rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }

    private static Selection scalar(String reason) {
        return new Selection(ScalarKernel.INSTANCE, 0, reason);
    }
}
