package dev.simdnorm.jmh;

/**
 * One framework's batch normalization on NHWC data, for the side-by-side benchmarks and accuracy table. {@link #load}
 * puts x and the parameters into the framework's memory once, so that {@link #inference} and {@link #train} time the
 * op alone; the getters copy results out afterwards.
 */
interface Peer extends AutoCloseable {

    /** What is measured, e.g. "ONNX Runtime, NHWC via Transpose". */
    String name();

    /**
     * Whether the running update takes the unbiased batch variance. With {@code weightOfNew} 1 the running statistics
     * are the batch's, which is how the accuracy table reads the batch statistics from every framework alike.
     */
    boolean unbiasedRunningVariance();

    /**
     * Loads x and the parameters.
     *
     * @param weightOfNew w in the running update {@code R ← (1 − w)·R + w·B}, translated to the framework's own
     *                    parameter
     */
    void load(Shape shape, float[] x, float[] gamma, float[] beta, float[] runningMean, float[] runningVariance,
              float epsilon, float weightOfNew) throws Exception;

    /** y from the running statistics. */
    void inference() throws Exception;

    /**
     * Inference end to end, from a {@code float[]} to a {@code float[]}: x copied into the framework's memory, the op,
     * y copied out, with the parameters {@link #load} put in place.
     *
     * @param x the same shape as loaded (NCHW for a peer that runs on NCHW data)
     * @param y where y goes, the same layout
     */
    void endToEnd(float[] x, float[] y) throws Exception;

    /** y from the batch statistics, and the running statistics updated. */
    void train() throws Exception;

    /** The last y, NHWC. */
    float[] y() throws Exception;

    /** The running mean after the first training step since {@link #load}. */
    float[] runningMean() throws Exception;

    /** The running variance after the first training step since {@link #load}. */
    float[] runningVariance() throws Exception;

    @Override
    void close() throws Exception;
}
