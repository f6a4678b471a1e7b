package dev.simdnorm.jmh;

import dev.simdnorm.BatchNorm;
import dev.simdnorm.ChannelAffine;
import dev.simdnorm.KernelSelection;
import dev.simdnorm.Moments;
import dev.simdnorm.TensorLayout;
import dev.simdnorm.TensorShape;

import java.time.Duration;

/**
 * What users call, on the data of {@link Workload}: {@code BatchNorm.inference} (also in place), {@code train} (with
 * its running update), {@code Moments.of} and {@code ChannelAffine.apply}, NHWC or NCHW. The setup waits for the
 * kernel warm-up, so that every measured call runs the kernels this JVM chose.
 */
abstract class Api extends Workload {

    BatchNorm layer;
    ChannelAffine map;
    /** A layer whose map is the identity (scale exactly 1, center and shift 0), so in-place calls can repeat. */
    BatchNorm identity;
    /** The in-place buffer: x's values, normalized into themselves by {@link #identity}. */
    float[] inPlace;
    TensorLayout tensorLayout;
    /** The tensor's shape, held as an engine holds one per layer. */
    TensorShape tensorShape;
    double[] batchMean;
    double[] batchVariance;

    void initApi(Shape shape, String layout) {
        init(null, shape, layout);
        tensorLayout = TensorLayout.valueOf(layout);
        tensorShape = new TensorShape(tensorLayout, n, channels, spatial);
        float[] mean = new float[channels];
        float[] variance = new float[channels];
        for (int c = 0; c < channels; c++) {
            mean[c] = 0.1f * c;
            variance[c] = 1.5f;
        }
        layer = BatchNorm.builder(channels).runningMean(mean).runningVariance(variance).build();
        map = ChannelAffine.normalizing(mean, variance, layer.gamma(), layer.beta(), layer.epsilon());
        identity = identityLayer(channels);
        inPlace = x.clone();
        batchMean = new double[channels];
        batchVariance = new double[channels];
        if (!KernelSelection.warmUp(Duration.ofSeconds(60))) {
            throw new IllegalStateException("the kernels did not warm up in 60 s");
        }
    }

    /** A running variance near 1 − ε whose map's scale 1/√(variance + ε) rounds to exactly 1. */
    private static BatchNorm identityLayer(int channels) {
        float[] variance = new float[channels];
        float v = 1f - 1e-3f;
        for (int tries = 0; tries < 64; tries++) {
            java.util.Arrays.fill(variance, v);
            BatchNorm bn = BatchNorm.builder(channels).runningVariance(variance).build();
            if (bn.inferenceMap().scale()[0] == 1f) {
                return bn;
            }
            v = tries % 2 == 0 ? Math.nextUp(v) : Math.nextDown(Math.nextDown(v));
        }
        throw new IllegalStateException("no variance gives a scale of exactly 1");
    }

    float[] inference() {
        if (tensorLayout == TensorLayout.NHWC) {
            layer.inference(x, 0, y, 0, rows);
        } else {
            layer.inference(x, 0, y, 0, tensorShape);
        }
        return y;
    }

    float[] inferenceInPlace() {
        if (tensorLayout == TensorLayout.NHWC) {
            identity.inference(inPlace, 0, inPlace, 0, rows);
        } else {
            identity.inference(inPlace, 0, inPlace, 0, tensorShape);
        }
        return inPlace;
    }

    Moments train() {
        return tensorLayout == TensorLayout.NHWC ? layer.train(x, 0, y, 0, rows)
                : layer.train(x, 0, y, 0, tensorShape);
    }

    /** The allocation-free training step: batch statistics into the caller's arrays (NHWC only). */
    double[] trainInto() {
        layer.train(x, 0, y, 0, rows, batchMean, batchVariance);
        return batchVariance;
    }

    Moments moments() {
        return tensorLayout == TensorLayout.NHWC ? Moments.of(x, 0, rows, channels)
                : Moments.of(x, 0, tensorShape);
    }

    float[] apply() {
        if (tensorLayout == TensorLayout.NHWC) {
            map.apply(x, 0, y, 0, rows);
        } else {
            map.apply(x, 0, y, 0, tensorShape);
        }
        return y;
    }
}
