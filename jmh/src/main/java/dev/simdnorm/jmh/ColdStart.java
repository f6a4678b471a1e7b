package dev.simdnorm.jmh;

import dev.simdnorm.BatchNorm;
import dev.simdnorm.KernelSelection;
import dev.simdnorm.internal.KernelProvider;
import dev.simdnorm.Moments;
import dev.simdnorm.TensorShape;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * The first seconds of a JVM, and a plain timing loop: not JMH. Each measurement is a fresh JVM that calls one public
 * operation on one shape back to back for a few seconds and records every call's time; the vector kernels (as users
 * get them: the default, with the warm-up) against {@code -Dsimdnorm.kernels=scalar}.
 *
 * <p>{@code ColdStart measure <out.json> [seconds] [repeats]} runs them all (train, inference and Moments.of on
 * 1x14x14x256, 8x28x28x256 and 64x32x32x3) and writes per run: the first call, the cumulative time of the first 1,000
 * calls, the steady state (the median call of the last second), when calls came within 1.25× of it for good, the median
 * call in [1.0 s, 1.1 s) over the steady state, the plain loop's average over the last second, and the median call of
 * every 50 ms window (for the chart); then, as many times, the floor: a fresh JVM that only warms the kernels up
 * ({@code KernelSelection.warmUp}), with the JIT's compile time it took; then, as many times for each op and shape,
 * the plain loop in the state JMH measures ({@link #plain}). {@code ColdStart run <op> <shape> <seconds> [NCHW]},
 * {@code ColdStart plain <op> <shape> <seconds>} and {@code ColdStart floor} are one JVM's part (NCHW: the same floats
 * as an NCHW tensor of that shape); {@code run} also writes to stderr how many calls it made and the JIT's compile
 * time over all its threads. {@code ColdStart plains <out.json> [seconds] [repeats]} runs the plain loops alone.
 */
public final class ColdStart {

    private static final String[] OPS = {"train", "inference", "moments"};
    private static final String[] SHAPES = {"1x14x14x256", "8x28x28x256", "64x32x32x3"};
    private static final long WINDOW_NANOS = 50_000_000L;

    private ColdStart() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("run")) {
            run(args[1], Shape.parse(args[2]), Double.parseDouble(args[3]), args.length > 4 && args[4].equals("NCHW"));
        } else if (args[0].equals("plain")) {
            plain(args[1], Shape.parse(args[2]), Double.parseDouble(args[3]));
        } else if (args[0].equals("plains")) {
            Files.writeString(Path.of(args[1]), "[\n" + plains(args.length > 2 ? Double.parseDouble(args[2]) : 2,
                    args.length > 3 ? Integer.parseInt(args[3]) : 3, "") + "\n]\n");
        } else if (args[0].equals("floor")) {
            floor();
        } else {
            measure(Path.of(args[1]), args.length > 2 ? Double.parseDouble(args[2]) : 4,
                    args.length > 3 ? Integer.parseInt(args[3]) : 3);
        }
    }

    /** One JVM: calls {@code op} back to back and prints "start duration" in ns per call, from the first call. */
    private static void run(String op, Shape shape, double seconds, boolean nchw) {
        float[] x = shape.data(42);
        float[] y = new float[x.length];
        Arrays.fill(y, 1f); // touched, so that page faults are not timed
        int rows = shape.rows();
        int c = shape.c();
        BatchNorm bn = BatchNorm.builder(c).build();
        TensorShape tensor = TensorShape.nchw(shape.n(), c, shape.spatial()); // used where nchw
        long[] start = new long[4_000_000];
        long[] duration = new long[start.length];
        int calls = 0;
        // Logging started before the first call, as in most applications by then: otherwise the scalar JVM's first
        // call, which logs the forced choice on the caller's thread, would also time the logging system's start (tens
        // of ms), which the vector JVM's warm-up thread does off the caller's path.
        System.getLogger("dev.simdnorm.jmh.ColdStart").log(System.Logger.Level.INFO, "cold start: {0} {1}", op, shape);
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        Object sink = null;
        for (long now = t0; now < end && calls < start.length; calls++) {
            long s = System.nanoTime();
            switch (op) {
                case "train" -> sink = nchw ? bn.train(x, 0, y, 0, tensor) : bn.train(x, 0, y, 0, rows);
                case "inference" -> {
                    if (nchw) {
                        bn.inference(x, 0, y, 0, tensor);
                    } else {
                        bn.inference(x, 0, y, 0, rows);
                    }
                }
                case "moments" -> sink = nchw ? Moments.of(x, 0, tensor) : Moments.of(x, 0, rows, c);
                default -> throw new IllegalArgumentException(op);
            }
            now = System.nanoTime();
            start[calls] = s - t0;
            duration[calls] = now - s;
        }
        StringBuilder out = new StringBuilder(calls * 16);
        for (int i = 0; i < calls; i++) {
            out.append(start[i]).append(' ').append(duration[i]).append('\n');
        }
        System.out.print(out);
        System.out.flush();
        // For a reader (measure discards it): the calls made and the JIT's compile time over all its threads.
        System.err.printf(Locale.ROOT, "%d calls, JIT compile time %.2f s%n", calls,
                java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime() / 1e3);
        if (sink == null && y[0] == 12345f) {
            System.err.println("unlikely");
        }
    }

    /**
     * One JVM: the plain timing loop a user would write, in the state JMH measures: after
     * {@code KernelSelection.warmUp} (which the benchmarks' setup also waits for) and a second of untimed calls, the
     * mean time of {@code seconds} of calls back to back; prints it in µs.
     */
    private static void plain(String op, Shape shape, double seconds) {
        float[] x = shape.data(42);
        float[] y = Workload.placedApart(x); // where the benchmarks place y (a clone right after x is slower)
        int rows = shape.rows();
        int c = shape.c();
        BatchNorm bn = BatchNorm.builder(c).build();
        if (!KernelSelection.warmUp(java.time.Duration.ofSeconds(120))) {
            throw new IllegalStateException("the kernels did not warm up in 120 s");
        }
        long sink = 0;
        long t0 = System.nanoTime();
        long timed = t0 + 1_000_000_000L;
        long end = timed + (long) (seconds * 1e9);
        long calls = 0;
        long from = 0;
        for (long now = t0; now < end; ) {
            switch (op) {
                case "train" -> sink += bn.train(x, 0, y, 0, rows).count();
                case "inference" -> bn.inference(x, 0, y, 0, rows);
                case "moments" -> sink += Moments.of(x, 0, rows, c).count();
                default -> throw new IllegalArgumentException(op);
            }
            now = System.nanoTime();
            if (from == 0 && now >= timed) {
                from = now;
                calls = 0;
            } else {
                calls++;
            }
        }
        System.out.printf(Locale.ROOT, "%.3f%n", (System.nanoTime() - from) / 1e3 / calls);
        if (sink == 42 && y[0] == 12345f) {
            System.err.println("unlikely");
        }
    }

    /** {@link #plain} of every op and shape, {@code repeats} fresh JVMs each, as JSON objects after {@code sep}. */
    private static String plains(double seconds, int repeats, String sep) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        String classPath = System.getProperty("java.class.path");
        StringBuilder json = new StringBuilder();
        for (int r = 0; r < repeats; r++) {
            for (String shape : SHAPES) {
                for (String op : OPS) {
                    Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-cp", classPath,
                            ColdStart.class.getName(), "plain", op, shape, String.valueOf(seconds))
                            .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                    String us = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
                    if (p.waitFor() != 0) {
                        throw new IllegalStateException("plain loop failed: " + op + " " + shape);
                    }
                    String entry = String.format(Locale.ROOT, "{\"plain\": %d, \"op\": \"%s\", \"shape\": \"%s\", "
                            + "\"plainWarmUs\": %s}", r, op, shape, us);
                    System.out.println(entry);
                    json.append(sep).append(entry);
                    sep = ",\n";
                }
            }
        }
        return json.toString();
    }

    /**
     * The floor of the warm-up: a fresh JVM that asks for every operation's vector kernels at once and does nothing
     * else, so the compiler threads have both cores; prints the seconds until they run and the JIT's compile time.
     */
    private static void floor() {
        long t0 = System.nanoTime();
        double[] switched = new double[3];
        Thread watch = Thread.ofPlatform().daemon().start(() -> {
            while (switched[2] == 0) {
                double now = (System.nanoTime() - t0) / 1e9;
                if (switched[0] == 0 && KernelProvider.normalizing().name().equals("vector")) {
                    switched[0] = now;
                }
                if (switched[1] == 0 && KernelProvider.statistics().name().equals("vector")) {
                    switched[1] = now;
                }
                if (switched[2] == 0 && KernelProvider.gradients().name().equals("vector")) {
                    switched[2] = now;
                }
                LockSupport.parkNanos(1_000_000);
            }
        });
        boolean warm = KernelSelection.warmUp(java.time.Duration.ofSeconds(120));
        double seconds = (System.nanoTime() - t0) / 1e9;
        long compileMs = java.lang.management.ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
        try {
            watch.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.out.printf(Locale.ROOT, "%s %.3f %.3f %.3f %.3f %.3f%n", warm, seconds, compileMs / 1e3, switched[0],
                switched[1], switched[2]);
    }

    private static void measure(Path out, double seconds, int repeats) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        String classPath = System.getProperty("java.class.path");
        StringBuilder json = new StringBuilder("[\n");
        String sep = "";
        for (int r = 0; r < repeats; r++) {
            for (String shape : SHAPES) {
                for (String op : OPS) {
                    for (String kernels : new String[] {"vector", "scalar"}) {
                        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector"));
                        if (kernels.equals("scalar")) {
                            cmd.add("-Dsimdnorm.kernels=scalar");
                        }
                        cmd.addAll(List.of("-cp", classPath, ColdStart.class.getName(), "run", op, shape,
                                String.valueOf(seconds)));
                        long[][] calls = launch(cmd);
                        String summary = summary(kernels, op, shape, r, calls);
                        System.out.println(summary);
                        json.append(sep).append(summary);
                        sep = ",\n";
                    }
                }
            }
        }
        for (int r = 0; r < repeats; r++) {
            Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "-cp", classPath,
                    ColdStart.class.getName(), "floor").redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String[] f = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim().split(" ");
            p.waitFor();
            String floor = String.format(Locale.ROOT, "{\"floor\": %d, \"warm\": %s, \"warmUpS\": %s, "
                    + "\"compileS\": %s, \"normalizeS\": %s, \"statisticsS\": %s, \"gradientsS\": %s}", r, f[0],
                    f[1], f[2], f[3], f[4], f[5]);
            System.out.println(floor);
            json.append(",\n").append(floor);
        }
        json.append(plains(2, repeats, ",\n"));
        json.append("\n]\n");
        Files.writeString(out, json.toString());
    }

    private static long[][] launch(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        List<long[]> rows = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.US_ASCII))) {
            for (String line; (line = in.readLine()) != null; ) {
                int space = line.indexOf(' ');
                rows.add(new long[] {Long.parseLong(line.substring(0, space)),
                    Long.parseLong(line.substring(space + 1))});
            }
        }
        if (p.waitFor() != 0) {
            throw new IllegalStateException("run failed: " + cmd);
        }
        return rows.toArray(new long[0][]);
    }

    /** One run's figures as a JSON object. */
    private static String summary(String kernels, String op, String shape, int repeat, long[][] calls) {
        long last = calls[calls.length - 1][0];
        double steady = median(calls, last - 1_000_000_000L, last + 1);
        double plainLoop = mean(calls, last - 1_000_000_000L, last + 1);
        long cumulative = 0;
        for (int i = 0; i < Math.min(1000, calls.length); i++) {
            cumulative += calls[i][1];
        }
        List<double[]> windows = new ArrayList<>();
        for (long w = 0; w <= last; w += WINDOW_NANOS) {
            double m = median(calls, w, w + WINDOW_NANOS);
            if (!Double.isNaN(m)) {
                windows.add(new double[] {(w + WINDOW_NANOS / 2) / 1e9, m / 1e3});
            }
        }
        // Within 1.25× for good: the first window after which every window's median is within 1.25× of steady.
        double settled = 0;
        for (double[] w : windows) {
            if (w[1] * 1e3 > 1.25 * steady) {
                settled = w[0] + WINDOW_NANOS / 2e9;
            }
        }
        double atOneSecond = median(calls, 1_000_000_000L, 1_100_000_000L) / steady;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "{\"kernels\": \"%s\", \"op\": \"%s\", \"shape\": \"%s\", \"repeat\": %d, "
                        + "\"calls\": %d, \"firstCallUs\": %.1f, \"first1000Ms\": %.3f, \"steadyUs\": %.3f, "
                        + "\"plainLoopUs\": %.3f, \"settledS\": %.2f, \"atOneSecond\": %.3f, \"windows\": [",
                kernels, op, shape, repeat, calls.length, calls[0][1] / 1e3, cumulative / 1e6, steady / 1e3,
                plainLoop / 1e3, settled, atOneSecond));
        for (int i = 0; i < windows.size(); i++) {
            s.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, "[%.3f, %.3f]", windows.get(i)[0],
                    windows.get(i)[1]));
        }
        return s.append("]}").toString();
    }

    /** The median duration of the calls that started in [from, to), in ns; NaN if none did. */
    private static double median(long[][] calls, long from, long to) {
        long[] d = Arrays.stream(calls).filter(c -> c[0] >= from && c[0] < to).mapToLong(c -> c[1]).sorted()
                .toArray();
        return d.length == 0 ? Double.NaN : d[d.length / 2];
    }

    /** The mean duration of the calls that started in [from, to), in ns: what a plain timing loop reports. */
    private static double mean(long[][] calls, long from, long to) {
        return Arrays.stream(calls).filter(c -> c[0] >= from && c[0] < to).mapToLong(c -> c[1]).average()
                .orElse(Double.NaN);
    }
}
