package dev.simdnorm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The kernel choice is reported. Surefire executions set {@code simdnorm.expect.kernel} (and, for the run without
 * {@code --add-modules}, {@code simdnorm.expect.reason}) so that each execution proves it ran what it meant to.
 */
class KernelSelectionTest {

    @Test
    void reportsTheActiveKernelAndWhy() {
        KernelSelection k = KernelSelection.active();
        assertTrue(k.name().equals("scalar") || k.name().equals("vector"), k.name());
        assertTrue(k.reason().startsWith(k.name() + ":"), k.reason());
        assertEquals(k.name().equals("vector"), k.vectorBits() >= 128, k.toString());
        String expected = System.getProperty("simdnorm.expect.kernel");
        if (expected != null) {
            assertEquals(expected, k.name(), "this execution must run the " + expected + " kernels: " + k);
        }
        String reason = System.getProperty("simdnorm.expect.reason");
        if (reason != null) {
            assertTrue(k.reason().contains(reason), "reason should say '" + reason + "': " + k.reason());
        }
        String bits = System.getProperty("simdnorm.vector.bits");
        if (bits != null && k.name().equals("vector")) {
            assertEquals(Integer.parseInt(bits), k.vectorBits(), k.toString());
        }
        assertEquals(k.name(), dev.simdnorm.internal.KernelProvider.kernel().name(), "the report names the kernel in use");
    }
}
