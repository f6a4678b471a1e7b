package dev.simdnorm.internal;

import java.util.Optional;

/**
 * The one place that names the vector implementation: whether its module is readable, and its kernel and workout,
 * loaded by name only after {@link KernelProvider}'s checks pass, so that a missing module can never surface as
 * {@link NoClassDefFoundError} from a class that merely refers to them.
 */
final class VectorClasses {

    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String VECTOR_PACKAGE = "dev.simdnorm.internal.vector.";

    private VectorClasses() {
    }

    /** Null when the Vector API module is readable, else why not, with what to do about it. */
    static String unreadableReason() {
        Module self = VectorClasses.class.getModule();
        ModuleLayer layer = self.getLayer() != null ? self.getLayer() : ModuleLayer.boot();
        Optional<Module> vector = layer.findModule(VECTOR_MODULE);
        if (vector.isEmpty() || !self.canRead(vector.get())) {
            return VECTOR_MODULE + " is not readable; run java with --add-modules " + VECTOR_MODULE
                    + " to enable the Vector API kernels (the scalar ones are 2 to 80 times slower, by shape)";
        }
        return null;
    }

    /** The vector kernel, at the width {@code -Dsimdnorm.vector.bits} forces or the preferred one, and why. */
    static KernelProvider.Selection kernel() throws ReflectiveOperationException {
        String property = KernelProvider.BITS_PROPERTY;
        String forced = System.getProperty(property);
        Integer bits = null;
        if (forced != null) {
            try {
                bits = Integer.valueOf(forced.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("-D" + property + " must be 128, 256 or 512, got " + forced);
            }
        }
        Class<?> cls = Class.forName(VECTOR_PACKAGE + "VectorKernel");
        Kernel k = (Kernel) cls.getMethod("create", Integer.class).invoke(null, bits);
        int width = ((KernelProvider.VectorWidth) k).vectorBits(); // ≥ 128: Lanes refuses a narrower preferred species
        String how = bits != null ? "forced by -D" + property + "=" + bits : "preferred species";
        return new KernelProvider.Selection(k, width, "vector: " + width + "-bit float species (" + how + ")");
    }

    /** The vector kernel's warm-up workout. */
    static KernelWorkout workout() throws ReflectiveOperationException {
        return (KernelWorkout) Class.forName(VECTOR_PACKAGE + "VectorWorkout").getConstructor().newInstance();
    }
}
