package dev.simdnorm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every method of the library compiles at every tier of the JIT. A method C1 gives up on ("out of virtual registers
 * in linear scan", as a kernel holding four rows' vectors did) goes to C2 with only the interpreter's profile, and
 * C2's code then ran at full speed in some JVMs and 2.5 times slower in others. A fresh JVM, since the tests before
 * this one have compiled most methods already: it warms up and calls the public API, with
 * {@code -XX:+PrintCompilation}, and no line of ours may say {@code COMPILE SKIPPED}. Once per build, on the vector
 * kernels as users get them.
 */
@EnabledIfSystemProperty(named = "simdnorm.expect.kernel", matches = "vector")
@DisabledIfSystemProperty(named = "simdnorm.vector.bits", matches = ".+")
class CompilationTest {

    private static final String PROBE = """
            import dev.simdnorm.*;
            import java.time.Duration;
            public class Probe {
                public static void main(String[] args) {
                    if (!KernelSelection.warmUp(Duration.ofSeconds(120))) throw new AssertionError("not warm");
                    float[] x = new float[4096 * 8];
                    for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i) + 3;
                    float[] y = new float[x.length];
                    for (int size : new int[] {64, 768, 4096}) {
                        LayerNorm ln = LayerNorm.builder(size).build();
                        RmsNorm rms = RmsNorm.builder(size).build();
                        for (int i = 0; i < 20_000; i++) {
                            ln.apply(x, 0, y, 0, x.length / size);
                            rms.apply(x, 0, y, 0, x.length / size);
                        }
                    }
                }
            }
            """;

    @Test
    void everyMethodCompilesAtEveryTier(@TempDir Path dir) throws IOException, InterruptedException {
        Path source = Files.writeString(dir.resolve("Probe.java"), PROBE);
        String path = String.join(File.pathSeparator, System.getProperty("jdk.module.path", ""),
                System.getProperty("java.class.path", ""));
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process process = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector",
                "-XX:+PrintCompilation", "-cp", path, source.toString())
                .redirectErrorStream(true).start();
        List<String> skipped = new ArrayList<>();
        int compiled = 0;
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                compiled += line.contains("dev.simdnorm.") && line.contains("::") ? 1 : 0; // a method's compile line
                if (line.contains("dev.simdnorm") && line.contains("COMPILE SKIPPED")) {
                    skipped.add(line.strip());
                }
            }
        }
        assertTrue(process.waitFor(5, TimeUnit.MINUTES), "the probe JVM did not end");
        // The source launcher exits with 0 only where main returned: warm, and every call made.
        assertEquals(0, process.exitValue(), "the probe JVM failed");
        // The log was read: the library's methods were compiled and printed (with no line the check would pass).
        assertTrue(compiled > 0, "no compilation of dev.simdnorm in the probe's log");
        assertEquals(List.of(), skipped, "methods the JIT gave up on");
    }
}
