package dev.simdnorm.internal;

import java.lang.management.ManagementFactory;
import java.util.function.Function;

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
        try {
            var bean = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return c2OffReason(info, bean == null ? null : name -> bean.getVMOption(name).getValue());
        } catch (LinkageError | RuntimeException e) {
            return c2OffReason(info, null); // jdk.management absent: the options cannot be read
        }
    }

    /**
     * The decision from {@code java.vm.info} and the VM's options.
     *
     * @param option a VM option's value by name, or null where they cannot be read (C2 is then assumed on); an option
     *               it does not know (an older or another VM) counts as unset
     */
    static String c2OffReason(String vmInfo, Function<String, String> option) {
        if (vmInfo.contains("interpreted mode")) {
            return "the JVM runs interpreted (-Xint)";
        }
        if (option == null) {
            return null;
        }
        if ("false".equals(value(option, "UseCompiler"))) {
            return "the JIT compiler is off (-XX:-UseCompiler)";
        }
        if ("quick-only".equals(value(option, "CompilationMode"))) {
            return "C2 is off (-XX:CompilationMode=quick-only)";
        }
        String level = value(option, "TieredStopAtLevel");
        if ("true".equals(value(option, "TieredCompilation")) && level != null && Integer.parseInt(level) < 4) {
            return "C2 is off (-XX:TieredStopAtLevel=" + level + ")";
        }
        return null;
    }

    private static String value(Function<String, String> option, String name) {
        try {
            return option.apply(name);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
