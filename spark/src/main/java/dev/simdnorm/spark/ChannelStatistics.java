package dev.simdnorm.spark;

import java.io.Serial;
import java.io.Serializable;

import dev.simdnorm.Moments;

/**
 * The result of {@link MomentsAggregator}, a Java bean so that Spark stores it as a struct column
 * {@code struct<count: bigint, mean: array<double>, moments: binary, variance: array<double>>}: the values per
 * channel, the per-channel means and biased (÷n) variances in double, and the lossless binary form of the moments
 * ({@link Moments#fromBytes}) for merging or for the unbiased variance. A group with no values has a count of 0
 * and null arrays.
 *
 * <p>A plain mutable bean, as Spark's bean encoder requires; not thread-safe.
 */
public final class ChannelStatistics implements Serializable {

    @Serial
    private static final long serialVersionUID = 1L;

    /** Values per channel. */
    private long count;
    /** Per-channel means. */
    private double[] mean;
    /** Per-channel biased variances. */
    private double[] variance;
    /** The moments' binary form. */
    private byte[] moments;

    /** A bean of no values: count 0, null arrays; also what Spark's encoder fills in. */
    public ChannelStatistics() {
    }

    static ChannelStatistics of(Moments m) {
        ChannelStatistics s = new ChannelStatistics();
        int channels = m.channels();
        s.count = m.count();
        s.mean = new double[channels];
        s.variance = new double[channels];
        for (int c = 0; c < channels; c++) {
            s.mean[c] = m.meanAsDouble(c);
            s.variance[c] = m.varianceAsDouble(c);
        }
        s.moments = m.toBytes();
        return s;
    }

    /**
     * Returns the moments this bean was made from, bit for bit.
     *
     * @return the moments, read from {@link #getMoments()}
     * @throws IllegalStateException if the count is 0: there are no moments of no values
     */
    public Moments toMoments() {
        if (moments == null) {
            throw new IllegalStateException("no values: a count of 0 has no moments");
        }
        return Moments.fromBytes(moments);
    }

    /**
     * Returns the number of values per channel.
     *
     * @return the number of values per channel
     */
    public long getCount() {
        return count;
    }

    /**
     * Sets the number of values per channel (for Spark's encoder).
     *
     * @param count the number of values per channel
     */
    public void setCount(long count) {
        this.count = count;
    }

    /**
     * Returns the per-channel means.
     *
     * @return the per-channel means (the bean's array)
     */
    public double[] getMean() {
        return mean;
    }

    /**
     * Sets the per-channel means (for Spark's encoder).
     *
     * @param mean the per-channel means
     */
    public void setMean(double[] mean) {
        this.mean = mean;
    }

    /**
     * Returns the per-channel biased (÷n) variances.
     *
     * @return the per-channel biased variances (the bean's array)
     */
    public double[] getVariance() {
        return variance;
    }

    /**
     * Sets the per-channel biased variances (for Spark's encoder).
     *
     * @param variance the per-channel biased variances
     */
    public void setVariance(double[] variance) {
        this.variance = variance;
    }

    /**
     * Returns the binary form of the moments, {@link Moments#toBytes()}.
     *
     * @return the binary form of the moments (the bean's array)
     */
    public byte[] getMoments() {
        return moments;
    }

    /**
     * Sets the binary form of the moments (for Spark's encoder).
     *
     * @param moments the binary form of the moments
     */
    public void setMoments(byte[] moments) {
        this.moments = moments;
    }
}
