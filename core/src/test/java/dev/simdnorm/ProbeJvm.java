package dev.simdnorm;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs a probe, a Java source file with a {@code Probe} class, in a fresh JVM with the test's class path and the
 * vector module, for what a JVM decides once (the kernels' choice, the warm-up thread's life). The source launcher
 * exits with 0 only where {@code main} returned, so a probe checks its steps with {@code AssertionError}s.
 */
final class ProbeJvm {

    private ProbeJvm() {
    }

    /**
     * Asserts that the probe ends with 0 within 10 minutes; its output is in the failure message.
     *
     * @param dir        a directory of the test's own ({@code @TempDir}), which JUnit deletes after it
     * @param source     the probe's source
     * @param jvmOptions options before the class path, e.g. a system property
     * @param args       the probe's arguments
     */
    static void assertSucceeds(Path dir, String source, List<String> jvmOptions, String... args)
            throws IOException, InterruptedException {
        Path file = Files.writeString(dir.resolve("Probe.java"), source);
        Path log = dir.resolve("probe.log");
        String path = String.join(File.pathSeparator, System.getProperty("jdk.module.path", ""),
                System.getProperty("java.class.path", ""));
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(),
                "--add-modules", "jdk.incubator.vector"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", path, file.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(process.waitFor(10, TimeUnit.MINUTES), "the probe JVM did not end");
        assertEquals(0, process.exitValue(), "the probe failed:\n" + Files.readString(log, StandardCharsets.UTF_8));
    }
}
