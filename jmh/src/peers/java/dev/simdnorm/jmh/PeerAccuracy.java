package dev.simdnorm.jmh;

import dev.simdnorm.Convention;

import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

/**
 * The accuracy table of the peers: y, the batch mean and variance and the running statistics after one training step,
 * from every framework and from simdnorm under the same framework's convention, against a double-precision two-pass
 * oracle over the same float inputs. Prints a Markdown table. Batch statistics are read the same way from every
 * framework: as the running statistics of a step whose running update keeps only the batch (weight of the batch 1).
 */
public final class PeerAccuracy {

    private static final float EPSILON = 0.001f;
    /**
     * Weight of the batch in the running update of the step whose running statistics are checked. A power of two, so
     * that frameworks parameterized by the weight of the old value (1 − w, exact here) apply the same weight: with
     * 0.1 they would apply fl(1 − 0.9f) = 0.100000024, 2.4e-7 away, which the table would show as their error.
     */
    private static final float WEIGHT = 0.125f;

    private PeerAccuracy() {
    }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        // Each framework after simdnorm under its convention; ND4J's running update is ONNX's (biased variance).
        String tf = "0".equals(System.getenv(Peers.ONEDNN)) ? "-onednn-off" : "";
        List<Supplier<Peer>> peers = List.of(
                () -> new SimdnormPeer(Convention.TENSORFLOW, threads),
                () -> named("tensorflow-tf1" + tf, threads),
                () -> new SimdnormPeer(Convention.TF_FUSED, threads),
                () -> named("tensorflow" + tf, threads),
                () -> new SimdnormPeer(Convention.PYTORCH, threads),
                () -> named("pytorch", threads),
                () -> new SimdnormPeer(Convention.ONNX, threads),
                () -> named("onnxruntime-nhwc", threads),
                () -> named("onnxruntime-nchw", threads),
                () -> named("nd4j", threads));
        System.out.println("| data | shape | framework | y: max abs error | batch mean: max abs error "
                + "| batch variance: max rel error | running mean: max abs error | running variance: max rel error |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (Shape shape : List.of(new Shape(8, 28, 28, 64), new Shape(64, 32, 32, 3))) {
            for (String data : List.of("N(±3, 0.5..2)", "mean 1e4, sd 1", "mean 1e3, sd 1e-2")) {
                float[] x = data(shape, data);
                Case k = new Case(shape, x);
                for (Supplier<Peer> make : peers) {
                    Peer made = make.get();
                    if (made == null) {
                        continue; // its framework is not on this profile's class path
                    }
                    try (Peer p = made) {
                        System.out.println("| " + data + " | " + shape.n() + "x" + shape.h() + "x" + shape.w() + "x"
                                + shape.c() + " | " + p.name() + " | " + k.check(p) + " |");
                    }
                }
            }
        }
    }

    private static Peer named(String name, int threads) {
        try {
            return Peers.create(name, threads);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(name, e);
        }
    }

    private static float[] data(Shape shape, String kind) {
        if (kind.startsWith("N(")) {
            return shape.data(42);
        }
        double mean = kind.contains("1e4") ? 1e4 : 1e3;
        double sd = kind.contains("1e-2") ? 1e-2 : 1;
        SplittableRandom r = new SplittableRandom(7);
        float[] x = new float[shape.floats()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (mean + sd * r.nextGaussian());
        }
        return x;
    }

    /** The inputs and the double-precision oracle. */
    private static final class Case {
        final Shape shape;
        final float[] x;
        final float[] gamma;
        final float[] beta;
        final float[] runningMean;
        final float[] runningVariance;
        final double[] mean;
        final double[] variance;

        Case(Shape shape, float[] x) {
            this.shape = shape;
            this.x = x;
            int c = shape.c();
            SplittableRandom r = new SplittableRandom(11);
            gamma = new float[c];
            beta = new float[c];
            runningMean = new float[c];
            runningVariance = new float[c];
            for (int i = 0; i < c; i++) {
                gamma[i] = (float) r.nextDouble(0.5, 1.5);
                beta[i] = (float) r.nextDouble(-1, 1);
                runningVariance[i] = 1;
            }
            // Two passes in double over the float inputs: exact to about 1e-16 relative, far below float's 6e-8.
            mean = new double[c];
            variance = new double[c];
            int rows = shape.rows();
            for (int i = 0; i < x.length; i++) {
                mean[i % c] += x[i];
            }
            for (int i = 0; i < c; i++) {
                mean[i] /= rows;
            }
            for (int i = 0; i < x.length; i++) {
                double d = x[i] - mean[i % c];
                variance[i % c] += d * d;
            }
            for (int i = 0; i < c; i++) {
                variance[i] /= rows;
            }
        }

        String check(Peer p) throws Exception {
            int c = shape.c();
            long n = shape.rows();
            // The batch's statistics: a step whose running update keeps only the batch.
            p.load(shape, x, gamma, beta, runningMean, runningVariance, EPSILON, 1);
            p.train();
            float[] batchMean = p.runningMean();
            float[] batchVariance = p.runningVariance();
            float[] y = p.y();
            double yError = 0;
            for (int i = 0; i < x.length; i++) {
                int ch = i % c;
                double exact = (x[i] - mean[ch]) / Math.sqrt(variance[ch] + EPSILON) * gamma[ch] + beta[ch];
                yError = Math.max(yError, Math.abs(y[i] - exact));
            }
            double meanError = 0;
            double varianceError = 0;
            double unbias = p.unbiasedRunningVariance() ? (double) n / (n - 1) : 1;
            for (int ch = 0; ch < c; ch++) {
                meanError = Math.max(meanError, Math.abs(batchMean[ch] - mean[ch]));
                varianceError = Math.max(varianceError, relative(batchVariance[ch], variance[ch] * unbias));
            }
            // The running statistics after one step with weight WEIGHT.
            p.load(shape, x, gamma, beta, runningMean, runningVariance, EPSILON, WEIGHT);
            p.train();
            float[] rm = p.runningMean();
            float[] rv = p.runningVariance();
            double rmError = 0;
            double rvError = 0;
            for (int ch = 0; ch < c; ch++) {
                double em = (1 - (double) WEIGHT) * runningMean[ch] + (double) WEIGHT * mean[ch];
                double ev = (1 - (double) WEIGHT) * runningVariance[ch] + (double) WEIGHT * variance[ch] * unbias;
                rmError = Math.max(rmError, Math.abs(rm[ch] - em));
                rvError = Math.max(rvError, relative(rv[ch], ev));
            }
            // The end-to-end path of the benchmarks must give inference's y.
            p.inference();
            float[] expected = p.y();
            boolean nchw = p.name().contains("NCHW");
            float[] e2e = new float[x.length];
            p.endToEnd(nchw ? shape.toNchw(x) : x, e2e);
            if (!java.util.Arrays.equals(nchw ? shape.toNchw(expected) : expected, e2e)) {
                throw new AssertionError(p.name() + ": end-to-end y differs from inference's");
            }
            return String.format("%.2g | %.2g | %.2g | %.2g | %.2g", yError, meanError, varianceError, rmError,
                    rvError);
        }

        private static double relative(double value, double exact) {
            return Math.abs(value - exact) / Math.abs(exact);
        }
    }
}
