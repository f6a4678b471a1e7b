package dev.simdnorm;

import dev.simdnorm.internal.KernelProvider;

import java.time.Duration;

/**
 * Which kernels this JVM runs, and why. Decided once, at first use, and logged once through {@link System.Logger}
 * (logger {@code dev.simdnorm}).
 *
 * <p>Set {@code -Dsimdnorm.kernels=scalar} or {@code =vector} to force a choice. The vector kernels need
 * {@code --add-modules jdk.incubator.vector} and C2; without them the scalar kernels run and {@link #reason()} says
 * what to change.
 *
 * <p><b>Warm-up.</b> Vector code is slow until C2 has compiled it (about a hundred times slower than plain Java in its
 * first second), so where the vector kernels are chosen, calls run the scalar kernels, which give the same bits,
 * while a background thread exercises the vector kernels on private buffers; each operation (normalize, statistics,
 * the backward passes, the row normalizations' own steps) switches as soon as its vector code is compiled, in the
 * order calls first ask for them: in an idle JVM on a two-core machine, normalize after about 0.6–2.4 s, statistics
 * after 1.7–3.8 s, every kernel after 4–7 s, depending on the day; longer while the caller's own work competes for
 * the cores (README, "Cold start and warm-up"). {@link #warmUp(Duration)} waits for that, for servers that warm up
 * before taking traffic; {@code -Dsimdnorm.warmup=off} runs the vector kernels from the first call instead. The thread
 * ({@code simdnorm-warm-up}, a daemon) ends once every operation is switched, or once those called so far are and
 * no other is called within 2 s; the first call of another operation starts it again. So a container that unloads
 * an application finds no thread of simdnorm left running soon after its last first call.
 *
 * <p><b>Thread safety.</b> A record, immutable; its static methods may be called from any thread, {@link #warmUp}
 * from several at once (each waits for the same warm-up).
 *
 * @param name       {@code "scalar"} or {@code "vector"}: the kernels chosen
 * @param vectorBits the float species width in bits, or 0 for the scalar kernels
 * @param reason     a one-line explanation, e.g. {@code "scalar: jdk.incubator.vector is not readable; ..."}
 */
public record KernelSelection(String name, int vectorBits, String reason) {

    /**
     * The kernels chosen in this JVM. The first call after start-up may wait about 0.1 s while the vector classes
     * load.
     *
     * @return the selection, the same for every call, unless the vector kernels fail in their warm-up: the scalar
     *         kernels then serve every call, and the selection says why
     */
    public static KernelSelection active() {
        KernelProvider.Selection s = KernelProvider.selection();
        return new KernelSelection(s.kernel().name(), s.vectorBits(), s.reason());
    }

    /**
     * Waits until every operation runs the chosen kernels: at once for the scalar kernels, after the warm-up for the
     * vector kernels. Starts the warm-up if nothing has used the library yet. An operation that the warm-up does not
     * find compiled within 30 s (a JIT that is slow on a loaded machine, or one that does not compile the Vector API
     * at all) switches to the vector kernels anyway; there are seven operations, so on such a JVM the whole warm-up
     * can take several times that. Interrupted, it returns false with the interrupt status set.
     *
     * @param timeout how long to wait at most
     * @return whether every operation runs the chosen kernels
     * @throws NullPointerException if {@code timeout} is null
     */
    public static boolean warmUp(Duration timeout) {
        Check.notNull(timeout, "timeout");
        return KernelProvider.awaitWarm(timeout.isNegative() ? 0 : saturatedNanos(timeout));
    }

    /**
     * Whether every operation runs the chosen kernels now.
     *
     * @return true once every operation is switched (the warm-up thread switches those called so far, and all of
     *         them after {@link #warmUp}), or at once for the scalar kernels
     */
    public static boolean warm() {
        return KernelProvider.warm();
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public String toString() {
        return reason;
    }
}
