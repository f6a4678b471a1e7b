package dev.simdnorm;

import dev.simdnorm.internal.KernelProvider;

/**
 * Which kernels this JVM runs, and why. Decided once, at first use, and logged once through {@link System.Logger}
 * (logger {@code dev.simdnorm}).
 *
 * <p>Set {@code -Dsimdnorm.kernels=scalar} or {@code =vector} to force a choice. The vector kernels need
 * {@code --add-modules jdk.incubator.vector} and C2; without them the scalar kernels run and {@link #reason()} says
 * what to change.
 *
 * @param name       {@code "scalar"} or {@code "vector"}
 * @param vectorBits the float species width in bits, or 0 for the scalar kernels
 * @param reason     a one-line explanation, e.g. {@code "scalar: jdk.incubator.vector is not readable; ..."}
 */
public record KernelSelection(String name, int vectorBits, String reason) {

    /**
     * The kernels in use in this JVM.
     *
     * @return the selection, the same for every call
     */
    public static KernelSelection active() {
        KernelProvider.Selection s = KernelProvider.selection();
        return new KernelSelection(s.kernel().name(), s.vectorBits(), s.reason());
    }

    @Override
    public String toString() {
        return reason;
    }
}
