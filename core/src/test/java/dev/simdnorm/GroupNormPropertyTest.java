package dev.simdnorm;

import dev.simdnorm.prop.Gen;
import dev.simdnorm.prop.PlaneCase;
import dev.simdnorm.prop.Property;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * GroupNorm and InstanceNorm against a double oracle with bounds from the error analysis ({@link Oracle}), in both
 * layouts: a case is an NCHW tensor and its NHWC twin holding the same values, and every divisor of the channels is a
 * possible group count. Also: every {@link Parallelism} gives the sequential bits, and InstanceNorm of one image is
 * BatchNorm's training output on it, bit for bit (the same statistics and the same map).
 */
class GroupNormPropertyTest {

    /** A tensor, its groups, γ and β (null for the defaults), ε and an output placement. */
    record GroupCase(PlaneCase t, int groups, float[] gamma, float[] beta, float epsilon, int yOffset) {
        GroupNorm layer() {
            GroupNormBuilder b = GroupNorm.builder(t.channels(), groups).epsilon(epsilon);
            if (gamma != null) {
                b.gamma(gamma);
            }
            if (beta != null) {
                b.beta(beta);
            }
            return b.build();
        }
    }

    static final Gen<GroupCase> CASES = ch -> {
        PlaneCase t = PlaneCase.gen(60_000, BatchNormPropertyTest.FINITE).generate(ch);
        int c = t.channels();
        int[] divisors = java.util.stream.IntStream.rangeClosed(1, c).filter(g -> c % g == 0).toArray();
        int groups = ch.oneIn(4) ? c : divisors[ch.between(0, divisors.length - 1)];
        SplittableRandom r = new SplittableRandom(ch.seed());
        float[] gamma = ch.oneIn(3) ? null : NchwPropertyTest.gaussians(r, c, 1, 0.3);
        float[] beta = ch.oneIn(3) ? null : NchwPropertyTest.gaussians(r, c, 0, 0.3);
        return new GroupCase(t, groups, gamma, beta, ch.oneOf(1e-5f, 1e-3f, 0.1f), ch.between(0, 9));
    };

    @Test
    void bothLayoutsMatchDoubleOracle() {
        Property.check("GroupNorm, NCHW and NHWC, within the error bounds of a double two-pass oracle", CASES, a -> {
            PlaneCase t = a.t();
            GroupNorm gn = a.layer();
            int c = t.channels();
            int image = c * t.spatial();
            float[] y = NormalizePropertyTest.poisoned(a.yOffset() + t.length() + 3);
            gn.apply(t.x(), t.offset(), y, a.yOffset(), TensorLayout.NCHW, t.n(), t.spatial());
            NormalizePropertyTest.assertUntouchedOutside(y, a.yOffset(), t.length());
            for (int i = 0; i < t.n(); i++) {
                // In NCHW a group's planes are one run: its statistics are a plane's with blocks over the run.
                Oracle.Stats s = Oracle.planeMoments(t.x(), t.offset() + i * image, 1, a.groups(),
                        image / a.groups());
                int base = i * image;
                assertImage(a, s, c, t.spatial(), (ch, p) -> t.x()[t.offset() + base + ch * t.spatial() + p],
                        (ch, p) -> y[a.yOffset() + base + ch * t.spatial() + p], i);
            }
            float[] xs = t.nhwc().x();
            float[] ys = NormalizePropertyTest.poisoned(a.yOffset() + t.length() + 3);
            gn.apply(xs, 0, ys, a.yOffset(), TensorLayout.NHWC, t.n(), t.spatial());
            NormalizePropertyTest.assertUntouchedOutside(ys, a.yOffset(), t.length());
            for (int i = 0; i < t.n(); i++) {
                int base = i * image;
                Oracle.Stats s = groupsOf(Oracle.moments(xs, base, t.spatial(), c), a.groups(), t.spatial());
                assertImage(a, s, c, t.spatial(), (ch, p) -> xs[base + p * c + ch],
                        (ch, p) -> ys[a.yOffset() + base + p * c + ch], i);
            }
        });
    }

    @Test
    void everyParallelismGivesTheSequentialBits() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            // Many small images (spread by image) and one large one (its statistics and map spread by slice).
            int[][] shapes = {{40, 16, 2048}, {1, 64, 20_000}};
            for (int[] shape : shapes) {
                int n = shape[0];
                int c = shape[1];
                int spatial = shape[2];
                float[] x = NchwPropertyTest.gaussians(new SplittableRandom(n), n * c * spatial, 3, 2);
                for (TensorLayout layout : TensorLayout.values()) {
                    GroupNorm gn = GroupNorm.builder(c, 4).build();
                    float[] expected = new float[x.length];
                    gn.apply(x, 0, expected, 0, layout, n, spatial);
                    for (int threads = 1; threads <= 4; threads++) {
                        float[] y = new float[x.length];
                        gn.apply(x, 0, y, 0, layout, n, spatial, Parallelism.of(pool, threads));
                        assertArrayEquals(NormalizePropertyTest.bits(expected, 0, x.length),
                                NormalizePropertyTest.bits(y, 0, x.length), layout + " on " + threads + " threads");
                    }
                    float[] inPlace = x.clone();
                    gn.apply(inPlace, 0, inPlace, 0, layout, n, spatial, Parallelism.of(pool, 2));
                    assertArrayEquals(NormalizePropertyTest.bits(expected, 0, x.length),
                            NormalizePropertyTest.bits(inPlace, 0, x.length), layout + " in place");
                }
            }
        } finally {
            pool.shutdown();
        }
    }

    /**
     * One large NCHW image spread over two threads (its groups' statistics and its map by slices of whole channels)
     * gives the bits of one thread, with γ and β set, for groups of many channels, of a few, and of one; out of place
     * at another offset, and in place.
     */
    @Test
    void oneLargeNchwImageGivesTheSequentialBitsWithGammaAndBeta() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            // {channels, spatial, groups}: images of 2^20 floats, which two threads spread (MIN_PARALLEL_FLOATS).
            int[][] cases = {{64, 16384, 2}, {64, 16384, 16}, {64, 16384, 64}, {256, 4096, 64}, {256, 4096, 128},
                {256, 4096, 256}};
            for (int[] k : cases) {
                int c = k[0];
                int spatial = k[1];
                SplittableRandom r = new SplittableRandom(c + k[2]);
                float[] x = NchwPropertyTest.gaussians(r, c * spatial, 3, 2);
                GroupNorm gn = GroupNorm.builder(c, k[2]).gamma(NchwPropertyTest.gaussians(r, c, 1, 0.3))
                        .beta(NchwPropertyTest.gaussians(r, c, 0, 0.3)).build();
                float[] spread = new float[x.length];
                gn.apply(x, 0, spread, 0, TensorLayout.NCHW, 1, spatial, Parallelism.of(pool, 2));
                float[] sequential = new float[x.length + 3];
                gn.apply(x, 0, sequential, 3, TensorLayout.NCHW, 1, spatial);
                String what = c + " channels in " + k[2] + " groups";
                assertArrayEquals(NormalizePropertyTest.bits(spread, 0, x.length),
                        NormalizePropertyTest.bits(sequential, 3, x.length), what);
                float[] inPlace = x.clone();
                gn.apply(inPlace, 0, inPlace, 0, TensorLayout.NCHW, 1, spatial);
                assertArrayEquals(NormalizePropertyTest.bits(spread, 0, x.length),
                        NormalizePropertyTest.bits(inPlace, 0, x.length), what + ", in place");
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void instanceNormOfOneImageIsBatchNormTraining() {
        Property.check("InstanceNorm of one image is BatchNorm.train on it, bit for bit", CASES, a -> {
            PlaneCase t = a.t();
            int c = t.channels();
            int image = c * t.spatial();
            float[] gamma = a.gamma() != null ? a.gamma() : LayerNorm.filled(c, 1f);
            float[] beta = a.beta() != null ? a.beta() : LayerNorm.filled(c, 0f);
            GroupNorm in = GroupNorm.instanceNorm(c).epsilon(a.epsilon()).gamma(gamma).beta(beta).build();
            for (TensorLayout layout : TensorLayout.values()) {
                float[] x = layout == TensorLayout.NCHW ? t.x() : t.nhwc().x();
                int offset = layout == TensorLayout.NCHW ? t.offset() : 0;
                float[] y = new float[image];
                float[] expected = new float[image];
                in.apply(x, offset, y, 0, layout, 1, t.spatial());
                BatchNorm bn = BatchNorm.builder(c).epsilon(a.epsilon()).gamma(gamma).beta(beta).build();
                TensorShape shape = new TensorShape(layout, 1, c, t.spatial());
                bn.train(x, offset, expected, 0, shape);
                assertArrayEquals(NormalizePropertyTest.bits(expected, 0, image), NormalizePropertyTest.bits(y, 0,
                        image), layout.toString());
            }
        });
    }

    /** Reads channel c at position p of one image. */
    interface At {
        float get(int c, int p);
    }

    /**
     * Checks every output of one image against the exact map of its groups' statistics {@code s}: the bounds of
     * BatchNorm's training map (the center a hi/lo pair of the double mean, the scale rounded once from double).
     */
    private static void assertImage(GroupCase a, Oracle.Stats s, int channels, int spatial, At x, At y, int image) {
        int perGroup = channels / a.groups();
        for (int c = 0; c < channels; c++) {
            int g = c / perGroup;
            double mu = s.mean()[g];
            double variance = s.variance(g);
            double gamma = a.gamma() != null ? a.gamma()[c] : 1;
            double beta = a.beta() != null ? a.beta()[c] : 0;
            double scale = gamma / Math.sqrt(variance + a.epsilon());
            double scaleRel = Oracle.U + 0.5 * s.varianceTolerance(g) / (variance + a.epsilon());
            for (int p = 0; p < spatial; p++) {
                double v = x.get(c, p);
                double expected = Oracle.normalize(v, mu, variance, gamma, beta, a.epsilon());
                double centerErr = s.meanTolerance(g) - Oracle.U * Math.abs(mu) + Oracle.U * Math.abs(v - mu);
                double tol = Oracle.affineTolerance(v, mu, scale, expected, centerErr, scaleRel);
                NormalizePropertyTest.assertElement(expected, false, y.get(c, p), tol, image * spatial + p, c);
            }
        }
    }

    /**
     * The statistics of groups of consecutive channels from those of the channels ({@code spatial} values each), with
     * the bounds of Chan's merge: a group's sum errs by the sum of its channels' errors, and its M2 moves by
     * 2(μ_c − μ_g) per unit error in channel c's sum; the merge's own double roundings (2⁻⁵³ relative) are charged
     * as {@link Oracle#DOUBLE_SLACK} of the group's M2.
     */
    static Oracle.Stats groupsOf(Oracle.Stats channels, int groups, int spatial) {
        int perGroup = channels.mean().length / groups;
        long n = (long) perGroup * spatial;
        double[] mean = new double[groups];
        double[] m2 = new double[groups];
        boolean[] nonFinite = new boolean[groups];
        double[] sumError = new double[groups];
        double[] m2Error = new double[groups];
        double[] sumAbs = new double[groups];
        for (int g = 0; g < groups; g++) {
            for (int c = g * perGroup; c < (g + 1) * perGroup; c++) {
                mean[g] += channels.mean()[c] / perGroup;
            }
            for (int c = g * perGroup; c < (g + 1) * perGroup; c++) {
                double d = channels.mean()[c] - mean[g];
                m2[g] += channels.m2()[c] + (double) spatial * d * d;
                nonFinite[g] |= channels.nonFinite()[c];
                sumError[g] += channels.sumError()[c];
                m2Error[g] += channels.m2Error()[c] + 2 * Math.abs(d) * channels.sumError()[c];
                sumAbs[g] += channels.sumAbs()[c];
            }
            m2Error[g] += Oracle.DOUBLE_SLACK * m2[g];
        }
        return new Oracle.Stats(n, mean, m2, nonFinite, sumError, m2Error, sumAbs);
    }
}
