package dev.simdnorm.internal;

import dev.simdnorm.internal.KernelWorkout.Operation;
import org.junit.jupiter.api.Test;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@link WarmUp} decides: an operation whose vector code is still slower than the test allows at the deadline
 * keeps the scalar kernel (vector code compiled into a slow form would otherwise be slower for good), and one that
 * passes keeps the switch. The "vector" side here is the scalar kernel itself, or the scalar kernel made slower,
 * so that the verdicts do not depend on the JIT.
 */
class WarmUpVerdictTest {

    /** Each call of the slow kernel waits this long first: far above the test's 2× the scalar call plus 1 µs. */
    private static final long DELAY_NANOS = 200_000;

    @Test
    void aRoundPassesInTotalWithinTwiceTheScalarTimesPlusOneMicrosecondACall() {
        long[] bestScalar = {1_000, 3_000};
        long allowed = 2 * (1_000 + 3_000) + 2 * 1_000; // the per-call test's bounds, summed
        assertTrue(WarmUp.passesInTotal(allowed, bestScalar));
        assertFalse(WarmUp.passesInTotal(allowed + 1, bestScalar));
        assertFalse(WarmUp.passesInTotal(-1, bestScalar), "no whole round: nothing measured, nothing passed");
    }

    @Test
    void slowerVectorCodeAtTheDeadlineKeepsTheScalarKernel() {
        KernelWorkout scalar = new KernelWorkout(ScalarKernel.INSTANCE);
        KernelWorkout slow = new KernelWorkout(slowed(ScalarKernel.INSTANCE));
        long deadline = System.nanoTime() + 300_000_000L;
        assertEquals(WarmUp.Verdict.SLOWER, WarmUp.warm(Operation.NORMALIZE, slow, scalar, deadline));
    }

    @Test
    void aDeadlineBeforeAnyRoundKeepsTheScalarKernel() {
        KernelWorkout scalar = new KernelWorkout(ScalarKernel.INSTANCE);
        assertEquals(WarmUp.Verdict.SLOWER,
                WarmUp.warm(Operation.NORMALIZE, scalar, scalar, System.nanoTime() - 1));
    }

    @Test
    void codeAsFastAsTheScalarKernelPasses() {
        KernelWorkout scalar = new KernelWorkout(ScalarKernel.INSTANCE);
        KernelWorkout same = new KernelWorkout(ScalarKernel.INSTANCE);
        // Three passing rounds in a row (COMPILED), or, on a machine too loaded for that within the minute, the last
        // round's totals (PASSED_IN_TOTAL): never SLOWER for code as fast as the yardstick.
        WarmUp.Verdict v = WarmUp.warm(Operation.NORMALIZE, same, scalar, System.nanoTime() + 60_000_000_000L);
        assertTrue(v != WarmUp.Verdict.SLOWER, v.toString());
    }

    /** The kernel's every call, after a busy wait of {@link #DELAY_NANOS}. */
    private static Kernel slowed(Kernel kernel) {
        return (Kernel) Proxy.newProxyInstance(Kernel.class.getClassLoader(), new Class<?>[] {Kernel.class},
                (proxy, method, args) -> {
                    long until = System.nanoTime() + DELAY_NANOS;
                    while (System.nanoTime() - until < 0) {
                        Thread.onSpinWait();
                    }
                    try {
                        return method.invoke(kernel, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
