package dev.simdnorm.internal;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which VM settings leave C2 off, and so the vector kernels slower than the scalar ones for good. */
class CompilerCheckTest {

    /** HotSpot's defaults, with the given options changed; an option not in the map is unknown to the VM. */
    private static Function<String, String> options(String... changes) {
        Map<String, String> m = new HashMap<>(Map.of("UseCompiler", "true", "TieredCompilation", "true",
                "TieredStopAtLevel", "4", "CompilationMode", "default"));
        for (int i = 0; i < changes.length; i += 2) {
            m.put(changes[i], changes[i + 1]);
        }
        return name -> {
            String v = m.get(name);
            if (v == null) {
                throw new IllegalArgumentException("VM option " + name + " not found"); // as getVMOption does
            }
            return v;
        };
    }

    @Test
    void c2IsOnByDefaultAndInThisJvm() {
        assertNull(CompilerCheck.c2OffReason("mixed mode, sharing", options()));
        assertNull(CompilerCheck.c2OffReason("mixed mode", options("CompilationMode", "high-only")));
        assertNull(CompilerCheck.c2OffReason("mixed mode", options("TieredCompilation", "false",
                "TieredStopAtLevel", "1"))); // without tiers the level is not read: C2 alone
        assertNull(CompilerCheck.c2OffReason("mixed mode", null), "options unreadable: assumed on");
        assertNull(CompilerCheck.c2OffReason(), "the test JVM runs C2");
    }

    @Test
    void settingsWithoutC2AreFound() {
        assertNotNull(CompilerCheck.c2OffReason("interpreted mode, sharing", options()));
        assertNotNull(CompilerCheck.c2OffReason("mixed mode", options("UseCompiler", "false")));
        String quick = CompilerCheck.c2OffReason("mixed mode", options("CompilationMode", "quick-only"));
        assertTrue(quick != null && quick.contains("quick-only"), String.valueOf(quick));
        String level = CompilerCheck.c2OffReason("mixed mode", options("TieredStopAtLevel", "1"));
        assertTrue(level != null && level.contains("TieredStopAtLevel=1"), String.valueOf(level));
        // An older VM without CompilationMode still has its other options read.
        Function<String, String> old = name -> {
            if (name.equals("CompilationMode")) {
                throw new IllegalArgumentException("VM option " + name + " not found");
            }
            return options("TieredStopAtLevel", "3").apply(name);
        };
        assertNotNull(CompilerCheck.c2OffReason("mixed mode", old));
    }
}
