package dev.simdnorm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The warm-up thread ends when its work is done and starts again for an operation first called later, and it never
 * holds the caller's context class loader: a container that unloads an application must not find it running (or
 * pinning the application's loader). A fresh JVM, since the provider's state is per JVM and the tests before have
 * warmed it: the probe steps through the thread's life and exits with 0 only where every step held. Once per build, on
 * the vector kernels with their warm-up as users get them. A second probe interrupts the thread in its start delay:
 * it must still make the choice, warm what was asked for and end.
 */
@EnabledIfSystemProperty(named = "simdnorm.expect.kernel", matches = "vector")
@DisabledIfSystemProperty(named = "simdnorm.vector.bits", matches = ".+")
@DisabledIfSystemProperty(named = "simdnorm.warmup", matches = "off")
class WarmUpThreadTest {

    private static final String PROBE = """
            import dev.simdnorm.*;
            import dev.simdnorm.internal.KernelProvider;
            import java.net.URL;
            import java.net.URLClassLoader;
            import java.util.Optional;
            import java.util.function.BooleanSupplier;
            public class Probe {
                static Optional<Thread> warmUpThread() {
                    return Thread.getAllStackTraces().keySet().stream()
                            .filter(t -> t.getName().equals("simdnorm-warm-up")).findFirst();
                }
                static void await(String what, BooleanSupplier done) throws InterruptedException {
                    long deadline = System.nanoTime() + 120_000_000_000L;
                    while (!done.getAsBoolean()) {
                        if (System.nanoTime() - deadline > 0) throw new AssertionError("not within 120 s: " + what);
                        Thread.sleep(10);
                    }
                    System.out.println("step: " + what);
                }
                static void check(boolean ok, String what) {
                    if (!ok) throw new AssertionError(what);
                    System.out.println("step: " + what);
                }
                public static void main(String[] args) throws Exception {
                    if (args.length > 0) {
                        interrupted();
                    } else {
                        lifeCycle();
                    }
                }
                // Interrupted in its start delay (a container stopping an application's threads as it starts),
                // the thread still makes the choice, which callers wait for, and warms what was asked for, then
                // ends: no hang, and no operation left on the scalar kernels with no thread to switch it.
                static void interrupted() throws Exception {
                    float[] x = new float[64 * 16];
                    for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
                    float[] y = new float[x.length];
                    BatchNorm bn = BatchNorm.builder(16).build();
                    bn.inference(x, 0, y, 0, 64); // the first use: the thread starts, in its 250 ms delay
                    Thread t = warmUpThread().orElseThrow(() -> new AssertionError("no warm-up thread"));
                    t.interrupt();
                    await("normalize switches", () -> {
                        bn.inference(x, 0, y, 0, 64);
                        return KernelProvider.normalizing() == KernelProvider.kernel();
                    });
                    await("the interrupted thread ends", () -> !t.isAlive());
                    check(KernelSelection.active().name().equals("vector"), "the vector kernels chosen");
                }
                static void lifeCycle() throws Exception {
                    ClassLoader application = new URLClassLoader(new URL[0], Probe.class.getClassLoader());
                    Thread.currentThread().setContextClassLoader(application);
                    check(KernelSelection.active().name().equals("vector"), "vector kernels chosen");
                    ClassLoader library = KernelProvider.class.getClassLoader();
                    // Null only if this thread stalled past the idle window: the restarted thread is checked below.
                    Thread first = warmUpThread().orElse(null);
                    check(first == null || first.getContextClassLoader() == library, "the library's class loader");
                    float[] x = new float[64 * 16];
                    for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i);
                    float[] y = new float[x.length];
                    BatchNorm bn = BatchNorm.builder(16).build();
                    // Inference only (it asks for normalize alone): nothing else is asked for until statistics.
                    await("normalize switches", () -> {
                        bn.inference(x, 0, y, 0, 64);
                        return KernelProvider.normalizing() == KernelProvider.kernel();
                    });
                    await("the thread ends once what was called is warm", () -> warmUpThread().isEmpty());
                    check(first == null || !first.isAlive(), "the first thread ended");
                    Moments.of(x, 0, 64, 16);
                    Thread again = warmUpThread().orElseThrow(() -> new AssertionError("no thread started again"));
                    check(again.getContextClassLoader() == library, "a first call of statistics starts a thread "
                            + "again, with the library's class loader, not the caller's");
                    await("statistics switch", () -> {
                        Moments.of(x, 0, 64, 16);
                        return KernelProvider.statistics() == KernelProvider.kernel();
                    });
                    check(KernelSelection.warmUp(java.time.Duration.ofSeconds(120)), "every operation warm");
                    await("the thread ends once every operation is warm", () -> warmUpThread().isEmpty());
                }
            }
            """;

    @Test
    void anInterruptedThreadStillChoosesAndWarmsWhatWasAskedFor(@TempDir Path dir)
            throws IOException, InterruptedException {
        ProbeJvm.assertSucceeds(dir, PROBE, List.of(), "interrupted");
    }

    @Test
    void endsWhenDoneAndStartsAgainWhenNeeded(@TempDir Path dir) throws IOException, InterruptedException {
        ProbeJvm.assertSucceeds(dir, PROBE, List.of());
    }
}
