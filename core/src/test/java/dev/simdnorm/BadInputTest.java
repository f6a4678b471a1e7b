package dev.simdnorm;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.Arrays;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Clear exceptions that name the argument, and nothing mutated. */
class BadInputTest {

    /**
     * The call throws {@code type} with a message that names {@code mentions} as a whole name: not inside another
     * word, so "x" is not found in "dx", "Index" or "0x1p3", nor "y" in "array", nor "x.length" in "dx.length".
     */
    static <T extends Throwable> void fails(Class<T> type, String mentions, Executable call) {
        T e = assertThrows(type, call);
        Pattern name = Pattern.compile("(?<![A-Za-z0-9_])" + Pattern.quote(mentions) + "(?![A-Za-z0-9_])");
        assertTrue(e.getMessage() != null && name.matcher(e.getMessage()).find(),
                "message should name '" + mentions + "': " + e.getMessage());
    }

    @Test
    void momentsRejectsBadArguments() {
        float[] x = new float[12];
        fails(NullPointerException.class, "x", () -> Moments.of(null, 0, 1, 1));
        fails(IllegalArgumentException.class, "channels", () -> Moments.of(x, 0, 1, 0));
        fails(IllegalArgumentException.class, "channels", () -> Moments.of(x, 0, 1, -3));
        fails(IllegalArgumentException.class, "rows", () -> Moments.of(x, 0, -1, 3));
        fails(IllegalArgumentException.class, "rows", () -> Moments.of(x, 0, 0, 3));
        fails(IndexOutOfBoundsException.class, "xOffset", () -> Moments.of(x, -1, 1, 3));
        fails(IndexOutOfBoundsException.class, "x.length", () -> Moments.of(x, 1, 4, 3));
        fails(IndexOutOfBoundsException.class, "x.length", () -> Moments.of(x, 12, 1, 1));
        // rows·channels overflows int: must be reported as out of range, never wrapped into range.
        fails(IndexOutOfBoundsException.class, "x.length", () -> Moments.of(x, 0, 65536, 65536));
        fails(IndexOutOfBoundsException.class, "x.length", () -> Moments.of(x, 0, Integer.MAX_VALUE, 3));
        Moments a = Moments.of(x, 0, 4, 3);
        fails(IllegalArgumentException.class, "channels", () -> a.merge(Moments.of(x, 0, 3, 4)));
        fails(NullPointerException.class, "other", () -> a.merge(null));
        fails(IllegalArgumentException.class, "m2", () -> Moments.ofSums(2, new double[] {0}, new double[] {-1}));
        fails(IllegalArgumentException.class, "count", () -> Moments.ofSums(0, new double[] {0}, new double[] {0}));
        assertThrows(IndexOutOfBoundsException.class, () -> a.mean(3));
    }

    @Test
    void channelAffineRejectsBadArguments() {
        float[] one = {1f};
        float[] two = {1f, 2f};
        fails(NullPointerException.class, "scale", () -> ChannelAffine.of(null, one));
        fails(NullPointerException.class, "shift", () -> ChannelAffine.of(one, null));
        fails(IllegalArgumentException.class, "channels", () -> ChannelAffine.of(new float[0], new float[0]));
        fails(IllegalArgumentException.class, "shift.length", () -> ChannelAffine.of(one, two));
        fails(IllegalArgumentException.class, "scale[0]", () -> ChannelAffine.of(new float[] {Float.NaN}, one));
        fails(IllegalArgumentException.class, "variance.length",
                () -> ChannelAffine.normalizing(one, two, one, one, 1e-3f));
        fails(IllegalArgumentException.class, "gamma.length",
                () -> ChannelAffine.normalizing(one, one, two, one, 1e-3f));
        fails(IllegalArgumentException.class, "beta.length",
                () -> ChannelAffine.normalizing(one, one, one, two, 1e-3f));
        fails(IllegalArgumentException.class, "variance[0]",
                () -> ChannelAffine.normalizing(one, new float[] {-1f}, one, one, 1e-3f));
        fails(IllegalArgumentException.class, "mean[0]",
                () -> ChannelAffine.normalizing(new float[] {Float.POSITIVE_INFINITY}, one, one, one, 1e-3f));
        for (float eps : new float[] {0f, -1e-3f, Float.NaN, Float.POSITIVE_INFINITY}) {
            fails(IllegalArgumentException.class, "epsilon", () -> ChannelAffine.normalizing(one, one, one, one, eps));
        }
        // A batch mean past float's range (sums given in double): its float center would be +Inf, every output −Inf.
        Moments farMean = Moments.ofSums(100, new double[] {1e39}, new double[] {1e76});
        fails(IllegalArgumentException.class, "mean[0]", () -> ChannelAffine.normalizing(farMean, one, one, 1e-3f));

        ChannelAffine map = ChannelAffine.of(two, two);
        float[] x = new float[8];
        float[] y = new float[8];
        fails(NullPointerException.class, "x", () -> map.apply(null, 0, y, 0, 1));
        fails(NullPointerException.class, "y", () -> map.apply(x, 0, null, 0, 1));
        fails(IllegalArgumentException.class, "rows", () -> map.apply(x, 0, y, 0, -1));
        fails(IndexOutOfBoundsException.class, "y.length", () -> map.apply(x, 0, y, 2, 4));
        fails(IndexOutOfBoundsException.class, "x.length", () -> map.apply(x, 1, y, 0, 4));
        fails(IndexOutOfBoundsException.class, "yOffset", () -> map.apply(x, 0, y, -2, 1));
        fails(IllegalArgumentException.class, "overlap", () -> map.apply(x, 0, x, 2, 3));
        fails(IndexOutOfBoundsException.class, "x.length", () -> map.apply(x, 0, y, 0, Integer.MAX_VALUE));
        ChannelAffine wide = ChannelAffine.of(new float[65536], new float[65536]);
        fails(IndexOutOfBoundsException.class, "x.length", () -> wide.apply(x, 0, y, 0, 65536));
        map.apply(x, 0, y, 0, 0); // zero rows is a valid no-op for normalize
    }

    @Test
    void builderRejectsBadArguments() {
        fails(IllegalArgumentException.class, "channels", () -> BatchNorm.builder(0));
        fails(IllegalArgumentException.class, "channels", () -> BatchNorm.builder(-1));
        BatchNormBuilder b = BatchNorm.builder(2);
        for (float eps : new float[] {0f, -1f, Float.NaN, Float.POSITIVE_INFINITY}) {
            fails(IllegalArgumentException.class, "epsilon", () -> b.epsilon(eps));
        }
        for (float m : new float[] {-0.01f, 1.01f, Float.NaN, Float.NEGATIVE_INFINITY}) {
            fails(IllegalArgumentException.class, "momentum", () -> b.momentum(m));
        }
        fails(IllegalArgumentException.class, "gamma.length", () -> b.gamma(new float[3]));
        fails(NullPointerException.class, "beta", () -> b.beta(null));
        fails(IllegalArgumentException.class, "runningMean.length", () -> b.runningMean(new float[1]));
        fails(IllegalArgumentException.class, "runningVariance[1]", () -> b.runningVariance(new float[] {1, -1}));
        fails(IllegalArgumentException.class, "gamma[0]", () -> b.gamma(new float[] {Float.NaN, 1}));
        fails(NullPointerException.class, "activation", () -> b.activation(null));
        fails(NullPointerException.class, "convention", () -> b.convention(null));
        // Cumulative averaging is PyTorch's momentum=None: not with another convention, not with a momentum.
        fails(IllegalStateException.class, "PYTORCH", () -> BatchNorm.builder(2).cumulativeAverage().build());
        fails(IllegalStateException.class, "momentum", () -> BatchNorm.builder(2).convention(Convention.PYTORCH)
                .momentum(0.1f).cumulativeAverage().build());
        fails(IllegalArgumentException.class, "momentum", () -> Convention.PYTORCH.convertMomentum(2f,
                Convention.KERAS));
        fails(NullPointerException.class, "target", () -> Convention.PYTORCH.convertMomentum(0.1f, null));
    }

    @Test
    void pytorchRefusesOneValuePerChannelAndChangesNothing() {
        BatchNorm bn = BatchNorm.builder(3).convention(Convention.PYTORCH).build();
        float[] x = {1, 2, 3, 4, 5, 6};
        float[] y = new float[6];
        fails(IllegalArgumentException.class, "more than 1 value per channel", () -> bn.train(x, 0, y, 0, 1));
        assertArrayEquals(new float[6], y, "y written by a failed call");
        assertArrayEquals(new float[] {0, 0, 0}, bn.runningMean());
        assertArrayEquals(new float[] {1, 1, 1}, bn.runningVariance());
        assertEquals(0, bn.batchesTracked());
        bn.train(x, 0, y, 0, 2);
        assertEquals(1, bn.batchesTracked());
        fails(IllegalArgumentException.class, "batchesTracked", () -> bn.setBatchesTracked(-1));
        assertEquals(1, bn.batchesTracked());
        // The other conventions accept a single row: its biased variance is 0 (TF fused clamps n − 1 to 1).
        for (Convention c : new Convention[] {Convention.TENSORFLOW, Convention.KERAS, Convention.TF_FUSED,
            Convention.ONNX}) {
            BatchNorm other = BatchNorm.builder(3).convention(c).build();
            other.train(x, 0, y, 0, 1);
            assertTrue(Float.isFinite(other.runningVariance()[0]), c.toString());
        }
    }

    @Test
    void failedCallsChangeNothing() {
        float[] gamma = {1.5f, 0.5f, 2f};
        float[] beta = {0.1f, -0.2f, 0.3f};
        BatchNorm bn = BatchNorm.builder(3).gamma(gamma).beta(beta).build();
        float[] x = new float[30];
        for (int i = 0; i < x.length; i++) {
            x[i] = i * 0.37f - 4f;
        }
        bn.train(x, 0, new float[30], 0, 10);
        float[] rm = bn.runningMean();
        float[] rv = bn.runningVariance();
        float[] y = new float[30];
        Arrays.fill(y, 7f);
        float[] yBefore = y.clone();

        fails(IndexOutOfBoundsException.class, "y.length", () -> bn.train(x, 0, y, 3, 10));
        fails(IndexOutOfBoundsException.class, "x.length", () -> bn.train(x, 1, y, 0, 10));
        fails(IllegalArgumentException.class, "rows", () -> bn.train(x, 0, y, 0, 0));
        fails(IllegalArgumentException.class, "rows", () -> bn.train(x, 0, y, 0, -5));
        fails(NullPointerException.class, "y", () -> bn.train(x, 0, null, 0, 1));
        fails(IllegalArgumentException.class, "overlap", () -> bn.train(x, 0, x, 3, 5));
        fails(IndexOutOfBoundsException.class, "x.length", () -> bn.inference(x, 0, y, 0, 11));
        fails(IndexOutOfBoundsException.class, "x.length", () -> bn.train(x, 0, y, 0, Integer.MAX_VALUE));
        fails(IndexOutOfBoundsException.class, "x.length", () -> bn.inference(x, 0, y, 0, Integer.MAX_VALUE));
        fails(NullPointerException.class, "x", () -> bn.inference(null, 0, y, 0, 1));
        fails(NullPointerException.class, "x", () -> bn.train(null, 0, y, 0, 1));
        fails(IllegalArgumentException.class, "rows", () -> bn.inference(x, 0, y, 0, -1));
        fails(IndexOutOfBoundsException.class, "yOffset", () -> bn.inference(x, 0, y, -1, 1));
        fails(IllegalArgumentException.class, "gamma.length", () -> bn.setGamma(new float[2]));
        fails(IllegalArgumentException.class, "beta[2]", () -> bn.setBeta(new float[] {0, 0, Float.NaN}));
        fails(IllegalArgumentException.class, "runningMean.length", () -> bn.setRunningMean(new float[4]));
        fails(IllegalArgumentException.class, "runningVariance[0]",
                () -> bn.setRunningVariance(new float[] {-1, 1, 1}));

        assertArrayEquals(rm, bn.runningMean(), "running mean changed by a failed call");
        assertArrayEquals(rv, bn.runningVariance(), "running variance changed by a failed call");
        assertArrayEquals(gamma, bn.gamma(), "gamma changed by a failed call");
        assertArrayEquals(beta, bn.beta(), "beta changed by a failed call");
        assertArrayEquals(yBefore, y, "y written by a failed call");

        // Getters return copies: writing into them changes nothing.
        bn.gamma()[0] = 99f;
        bn.runningMean()[0] = 99f;
        assertArrayEquals(gamma, bn.gamma());
        assertArrayEquals(rm, bn.runningMean());
    }

    @Test
    void backwardRejectsBadArgumentsAndChangesNothing() {
        float[] gamma = {1.5f, 0.5f, 2f};
        float[] beta = {0.1f, -0.2f, 0.3f};
        BatchNorm bn = BatchNorm.builder(3).gamma(gamma).beta(beta).activation(Activation.RELU).build();
        float[] x = new float[60];
        float[] dy = new float[60];
        for (int i = 0; i < x.length; i++) {
            x[i] = i * 0.37f - 4f;
            dy[i] = (float) Math.cos(i);
        }
        Moments batch = bn.train(x, 0, new float[30], 0, 10);
        float[] rm = bn.runningMean();
        float[] rv = bn.runningVariance();
        float[] dx = new float[60];
        Arrays.fill(dx, 7f);
        float[] xBefore = x.clone();
        float[] dyBefore = dy.clone();
        float[] dxBefore = dx.clone();

        fails(NullPointerException.class, "batch", () -> bn.backward(x, 0, dy, 0, dx, 0, 10, null));
        fails(NullPointerException.class, "x", () -> bn.backward(null, 0, dy, 0, dx, 0, 10, batch));
        fails(NullPointerException.class, "dy", () -> bn.backward(x, 0, null, 0, dx, 0, 10, batch));
        fails(NullPointerException.class, "dx", () -> bn.backward(x, 0, dy, 0, null, 0, 10, batch));
        fails(IndexOutOfBoundsException.class, "xOffset", () -> bn.backward(x, -1, dy, 0, dx, 0, 10, batch));
        fails(IndexOutOfBoundsException.class, "dyOffset", () -> bn.backward(x, 0, dy, -1, dx, 0, 10, batch));
        fails(IndexOutOfBoundsException.class, "dxOffset", () -> bn.backward(x, 0, dy, 0, dx, -1, 10, batch));
        fails(IndexOutOfBoundsException.class, "x.length", () -> bn.backward(x, 31, dy, 0, dx, 0, 10, batch));
        fails(IndexOutOfBoundsException.class, "dy.length", () -> bn.backward(x, 0, dy, 31, dx, 0, 10, batch));
        fails(IndexOutOfBoundsException.class, "dx.length", () -> bn.backward(x, 0, dy, 0, dx, 31, 10, batch));
        fails(IndexOutOfBoundsException.class, "x.length",
                () -> bn.backward(x, 0, dy, 0, dx, 0, Integer.MAX_VALUE, batch));
        fails(IllegalArgumentException.class, "rows", () -> bn.backward(x, 0, dy, 0, dx, 0, -1, batch));
        // The moments of other rows: the formula would silently be wrong.
        fails(IllegalArgumentException.class, "batch.count()", () -> bn.backward(x, 0, dy, 0, dx, 0, 9, batch));
        fails(IllegalArgumentException.class, "batch.count()", () -> bn.backward(x, 0, dy, 0, dx, 0, 0, batch));
        Moments twoChannels = Moments.of(x, 0, 15, 2);
        fails(IllegalArgumentException.class, "channels", () -> bn.backward(x, 0, dy, 0, dx, 0, 10, twoChannels));
        fails(IllegalArgumentException.class, "x and dx overlap", () -> bn.backward(x, 0, dy, 0, x, 3, 10, batch));
        fails(IllegalArgumentException.class, "dy and dx overlap", () -> bn.backward(x, 0, dy, 0, dy, 29, 10, batch));
        // A batch mean past float's range (sums given in double): the map's center would be +Inf, dx NaN or 0.
        Moments farMean = Moments.ofSums(10, new double[] {1e39, 0, 0}, new double[] {1, 1, 1});
        fails(IllegalArgumentException.class, "mean[0]", () -> bn.backward(x, 0, dy, 0, dx, 0, 10, farMean));
        // An infinite M2 with a finite mean (bytes made by hand; no data give one), with which dx would silently be
        // 0: no Moments holds one now, as fromBytes rejects it (backward's own check stays, as the arrays' form's).
        byte[] bytes = batch.toBytes();
        java.nio.ByteBuffer.wrap(bytes).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putDouble(bytes.length - 8, Double.POSITIVE_INFINITY);
        fails(IllegalArgumentException.class, "m2[2] in bytes", () -> Moments.fromBytes(bytes));
        fails(IllegalArgumentException.class, "mean[0]", () -> bn.backward(x, 0, dy, 0, dx, 0, 10,
                new double[] {1e39, 0, 0}, new double[] {1, 1, 1}, new float[3], new float[3]));
        // No rows: no batch train takes (it rejects rows < 1), so no batch statistics; dγ and dβ stay unwritten.
        float[] dGamma = {7f, 7f, 7f};
        float[] dBeta = {7f, 7f, 7f};
        fails(IllegalArgumentException.class, "rows", () -> bn.backward(x, 0, dy, 0, dx, 0, 0,
                new double[] {0, 0, 0}, new double[] {1, 1, 1}, dGamma, dBeta));
        assertArrayEquals(new float[] {7f, 7f, 7f}, dGamma, "dγ after a failed call");
        assertArrayEquals(new float[] {7f, 7f, 7f}, dBeta, "dβ after a failed call");

        fails(NullPointerException.class, "x", () -> bn.backwardInference(null, 0, dy, 0, dx, 0, 10));
        fails(NullPointerException.class, "dy", () -> bn.backwardInference(x, 0, null, 0, dx, 0, 10));
        fails(NullPointerException.class, "dx", () -> bn.backwardInference(x, 0, dy, 0, null, 0, 10));
        fails(IllegalArgumentException.class, "rows", () -> bn.backwardInference(x, 0, dy, 0, dx, 0, -1));
        fails(IndexOutOfBoundsException.class, "dx.length", () -> bn.backwardInference(x, 0, dy, 0, dx, 40, 10));
        fails(IndexOutOfBoundsException.class, "dyOffset", () -> bn.backwardInference(x, 0, dy, -3, dx, 0, 10));
        fails(IllegalArgumentException.class, "x and dx overlap", () -> bn.backwardInference(x, 3, dy, 0, x, 0, 10));
        fails(IllegalArgumentException.class, "dy and dx overlap",
                () -> bn.backwardInference(x, 0, dy, 1, dy, 0, 10));

        assertArrayEquals(dxBefore, dx, "dx written by a failed call");
        assertArrayEquals(xBefore, x, "x written by a failed call");
        assertArrayEquals(dyBefore, dy, "dy written by a failed call");
        assertArrayEquals(rm, bn.runningMean(), "running mean changed by a failed call");
        assertArrayEquals(rv, bn.runningVariance(), "running variance changed by a failed call");
        assertArrayEquals(gamma, bn.gamma(), "gamma changed by a failed call");
        assertArrayEquals(beta, bn.beta(), "beta changed by a failed call");

        // Zero rows is a valid no-op for the gradient of inference: empty sums, nothing written.
        Gradients none = bn.backwardInference(x, 0, dy, 0, dx, 0, 0);
        assertArrayEquals(new float[3], none.dGamma());
        assertArrayEquals(new float[3], none.dBeta());
        assertArrayEquals(dxBefore, dx);
        // Gradients returns copies: writing into them changes nothing.
        none.dGamma()[0] = 99f;
        assertArrayEquals(new float[3], none.dGamma());
    }
}
