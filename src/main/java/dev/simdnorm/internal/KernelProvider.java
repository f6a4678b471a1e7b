package dev.simdnorm.internal;

import java.lang.System.Logger.Level;
import java.util.Locale;
import java.util.Optional;

/**
 * Chooses the kernel once per JVM, Lucene-style: the Vector API kernel only when {@code jdk.incubator.vector} is
 * readable, C2 is on and the species is at least 128 bits wide; otherwise the scalar kernel, with one actionable
 * warning. The vector implementation is loaded by name only after those checks pass, so a missing module can never
 * surface as {@link NoClassDefFoundError}.
 *
 * <p>System properties: {@code simdnorm.kernels=scalar|vector} forces a choice; {@code simdnorm.vector.bits=128|256|512}
 * forces the vector width (for tests; wider than the hardware runs correctly but emulated and slow).
 */
public final class KernelProvider {

    /** Forces the kernel: {@code scalar} or {@code vector}. */
    public static final String KERNELS_PROPERTY = "simdnorm.kernels";
    /** Forces the vector width in bits: 128, 256 or 512. */
    public static final String BITS_PROPERTY = "simdnorm.vector.bits";

    private static final String VECTOR_MODULE = "jdk.incubator.vector";
    private static final String VECTOR_KERNEL_CLASS = "dev.simdnorm.internal.VectorKernel";
    private static final System.Logger LOG = System.getLogger("dev.simdnorm");

    /** The kernel in use and why it was chosen. {@code vectorBits} is 0 for the scalar kernel. */
    public record Selection(Kernel kernel, int vectorBits, String reason) {
    }

    private KernelProvider() {
    }

    /** The kernel chosen for this JVM; decided at the first call. */
    public static Selection selection() {
        return Holder.SELECTION;
    }

    /** The kernel chosen for this JVM. */
    public static Kernel kernel() {
        return Holder.SELECTION.kernel();
    }

    private static final class Holder {
        static final Selection SELECTION = choose();
    }

    private static Selection choose() {
        String forced = System.getProperty(KERNELS_PROPERTY, "").trim().toLowerCase(Locale.ROOT);
        if (forced.equals("scalar")) {
            Selection s = scalar("scalar: forced by -D" + KERNELS_PROPERTY + "=scalar");
            LOG.log(Level.INFO, "simdnorm kernels: {0}", s.reason());
            return s;
        }
        if (!forced.isEmpty() && !forced.equals("vector")) {
            LOG.log(Level.WARNING, "simdnorm: ignoring -D{0}={1}; expected scalar or vector", KERNELS_PROPERTY, forced);
        }
        String unavailable = vectorUnavailableReason();
        if (unavailable == null) {
            try {
                Selection s = loadVector();
                LOG.log(Level.INFO, "simdnorm kernels: {0}", s.reason());
                return s;
            } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                unavailable = "the vector kernel failed to load (" + rootCause(e) + ")";
            }
        }
        String reason = "scalar: " + unavailable;
        if (forced.equals("vector")) {
            reason += " (-D" + KERNELS_PROPERTY + "=vector was requested and cannot be honoured)";
        }
        LOG.log(Level.WARNING, "simdnorm kernels: {0}", reason);
        return scalar(reason);
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

    /** Returns null when the vector kernel may be tried, else why not, with what to do about it. */
    private static String vectorUnavailableReason() {
        Module self = KernelProvider.class.getModule();
        ModuleLayer layer = self.getLayer() != null ? self.getLayer() : ModuleLayer.boot();
        Optional<Module> vector = layer.findModule(VECTOR_MODULE);
        if (vector.isEmpty() || !self.canRead(vector.get())) {
            return VECTOR_MODULE + " is not readable; run java with --add-modules " + VECTOR_MODULE
                    + " to enable the Vector API kernels";
        }
        String c2 = CompilerCheck.c2OffReason();
        if (c2 != null) {
            return c2 + "; the Vector API is only fast when C2 compiles it";
        }
        return null;
    }

    private static Selection loadVector() throws ReflectiveOperationException {
        String forced = System.getProperty(BITS_PROPERTY);
        Integer bits = null;
        if (forced != null) {
            try {
                bits = Integer.valueOf(forced.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("-D" + BITS_PROPERTY + " must be 128, 256 or 512, got " + forced);
            }
        }
        Class<?> cls = Class.forName(VECTOR_KERNEL_CLASS);
        Kernel k = (Kernel) cls.getMethod("create", Integer.class).invoke(null, bits);
        int width = ((VectorWidth) k).vectorBits();
        if (width < 128) {
            throw new IllegalStateException("the preferred float species is " + width + " bits, below 128");
        }
        String how = bits != null ? "forced by -D" + BITS_PROPERTY + "=" + bits : "preferred species";
        return new Selection(k, width, "vector: " + width + "-bit float species (" + how + ")");
    }

    /** Implemented by vector kernels to report their width. */
    public interface VectorWidth {
        /** Bits per vector. */
        int vectorBits();
    }
}
