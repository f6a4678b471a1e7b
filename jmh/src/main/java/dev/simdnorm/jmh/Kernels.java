package dev.simdnorm.jmh;

import dev.simdnorm.internal.Kernel;
import dev.simdnorm.internal.KernelProvider;
import dev.simdnorm.internal.ScalarKernel;

/** Kernels by name, so that one run can measure each of them against the same ceiling. */
final class Kernels {

    private Kernels() {
    }

    static Kernel named(String name) {
        return switch (name) {
            case "scalar" -> ScalarKernel.INSTANCE;
            case "vector" -> {
                Kernel k = KernelProvider.kernel();
                if (!k.name().equals("vector")) {
                    throw new IllegalStateException("vector kernel unavailable: "
                            + KernelProvider.selection().reason());
                }
                yield k;
            }
            default -> throw new IllegalArgumentException("unknown kernel " + name);
        };
    }
}
