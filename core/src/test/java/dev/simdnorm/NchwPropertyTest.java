package dev.simdnorm;

import dev.simdnorm.prop.Distribution;
import dev.simdnorm.prop.Gen;
import dev.simdnorm.prop.PlaneCase;
import dev.simdnorm.prop.Property;
import dev.simdnorm.prop.TensorCase;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The NCHW entry points: statistics against the double oracle with the NCHW blocks' bounds, and every result against
 * the NHWC result on the same values transposed (statistics within both bounds, since the two sum in different
 * orders; normalize, training output and inference bit for bit, since each element gets the same arithmetic).
 */
class NchwPropertyTest {

    @Test
    void momentsMatchDoubleTwoPassOracle() {
        Property.check("NCHW moments within error bounds of a double two-pass computation", PlaneCase.gen(200_000),
                t -> {
                    Moments m = Moments.of(t.x(), t.offset(), TensorShape.nchw(t.n(), t.channels(), t.spatial()));
                    assertEquals((long) t.n() * t.spatial(), m.count());
                    assertEquals(t.channels(), m.channels());
                    MomentsPropertyTest.assertMatches(oracle(t), m);
                });
    }

    static Oracle.Stats oracle(PlaneCase t) {
        return Oracle.planeMoments(t.x(), t.offset(), t.n(), t.channels(), t.spatial());
    }

    @Test
    void momentsMatchNhwcOfTheTransposeWithinBothBounds() {
        Property.check("NCHW moments equal NHWC moments of the transpose within both bounds", PlaneCase.gen(100_000),
                t -> {
                    TensorCase h = t.nhwc();
                    Moments planes = Moments.of(t.x(), t.offset(), TensorShape.nchw(t.n(), t.channels(), t.spatial()));
                    Moments rows = Moments.of(h.x(), h.offset(), TensorShape.nhwc(t.n(), t.spatial(), t.channels()));
                    Moments direct = Moments.of(h.x(), h.offset(), h.rows(), h.channels());
                    Oracle.Stats a = oracle(t);
                    Oracle.Stats b = Oracle.moments(h.x(), h.offset(), h.rows(), h.channels());
                    for (int c = 0; c < t.channels(); c++) {
                        // The NHWC overload that takes a layout is the rows API with rows = n·spatial.
                        assertEquals(direct.meanAsDouble(c), rows.meanAsDouble(c), "NHWC mean by layout, " + c);
                        assertEquals(direct.varianceAsDouble(c), rows.varianceAsDouble(c), "NHWC var by layout, " + c);
                        if (a.nonFinite()[c]) {
                            assertFalse(Float.isFinite(planes.variance(c)), "non-finite data, finite variance");
                            continue;
                        }
                        // Both sit within their own bound of the same exact moments (the oracles agree: they take
                        // the values in the same order), so they differ by at most the sum of the bounds.
                        MomentsPropertyTest.assertWithin(rows.mean(c), planes.mean(c),
                                a.meanTolerance(c) + b.meanTolerance(c), "mean vs NHWC", c);
                        MomentsPropertyTest.assertWithin(rows.variance(c), planes.variance(c),
                                a.varianceTolerance(c) + b.varianceTolerance(c), "variance vs NHWC", c);
                    }
                });
    }

    /** A tensor, a map and an output placement. */
    record MapCase(PlaneCase t, ChannelAffine map, int yOffset, int yPad) {
    }

    /** Per-channel N(mean, sd²) floats. */
    static float[] gaussians(SplittableRandom r, int channels, double mean, double sd) {
        float[] a = new float[channels];
        for (int c = 0; c < channels; c++) {
            a[c] = (float) (mean + sd * r.nextGaussian());
        }
        return a;
    }

    /** Maps of each kind: scale and shift only, from float statistics, and from batch moments (a hi/lo center). */
    static final Gen<MapCase> MAPS = ch -> {
        PlaneCase t = PlaneCase.gen(100_000).generate(ch);
        int c = t.channels();
        SplittableRandom r = new SplittableRandom(ch.seed());
        float[] gamma = gaussians(r, c, 1, 0.5);
        float[] beta = gaussians(r, c, 0, 1);
        ChannelAffine map = switch (ch.between(0, 2)) {
            case 0 -> ChannelAffine.of(gamma, beta);
            case 1 -> {
                float[] variance = gaussians(r, c, 0, 3);
                for (int i = 0; i < c; i++) {
                    variance[i] = Math.abs(variance[i]);
                }
                yield ChannelAffine.normalizing(gaussians(r, c, 0, 1), variance, gamma, beta, 1e-3f);
            }
            default -> ChannelAffine.normalizing(Moments.of(t.nhwc().x(), 0, t.n() * t.spatial(), c), gamma, beta,
                    1e-5f);
        };
        map = map.withActivation(ch.oneIn(2) ? Activation.RELU : Activation.NONE);
        return new MapCase(t, map, ch.between(0, 20), ch.between(0, 3));
    };

    @Test
    void normalizeIsTheTransposeOfNhwcBitForBit() {
        Property.check("NCHW normalize equals NHWC normalize of the transpose, bit for bit, also in place", MAPS,
                a -> {
                    PlaneCase t = a.t();
                    float[] y = NormalizePropertyTest.poisoned(a.yOffset() + t.length() + a.yPad());
                    a.map().apply(t.x(), t.offset(), y, a.yOffset(), TensorShape.nchw(t.n(), t.channels(), t.spatial()));
                    float[] expected = nhwcNormalized(a.map(), t);
                    assertSameBits(expected, y, a.yOffset(), "out of place");
                    NormalizePropertyTest.assertUntouchedOutside(y, a.yOffset(), t.length());
                    float[] inPlace = t.x().clone();
                    a.map().apply(inPlace, t.offset(), inPlace, t.offset(), TensorShape.nchw(t.n(), t.channels(), t.spatial()));
                    assertSameBits(expected, inPlace, t.offset(), "in place");
                });
    }

    /** The map applied to the NHWC form of the case, through the rows API, turned back into NCHW. */
    static float[] nhwcNormalized(ChannelAffine map, PlaneCase t) {
        TensorCase h = t.nhwc();
        float[] y = new float[h.length()];
        map.apply(h.x(), h.offset(), y, 0, h.rows());
        return t.toNchw(y, 0);
    }

    static void assertSameBits(float[] expected, float[] actual, int offset, String what) {
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[offset + i])) {
                throw new AssertionError(what + ", element " + i + ": " + actual[offset + i] + ", expected "
                        + expected[i]);
            }
        }
    }

    /** Training steps on NCHW batches of one channel count but any n and spatial, then an inference. */
    record TrainCase(float[] gamma, float[] beta, float momentum, boolean relu, List<PlaneCase> steps,
                     PlaneCase inference, Convention convention) {
    }

    static final Gen<TrainCase> TRAINING = ch -> {
        PlaneCase first = PlaneCase.gen(60_000, BatchNormPropertyTest.FINITE).generate(ch);
        int c = first.channels();
        List<PlaneCase> steps = new ArrayList<>(List.of(first));
        for (int k = ch.between(0, 2); k > 0; k--) {
            int spatial = PlaneCase.EDGE_SPATIAL[ch.between(0, 9)];
            steps.add(PlaneCase.make(ch.between(0, 9), ch.between(1, Math.max(1, 60_000 / (c * spatial))), c, spatial,
                    ch.between(0, 2), ch.oneOf(BatchNormPropertyTest.FINITE), ch.seed()));
        }
        // An empty inference (n = 0) one case in ten: it must write nothing, but checks no map.
        PlaneCase inference = PlaneCase.make(ch.between(0, 9), ch.oneIn(10) ? 0 : ch.between(1, 4), c,
                ch.between(0, 300), 1, ch.oneOf(Distribution.values()), ch.seed());
        SplittableRandom r = new SplittableRandom(ch.seed());
        return new TrainCase(gaussians(r, c, 1, 0.3), gaussians(r, c, 0, 0.3), ch.oneOf(0.99f, 0.9f, 0f, 1f),
                ch.oneIn(2), steps, inference, ch.oneOf(Convention.values()));
    };

    /**
     * A training step in NCHW is the batch moments (within the oracle's bounds), the map they define applied as in
     * NHWC (bit for bit) and the convention's running update of those moments over all N·H·W values (bit for bit;
     * the conventions whose update takes the count, PyTorch's unbiased variance, tell a count of N from N·H·W);
     * inference is the NHWC inference of the transpose, bit for bit. The NHWC tests check each of those against
     * double precision, and the conventions' updates against the frameworks' files.
     */
    @Test
    void trainAndInferenceAreTheNhwcStepsOnTheTranspose() {
        Property.check("NCHW train and inference equal their NHWC parts on the transpose", 100, TRAINING, k -> {
            int channels = k.gamma().length;
            float epsilon = 1e-3f;
            Activation activation = k.relu() ? Activation.RELU : Activation.NONE;
            BatchNorm bn = BatchNorm.builder(channels).convention(k.convention()).gamma(k.gamma()).beta(k.beta())
                    .momentum(k.momentum()).epsilon(epsilon).activation(activation).build();
            for (PlaneCase t : k.steps()) {
                if (k.convention() == Convention.PYTORCH && (long) t.n() * t.spatial() < 2) {
                    continue; // an unbiased variance needs two values
                }
                float[] mean = bn.runningMean();
                float[] variance = bn.runningVariance();
                float[] y = NormalizePropertyTest.poisoned(t.x().length);
                Moments batch = bn.train(t.x(), t.offset(), y, t.offset(), TensorShape.nchw(t.n(), t.channels(), t.spatial()));
                MomentsPropertyTest.assertMatches(oracle(t), batch);
                ChannelAffine map = ChannelAffine.normalizing(batch, k.gamma(), k.beta(), epsilon)
                        .withActivation(activation);
                assertSameBits(nhwcNormalized(map, t), y, t.offset(), "training output");
                NormalizePropertyTest.assertUntouchedOutside(y, t.offset(), t.length());
                // The batch as the framework reports it to its update: the variance unbiased for PyTorch and TF's
                // fused op, from the moments over all N·H·W values.
                float[] reported = k.convention().unbiasedInUpdate() ? batch.sampleVariances() : batch.variances();
                bn.updateRunning(mean, variance, batch.means(), reported, batch.count(), bn.batchesTracked());
                assertArrayEquals(mean, bn.runningMean(), "running mean, " + k.convention());
                assertArrayEquals(variance, bn.runningVariance(), "running variance, " + k.convention());
                assertEquals((long) t.n() * t.spatial(), batch.count(), "the batch's count: N·H·W");
            }
            PlaneCase t = k.inference();
            float[] y = NormalizePropertyTest.poisoned(t.x().length);
            bn.inference(t.x(), t.offset(), y, t.offset(), TensorShape.nchw(t.n(), t.channels(), t.spatial()));
            TensorCase h = t.nhwc();
            float[] expected = new float[h.length()];
            bn.inference(h.x(), h.offset(), expected, 0, h.rows());
            assertSameBits(t.toNchw(expected, 0), y, t.offset(), "inference");
            NormalizePropertyTest.assertUntouchedOutside(y, t.offset(), t.length());
        });
    }
}
