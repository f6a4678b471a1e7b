package dev.simdnorm.jmh;

import dev.simdnorm.Activation;
import dev.simdnorm.BatchNorm;
import dev.simdnorm.KernelSelection;
import dev.simdnorm.LayerNorm;
import dev.simdnorm.Moments;
import dev.simdnorm.RmsNorm;
import dev.simdnorm.TensorShape;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * One public call's steady speed in several fresh JVMs: does it depend on the JVM? A JVM whose C2 compiled a kernel
 * from another profile, or into a slower form, stays slower for its whole life, so a fork of JMH, a plain loop or a
 * user's service may each land in either mode; one JVM's average cannot show that. Each child JVM waits for
 * {@link KernelSelection#warmUp}, makes 1 s of untimed calls and prints the mean of the next 2 s; the parent prints
 * them in order, their median and the slowest over the fastest.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp jmh/target/benchmarks.jar dev.simdnorm.jmh.FreshJvmModes
 *     backward 1x14x14x256 10 [JVM options for the children, e.g. -Dsimdnorm.warmup=off]
 *     (op: train, inference, moments, backward, backwardRelu; NHWC; trainNchw, inferenceNchw, momentsNchw;
 *      or layerNorm, rmsNorm, layerNormResidual, rmsNormResidual: N·H·W rows of C floats, e.g. 1x1x1x4096)</pre>
 *
 * Not a benchmark of the tables: a plain loop, for spotting modes (docs/performance.md, "Backward").
 */
public final class FreshJvmModes {

    private FreshJvmModes() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 3 && args[0].equals("child")) {
            System.out.println(String.format(Locale.ROOT, "%.3f", child(args[1], Shape.parse(args[2]))));
            return;
        }
        if (args.length < 3) {
            throw new IllegalArgumentException("usage: FreshJvmModes OP NxHxWxC JVMS [JVM options]");
        }
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "--add-modules", "jdk.incubator.vector"));
        command.addAll(Arrays.asList(args).subList(3, args.length));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), FreshJvmModes.class.getName(), "child",
                args[0], args[1]));
        List<Double> means = new ArrayList<>();
        for (int i = 0; i < Integer.parseInt(args[2]); i++) {
            // The child's log lines would interleave with the means; a failing child is rerun alone to see why.
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
            if (p.waitFor() != 0) {
                throw new IllegalStateException("child JVM failed; run it alone to see why: " + command);
            }
            means.add(Double.parseDouble(out));
            System.out.println(out);
        }
        double[] sorted = means.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int m = sorted.length / 2;
        double median = sorted.length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
        System.out.printf(Locale.ROOT, "%s %s: %d JVMs, µs a call: median %.3f, slowest / fastest %.2f%n", args[0],
                args[1], sorted.length, median, sorted[sorted.length - 1] / sorted[0]);
    }

    /** The mean time of one call, µs, in this JVM after the warm-up and 1 s of calls. */
    private static double child(String op, Shape shape) {
        // Each array 2 KiB past the one before, not 16 bytes (its header) past a 4 KiB multiple, the slow placement
        // of the copy-like loops; as Workload.placedApart does for the benchmarks' x and y.
        float[] x = shape.data(1);
        float[] gap = new float[512];
        float[] y = new float[x.length];
        float[] gap2 = new float[512];
        float[] dy = shape.data(2);
        float[] gap3 = new float[512];
        float[] dx = new float[x.length];
        BatchNorm layer = BatchNorm.builder(shape.c())
                .activation(op.endsWith("Relu") ? Activation.RELU : Activation.NONE).build();
        TensorShape tensor = TensorShape.nhwc(shape.n(), shape.spatial(), shape.c());
        TensorShape planes = TensorShape.nchw(shape.n(), shape.c(), shape.spatial()); // the same floats, as NCHW
        // The row norms: rows of C floats, γ and β from the data's generator (values within about ±9); dy serves as
        // the residual, dx as h.
        Shape oneRow = new Shape(1, 1, 1, shape.c()); // C values, not a tensor's worth in every probe's heap
        float[] gamma = oneRow.data(3);
        float[] beta = oneRow.data(4);
        LayerNorm layerNorm = LayerNorm.builder(shape.c()).gamma(gamma).beta(beta).build();
        RmsNorm rmsNorm = RmsNorm.builder(shape.c()).gamma(gamma).build();
        Moments batch = Moments.of(x, 0, tensor);
        if (!KernelSelection.warmUp(Duration.ofSeconds(120))) {
            throw new IllegalStateException("not warm after 120 s");
        }
        Object sink = null;
        double mean = 0;
        for (int phase = 0; phase < 2; phase++) {
            long t0 = System.nanoTime();
            long end = t0 + (phase == 0 ? 1_000_000_000L : 2_000_000_000L);
            long calls = 0;
            long now;
            do {
                for (int i = 0; i < 16; i++) {
                    sink = switch (op) {
                        case "train" -> layer.train(x, 0, y, 0, tensor);
                        case "inference" -> {
                            layer.inference(x, 0, y, 0, tensor);
                            yield y;
                        }
                        case "moments" -> Moments.of(x, 0, tensor);
                        case "trainNchw" -> layer.train(x, 0, y, 0, planes);
                        case "inferenceNchw" -> {
                            layer.inference(x, 0, y, 0, planes);
                            yield y;
                        }
                        case "momentsNchw" -> Moments.of(x, 0, planes);
                        case "backward", "backwardRelu" -> layer.backward(x, 0, dy, 0, dx, 0, shape.rows(), batch);
                        case "layerNorm" -> {
                            layerNorm.apply(x, 0, y, 0, shape.rows());
                            yield y;
                        }
                        case "rmsNorm" -> {
                            rmsNorm.apply(x, 0, y, 0, shape.rows());
                            yield y;
                        }
                        case "layerNormResidual" -> {
                            layerNorm.apply(x, 0, dy, 0, y, 0, dx, 0, shape.rows());
                            yield y;
                        }
                        case "rmsNormResidual" -> {
                            rmsNorm.apply(x, 0, dy, 0, y, 0, dx, 0, shape.rows());
                            yield y;
                        }
                        default -> throw new IllegalArgumentException(op);
                    };
                }
                calls += 16;
                now = System.nanoTime();
            } while (now < end);
            mean = (now - t0) / 1e3 / calls;
        }
        if (sink == null || gap.length + gap2.length + gap3.length == 0) {
            throw new AssertionError("unreachable");
        }
        return mean;
    }
}
