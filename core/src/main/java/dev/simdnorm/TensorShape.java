package dev.simdnorm;

/**
 * The shape of a four-dimensional float tensor of N images, C channels and H·W positions, and how it lies in a flat
 * array ({@link TensorLayout}). Each factory takes the dimensions in the order they lie in memory, outermost first, and
 * its name says the layout, so a call reads as the tensor is stored:
 *
 * <pre>{@code
 * TensorShape.nhwc(8, 28 * 28, 64)    // x[(n·H·W + s)·C + c]: TensorFlow's default
 * TensorShape.nchw(8, 64, 28 * 28)    // x[(n·C + c)·H·W + s]: PyTorch's and ONNX's
 * }</pre>
 *
 * <p>The overloads that take a shape check its channels against the layer's or map's. Immutable and thread-safe;
 * hold one per layer of a model to call without allocating.
 *
 * @param layout   how the tensor lies in memory
 * @param n        N, ≥ 0
 * @param channels C, ≥ 1
 * @param spatial  H·W, ≥ 0
 */
public record TensorShape(TensorLayout layout, int n, int channels, int spatial) {

    /**
     * Checks the dimensions.
     *
     * @throws NullPointerException     if {@code layout} is null
     * @throws IllegalArgumentException if {@code n} or {@code spatial} is negative, {@code channels} is not in
     *                                  [1, 2²⁸], or N·C·H·W passes 2⁶³ − 1 (no memory holds it, and {@link #floats}
     *                                  would not)
     */
    public TensorShape {
        Check.layout(layout);
        Check.nonNegative(n, "n");
        Check.channels(channels);
        Check.nonNegative(spatial, "spatial");
        if (Math.multiplyHigh((long) n * channels, spatial) != 0 || (long) n * channels * spatial < 0) {
            throw new IllegalArgumentException("N·C·H·W = " + n + "·" + channels + "·" + spatial
                    + " passes 2^63 - 1 floats");
        }
    }

    /**
     * Channels innermost: N images of H·W positions of C channels.
     *
     * @param n        N
     * @param spatial  H·W
     * @param channels C
     * @return the shape
     * @throws IllegalArgumentException as the constructor
     */
    public static TensorShape nhwc(int n, int spatial, int channels) {
        return new TensorShape(TensorLayout.NHWC, n, channels, spatial);
    }

    /**
     * Planes: N images of C channels of H·W positions.
     *
     * @param n        N
     * @param channels C
     * @param spatial  H·W
     * @return the shape
     * @throws IllegalArgumentException as the constructor
     */
    public static TensorShape nchw(int n, int channels, int spatial) {
        return new TensorShape(TensorLayout.NCHW, n, channels, spatial);
    }

    /**
     * Returns the values per channel, N·H·W.
     *
     * @return N·H·W
     */
    public long valuesPerChannel() {
        return (long) n * spatial;
    }

    /**
     * Returns the floats of the tensor, N·C·H·W.
     *
     * @return N·C·H·W
     */
    public long floats() {
        return (long) n * channels * spatial;
    }

    @Override
    public String toString() {
        return layout == TensorLayout.NHWC ? "NHWC[n=" + n + ", spatial=" + spatial + ", channels=" + channels + "]"
                : "NCHW[n=" + n + ", channels=" + channels + ", spatial=" + spatial + "]";
    }
}
