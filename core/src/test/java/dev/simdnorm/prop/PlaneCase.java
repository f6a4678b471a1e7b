package dev.simdnorm.prop;

import java.util.Arrays;

/**
 * A generated NCHW tensor inside a larger array: {@code n} images of {@code channels} planes of {@code spatial}
 * floats from {@code offset}, NaN before and after them. Its data are those of {@link #nhwc()}, an NHWC case of
 * {@code n·spatial} rows, transposed; so the two hold the same values and each layout can be checked against the
 * other.
 */
public record PlaneCase(float[] x, int offset, int n, int spatial, TensorCase nhwc) {

    /**
     * Plane sizes that stress the kernels: runs shorter than a vector, a vector ± 1, the 64 accumulators ± 1, network
     * planes (7×7, 14×14), and runs longer than a block of 16384 floats.
     */
    public static final int[] EDGE_SPATIAL = {1, 2, 3, 15, 16, 17, 49, 63, 64, 65, 128, 196, 1000, 16383, 16385, 40000};
    /** Channel counts; fewer and smaller than NHWC's, since each channel is summed on its own. */
    public static final int[] EDGE_CHANNELS = {1, 2, 3, 7, 16, 17, 64, 255};

    /**
     * Cases with at most {@code maxFloats} floats of data. The number of images often crosses a statistics block
     * (256 runs of up to 64 floats, 16 runs of 1000).
     */
    public static Gen<PlaneCase> gen(int maxFloats) {
        return gen(maxFloats, Distribution.values());
    }

    /** Cases drawing only from the given distributions. */
    public static Gen<PlaneCase> gen(int maxFloats, Distribution... distributions) {
        return ch -> {
            int spatial = ch.oneIn(4) ? ch.between(1, 3000) : EDGE_SPATIAL[ch.between(0, EDGE_SPATIAL.length - 1)];
            int channels = ch.oneIn(4) ? ch.between(1, 100) : EDGE_CHANNELS[ch.between(0, EDGE_CHANNELS.length - 1)];
            channels = Math.max(1, Math.min(channels, maxFloats / spatial));
            int most = Math.max(1, maxFloats / (channels * spatial));
            int n = switch (ch.between(0, 3)) {
                case 0 -> ch.between(1, 4);
                case 1 -> ch.between(1, 40);
                case 2 -> ch.between(200, 600);
                default -> ch.between(1, most);
            };
            n = Math.max(1, Math.min(n, most));
            return make(ch.between(0, 37), n, channels, spatial, ch.between(0, 5),
                    distributions[ch.between(0, distributions.length - 1)], ch.seed());
        };
    }

    /** A case with the given shape and data. */
    public static PlaneCase make(int offset, int n, int channels, int spatial, int pad, Distribution d, long seed) {
        TensorCase nhwc = TensorCase.make(0, n * spatial, channels, 0, d, seed);
        float[] x = new float[offset + nhwc.length() + pad];
        Arrays.fill(x, Float.NaN);
        transpose(nhwc.x(), 0, x, offset, n, channels, spatial);
        return new PlaneCase(x, offset, n, spatial, nhwc);
    }

    /** Copies an NHWC tensor from {@code src[srcOffset]} into {@code dst[dstOffset]} as NCHW. */
    private static void transpose(float[] src, int srcOffset, float[] dst, int dstOffset, int n, int channels,
                                  int spatial) {
        for (int i = 0; i < n * spatial; i++) {
            for (int c = 0; c < channels; c++) {
                int to = dstOffset + ((i / spatial) * channels + c) * spatial + i % spatial;
                dst[to] = src[srcOffset + i * channels + c];
            }
        }
    }

    /** The number of channels. */
    public int channels() {
        return nhwc.channels();
    }

    /** The number of data floats. */
    public int length() {
        return nhwc.length();
    }

    /** The index, counted from the first data float, of value {@code i} of channel {@code c} (image i / spatial). */
    public int index(int i, int c) {
        return ((i / spatial) * channels() + c) * spatial + i % spatial;
    }

    /**
     * Turns an NHWC array of this case's shape, from {@code offset}, into NCHW data of the same length.
     *
     * @param nhwcData rows of channels
     * @param offset   index of the first float in {@code nhwcData}
     * @return the NCHW floats, from index 0
     */
    public float[] toNchw(float[] nhwcData, int offset) {
        float[] out = new float[length()];
        transpose(nhwcData, offset, out, 0, n, channels(), spatial);
        return out;
    }

    @Override
    public String toString() {
        return "PlaneCase[n=" + n + ", channels=" + channels() + ", spatial=" + spatial + ", offset=" + offset
                + ", array length=" + x.length + ", data=" + nhwc.distribution() + " seed " + nhwc.seed()
                + (length() <= 24 ? " " + Arrays.toString(Arrays.copyOfRange(x, offset, offset + length())) : "")
                + "]";
    }
}
