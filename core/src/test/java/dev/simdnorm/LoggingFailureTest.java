package dev.simdnorm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A log handler that throws an {@link Error} on every record (a stack overflow, say) must not fail the library: not
 * the kernels' choice, which logs from a class initializer on the first caller's thread (an error escaping it would
 * fail every later call with {@code NoClassDefFoundError}), and not the warm-up, which logs when it chooses (an error
 * there sent every operation back to the scalar kernels for the JVM's life). A fresh JVM each, since the choice is
 * made once per JVM: the probe exits with 0 only where its calls ran and the kernels it expects were chosen. Once per
 * build, where the vector kernels are expected.
 */
@EnabledIfSystemProperty(named = "simdnorm.expect.kernel", matches = "vector")
@DisabledIfSystemProperty(named = "simdnorm.vector.bits", matches = ".+")
@DisabledIfSystemProperty(named = "simdnorm.warmup", matches = "off")
class LoggingFailureTest {

    private static final String PROBE = """
            import dev.simdnorm.*;
            import java.time.Duration;
            import java.util.logging.*;
            public class Probe {
                static final Logger JUL = Logger.getLogger("dev.simdnorm"); // held: JUL keeps loggers weakly
                public static void main(String[] args) {
                    JUL.setUseParentHandlers(false);
                    JUL.addHandler(new Handler() {
                        @Override public void publish(LogRecord r) { throw new StackOverflowError("a log handler"); }
                        @Override public void flush() { }
                        @Override public void close() { }
                    });
                    float[] x = new float[64 * 16];
                    for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
                    float[] y = new float[x.length];
                    BatchNorm bn = BatchNorm.builder(16).build();
                    bn.inference(x, 0, y, 0, 64); // the first use: the choice, whose log record throws
                    bn.inference(x, 0, y, 0, 64);
                    Moments.of(x, 0, 64, 16);
                    if (!KernelSelection.warmUp(Duration.ofSeconds(240))) throw new AssertionError("not warm in 240 s");
                    KernelSelection k = KernelSelection.active();
                    if (!k.name().equals(args[0])) throw new AssertionError("kernels " + k.name() + ": " + k.reason());
                    System.out.println("ok: " + k.reason());
                }
            }
            """;

    @Test
    void theScalarChoiceInTheClassInitializerSurvivesAThrowingHandler(@TempDir Path dir)
            throws IOException, InterruptedException {
        ProbeJvm.assertSucceeds(dir, PROBE, List.of("-Dsimdnorm.kernels=scalar"), "scalar");
    }

    @Test
    void theWarmUpSurvivesAThrowingHandler(@TempDir Path dir) throws IOException, InterruptedException {
        ProbeJvm.assertSucceeds(dir, PROBE, List.of("-Dsimdnorm.kernels=vector"), "vector");
    }
}
