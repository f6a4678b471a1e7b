package dev.simdnorm.internal;

import java.lang.management.ManagementFactory;

/**
 * Asks HotSpot whether C2 will compile hot code. Kept apart so that a runtime without {@code jdk.management} only
 * costs the check (it then assumes C2 is on), never a {@link NoClassDefFoundError} elsewhere.
 */
final class CompilerCheck {

    private CompilerCheck() {
    }

    /** Null when C2 is (or may be) on; otherwise why it is not. */
    static String c2OffReason() {
        String info = System.getProperty("java.vm.info", "");
        if (info.contains("interpreted mode")) {
            return "the JVM runs interpreted (-Xint)";
        }
        try {
            var bean = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            if (bean == null) {
                return null;
            }
            if ("false".equals(bean.getVMOption("UseCompiler").getValue())) {
                return "the JIT compiler is off (-XX:-UseCompiler)";
            }
            if ("true".equals(bean.getVMOption("TieredCompilation").getValue())) {
                int level = Integer.parseInt(bean.getVMOption("TieredStopAtLevel").getValue());
                if (level < 4) {
                    return "C2 is off (-XX:TieredStopAtLevel=" + level + ")";
                }
            }
            return null;
        } catch (LinkageError | RuntimeException e) {
            return null; // jdk.management absent or option unknown: assume C2 is on.
        }
    }
}
