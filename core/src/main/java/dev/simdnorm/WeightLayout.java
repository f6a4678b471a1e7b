package dev.simdnorm;

/**
 * The order of the dimensions of a convolution or dense weight array, flattened row-major (last dimension
 * fastest), as {@link FoldedLayer#of} reads it. O is the output channel, the one a following {@link BatchNorm}
 * normalizes; I the input channel; H and W the kernel's height and width.
 *
 * <p>Only these five are accepted. Other layouts must be transposed first: the out dimension is found by position,
 * so a wrong layout is caught only when its dimensions do not fit. In particular PyTorch's {@code ConvTranspose2d}
 * weight is {@code [in, out, kH, kW]}, not OIHW. A TensorFlow depthwise kernel {@code [kH, kW, in, multiplier]} is
 * rejected as HWIO unless {@code in} is 1, where it coincides with HWIO. Immutable, thread-safe.
 */
public enum WeightLayout {
    /** {@code [out, in, kH, kW]}: PyTorch {@code Conv2d.weight}, ONNX {@code Conv} W (also grouped convolutions). */
    OIHW(4, 0),
    /** {@code [kH, kW, in, out]}: TensorFlow {@code tf.nn.conv2d} filter, Keras {@code Conv2D} kernel. */
    HWIO(4, 3),
    /**
     * {@code [out, kH, kW, in]}: TensorFlow Lite's {@code CONV_2D} filter, and the natural order for an engine that
     * keeps activations in NHWC (each output channel's weights contiguous, input channels innermost).
     */
    OHWI(4, 0),
    /** {@code [out, in]}: PyTorch {@code Linear.weight}, ONNX {@code Gemm} B with {@code transB = 1}. */
    OUT_IN(2, 0),
    /** {@code [in, out]}: Keras {@code Dense} kernel, TensorFlow {@code matmul} weight, ONNX {@code MatMul} B. */
    IN_OUT(2, 1);

    private final int rank;
    private final int outAxis;

    WeightLayout(int rank, int outAxis) {
        this.rank = rank;
        this.outAxis = outAxis;
    }

    /** The number of dimensions. */
    int rank() {
        return rank;
    }

    /** The position of the out dimension: first or last. */
    int outAxis() {
        return outAxis;
    }
}
