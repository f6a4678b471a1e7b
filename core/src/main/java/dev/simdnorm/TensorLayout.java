package dev.simdnorm;

/**
 * How a four-dimensional float tensor of N images, C channels and H·W positions lies in a flat array. The API never
 * guesses it: the overloads that take a layout name it, and the ones that do not are NHWC. Constants: thread-safe.
 */
public enum TensorLayout {
    /**
     * Channels innermost: the value of image n, position s = h·W + w, channel c is at {@code (n·H·W + s)·C + c}.
     * TensorFlow's default.
     */
    NHWC,
    /**
     * Planes: the value of image n, channel c, position s = h·W + w is at {@code (n·C + c)·H·W + s}, so each channel
     * is N contiguous planes of H·W floats. The default of PyTorch and ONNX.
     */
    NCHW
}
