package dev.simdnorm;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The allocation test's diagnosis names the method that allocates, so that a failure in CI says where to look. */
class AllocationSitesTest {

    private static volatile Object sink;

    @Test
    void namesTheAllocatingMethod() {
        assumeTrue(ModuleLayer.boot().findModule("jdk.jfr").isPresent(), "no JFR in this runtime");
        String where = AllocationSites.of(AllocationSitesTest::allocate, 20_000);
        assertTrue(where.contains("AllocationSitesTest.allocate"), where);
        assertTrue(where.contains("[F at"), where); // JFR names array classes by descriptor
    }

    private static void allocate() {
        sink = new float[256];
    }
}
