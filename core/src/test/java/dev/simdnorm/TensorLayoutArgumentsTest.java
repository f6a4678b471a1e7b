package dev.simdnorm;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;

import static dev.simdnorm.BadInputTest.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * Tensor shapes: a bad shape cannot be built ({@link TensorShape}'s own checks, each lambda below constructing it), and
 * the overloads that take a shape reject what only they can check (null shape, channels other than the map's or the
 * layer's, offsets, lengths, overflow, overlap, empty batches for statistics) with clear exceptions that name the
 * argument, and nothing mutated.
 */
class TensorLayoutArgumentsTest {

    static final int MAX = Integer.MAX_VALUE;

    @ParameterizedTest
    @EnumSource(TensorLayout.class)
    void shapesRejectBadDimensions(TensorLayout layout) {
        fails(NullPointerException.class, "layout", () -> new TensorShape(null, 1, 1, 1));
        fails(IllegalArgumentException.class, "channels", () -> new TensorShape(layout, 1, 0, 1));
        // Past 2^28 channels the per-channel arrays could not be laid out.
        fails(IllegalArgumentException.class, "channels", () -> new TensorShape(layout, MAX, (1 << 28) + 1, MAX));
        fails(IllegalArgumentException.class, "n must", () -> new TensorShape(layout, -1, 3, 1));
        fails(IllegalArgumentException.class, "spatial must", () -> new TensorShape(layout, 1, 3, -2));
        fails(IllegalArgumentException.class, "n must", () -> TensorShape.nhwc(-1, 1, 3));
        fails(IllegalArgumentException.class, "spatial must", () -> TensorShape.nchw(1, 3, -1));
        fails(IllegalArgumentException.class, "channels", () -> TensorShape.nhwc(1, 1, 0));
        new TensorShape(layout, 0, 1 << 28, 0); // the extremes that are allowed
    }

    @ParameterizedTest
    @EnumSource(TensorLayout.class)
    void momentsRejectBadShapes(TensorLayout layout) {
        float[] x = new float[12];
        fails(NullPointerException.class, "x", () -> Moments.of(null, 0, new TensorShape(layout, 1, 1, 1)));
        fails(IllegalArgumentException.class, "n must", () -> Moments.of(x, 0, new TensorShape(layout, 0, 3, 1)));
        fails(IllegalArgumentException.class, "spatial must", () -> Moments.of(x, 0, new TensorShape(layout, 1, 3, 0)));
        fails(IndexOutOfBoundsException.class, "xOffset", () -> Moments.of(x, -1, new TensorShape(layout, 1, 3, 1)));
        fails(IndexOutOfBoundsException.class, "x.length", () -> Moments.of(x, 1, new TensorShape(layout, 2, 3, 2)));
        // n·channels·spatial overflows int, or nearly long: out of range, never wrapped into range; beyond long, no
        // shape is made.
        fails(IndexOutOfBoundsException.class, "x.length",
                () -> Moments.of(x, 0, new TensorShape(layout, 65536, 65536, 65536)));
        fails(IndexOutOfBoundsException.class, "x.length",
                () -> Moments.of(x, 0, new TensorShape(layout, MAX, 1 << 28, 16)));
        fails(IllegalArgumentException.class, "N·C·H·W", () -> new TensorShape(layout, MAX, 1 << 28, MAX));
        fails(IndexOutOfBoundsException.class, "x.length", () -> Moments.of(x, 0, new TensorShape(layout, 2, 1, MAX)));
        fails(IndexOutOfBoundsException.class, "x.length", () -> Moments.of(x, MAX, new TensorShape(layout, 1, 1, 1)));
        fails(NullPointerException.class, "shape", () -> Moments.of(x, 0, (TensorShape) null));
        Moments.of(x, 0, new TensorShape(layout, 2, 3, 2)); // exactly fills x
    }

    @ParameterizedTest
    @EnumSource(TensorLayout.class)
    void applyRejectsBadShapes(TensorLayout layout) {
        ChannelAffine map = ChannelAffine.of(new float[] {1, 2}, new float[] {3, 4});
        float[] x = new float[8];
        float[] y = new float[8];
        fails(NullPointerException.class, "x", () -> map.apply(null, 0, y, 0, new TensorShape(layout, 1, 2, 1)));
        fails(NullPointerException.class, "y", () -> map.apply(x, 0, null, 0, new TensorShape(layout, 1, 2, 1)));
        fails(IndexOutOfBoundsException.class, "yOffset",
                () -> map.apply(x, 0, y, -1, new TensorShape(layout, 1, 2, 1)));
        fails(IndexOutOfBoundsException.class, "x.length",
                () -> map.apply(x, 1, y, 0, new TensorShape(layout, 2, 2, 2)));
        fails(IndexOutOfBoundsException.class, "y.length",
                () -> map.apply(x, 0, y, 2, new TensorShape(layout, 2, 2, 2)));
        fails(IndexOutOfBoundsException.class, "x.length",
                () -> map.apply(x, 0, y, 0, new TensorShape(layout, MAX, 2, MAX)));
        fails(IllegalArgumentException.class, "overlap", () -> map.apply(x, 0, x, 2, new TensorShape(layout, 1, 2, 3)));
        fails(IllegalArgumentException.class, "channels", () -> map.apply(x, 0, y, 0, new TensorShape(layout, 1, 3, 2)));
        fails(NullPointerException.class, "shape", () -> map.apply(x, 0, y, 0, (TensorShape) null));
        // Empty tensors are valid no-ops, even where n·channels alone would not fit in an int.
        map.apply(x, 0, y, 0, new TensorShape(layout, 0, 2, 5));
        map.apply(x, 0, y, 0, new TensorShape(layout, MAX, 2, 0));
        map.apply(x, 8, y, 8, new TensorShape(layout, 3, 2, 0));
        assertArrayEquals(new float[8], y, "an empty tensor wrote y");
    }

    @ParameterizedTest
    @EnumSource(TensorLayout.class)
    void failedTrainingAndInferenceChangeNothing(TensorLayout layout) {
        float[] gamma = {1.5f, 0.5f, 2f};
        BatchNorm bn = BatchNorm.builder(3).gamma(gamma).build();
        float[] x = new float[30];
        for (int i = 0; i < x.length; i++) {
            x[i] = i * 0.37f - 4f;
        }
        bn.train(x, 0, new float[30], 0, new TensorShape(layout, 2, 3, 5));
        float[] rm = bn.runningMean();
        float[] rv = bn.runningVariance();
        float[] y = new float[30];
        Arrays.fill(y, 7f);
        float[] yBefore = y.clone();

        fails(NullPointerException.class, "shape", () -> bn.train(x, 0, y, 0, (TensorShape) null));
        fails(NullPointerException.class, "shape", () -> bn.inference(x, 0, y, 0, (TensorShape) null));
        fails(IllegalArgumentException.class, "channels", () -> bn.train(x, 0, y, 0, new TensorShape(layout, 2, 2, 5)));
        fails(IllegalArgumentException.class, "channels",
                () -> bn.inference(x, 0, y, 0, new TensorShape(layout, 2, 4, 5)));
        fails(NullPointerException.class, "y", () -> bn.train(x, 0, null, 0, new TensorShape(layout, 2, 3, 5)));
        fails(IndexOutOfBoundsException.class, "y.length",
                () -> bn.train(x, 0, y, 3, new TensorShape(layout, 2, 3, 5)));
        fails(IndexOutOfBoundsException.class, "x.length",
                () -> bn.train(x, 1, y, 0, new TensorShape(layout, 2, 3, 5)));
        fails(IndexOutOfBoundsException.class, "x.length",
                () -> bn.train(x, 0, y, 0, new TensorShape(layout, MAX, 3, MAX / 2)));
        fails(IllegalArgumentException.class, "n must", () -> bn.train(x, 0, y, 0, new TensorShape(layout, 0, 3, 5)));
        fails(IllegalArgumentException.class, "spatial must",
                () -> bn.train(x, 0, y, 0, new TensorShape(layout, 2, 3, 0)));
        fails(IllegalArgumentException.class, "overlap", () -> bn.train(x, 0, x, 3, new TensorShape(layout, 1, 3, 5)));
        fails(IndexOutOfBoundsException.class, "x.length",
                () -> bn.inference(x, 0, y, 0, new TensorShape(layout, 2, 3, 6)));

        assertArrayEquals(rm, bn.runningMean(), "running mean changed by a failed call");
        assertArrayEquals(rv, bn.runningVariance(), "running variance changed by a failed call");
        assertArrayEquals(yBefore, y, "y written by a failed call");
    }
}
