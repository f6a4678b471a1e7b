package dev.simdnorm.jmh;

import dev.simdnorm.internal.Kernel;
import dev.simdnorm.internal.ScalarKernel;

/** Kernels by name, so that one run can measure each of them against the same ceiling. */
final class Kernels {

    private Kernels() {
    }

    static Kernel named(String name) {
        return switch (name) {
            case "scalar" -> ScalarKernel.INSTANCE;
            default -> throw new IllegalArgumentException("unknown kernel " + name);
        };
    }
}
