package dev.simdnorm.jmh;

import java.util.Arrays;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Each public call against the kernel doing the same work, alternating in one JVM on the same arrays: not JMH, which
 * runs the two in different forks, whose own speed on this machine spreads by more than the 10 % that the target
 * "public ≤ 1.10× its kernel" allows (docs/design-log.md, "Public over kernel across forks"). Here both share one
 * JVM's compiled kernels, memory and moment, so their ratio is what the public layer adds.
 *
 * <p>{@code PublicOverKernel <row>}, a row being a network shape ({@code 8x28x28x256}, NHWC) or a sweep row
 * ({@code 16KiB/C=100}): after the warm-up, seven rounds, each timing every call for about 40 ms (at least three
 * calls; those under 10 µs sixteen per clock reading) in turn, the order of public and kernel swapped every round;
 * prints one JSON line per operation with the
 * medians over the rounds of each call's time and of the ratios: {@code inference} over {@code normalize},
 * {@code Moments.of} over {@code statistics} and over {@code statisticsReturned} (the kernel writing new arrays, as a
 * returned result must), {@code train} over {@code trainStep} and {@code trainStepReturned}.
 */
public final class PublicOverKernel extends Api {

    private static final int ROUNDS = 7;
    private static final long WINDOW_NANOS = 40_000_000L;

    private PublicOverKernel() {
    }

    public static void main(String[] args) {
        String row = args[0];
        PublicOverKernel w = new PublicOverKernel();
        w.initApi(LatencyBenchmark.shape(row), "NHWC");
        w.kernel = Kernels.named("vector");
        w.compare(row, "inference", w::inference, new String[] {"normalize"}, w::normalize);
        w.compare(row, "moments", w::moments, new String[] {"statistics", "statisticsReturned"}, w::statistics,
                w::statisticsReturned);
        w.compare(row, "train", w::train, new String[] {"trainStep", "trainStepReturned"}, w::trainStep,
                w::trainStepReturned);
    }

    @SafeVarargs
    private void compare(String row, String op, Supplier<?> call, String[] names, Supplier<?>... kernels) {
        double[] pub = new double[ROUNDS];
        double[][] ker = new double[kernels.length][ROUNDS];
        double[][] ratio = new double[kernels.length][ROUNDS];
        for (int i = 0; i < 3; i++) { // compiled before the first round
            time(call);
            for (Supplier<?> k : kernels) {
                time(k);
            }
        }
        for (int r = 0; r < ROUNDS; r++) {
            if (r % 2 == 0) {
                pub[r] = time(call);
            }
            for (int k = 0; k < kernels.length; k++) {
                ker[k][r] = time(kernels[k]);
            }
            if (r % 2 == 1) {
                pub[r] = time(call);
            }
            for (int k = 0; k < kernels.length; k++) {
                ratio[k][r] = pub[r] / ker[k][r];
            }
        }
        StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                "{\"row\": \"%s\", \"op\": \"%s\", \"publicUs\": %.4f", row, op, median(pub) / 1e3));
        for (int k = 0; k < kernels.length; k++) {
            json.append(String.format(Locale.ROOT, ", \"%sUs\": %.4f, \"over_%s\": %.4f", names[k],
                    median(ker[k]) / 1e3, names[k], median(ratio[k])));
        }
        System.out.println(json.append('}'));
    }

    /**
     * Nanoseconds per call over a window of about {@link #WINDOW_NANOS}, at least three calls. Calls under 10 µs are
     * timed sixteen at a time, so that the clock's own cost (tens of ns) stays out of sub-µs calls' times; until
     * 2026-12-06 it was read after every call, which added the same few tens of ns to public call and kernel and pulled
     * their ratio toward 1 on the 16 KiB rows.
     */
    private static double time(Supplier<?> call) {
        long first = System.nanoTime();
        Object sink = call.get();
        long now = System.nanoTime();
        int batch = now - first < 10_000 ? 16 : 1;
        long start = now;
        long calls = 0;
        do {
            for (int i = 0; i < batch; i++) {
                sink = call.get();
            }
            calls += batch;
            now = System.nanoTime();
        } while (now - start < WINDOW_NANOS || calls < 3);
        if (sink == null) {
            throw new IllegalStateException("no result");
        }
        return (double) (now - start) / calls;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v[v.length / 2];
    }
}
