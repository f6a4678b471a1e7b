package dev.simdnorm.prop;

import java.util.Arrays;

/**
 * A generated NHWC tensor inside a larger array: {@code rows·channels} floats from {@code offset}, NaN before and
 * after them, so that a kernel reading outside its range poisons its own result.
 */
public record TensorCase(float[] x, int offset, int rows, int channels, Distribution distribution, long seed) {

    /** Channel counts that stress SIMD tails and tiling. */
    public static final int[] EDGE_CHANNELS = {1, 2, 3, 7, 15, 16, 17, 31, 33, 64, 255, 256, 257, 520, 1000};

    /**
     * Cases with at most {@code maxFloats} floats of data. Rows cross statistics blocks often: 256 rows for C ≥ 64,
     * up to 16384 rows for few channels (the last kind of size below reaches them).
     */
    public static Gen<TensorCase> gen(int maxFloats) {
        return gen(maxFloats, Distribution.values());
    }

    /** Cases drawing only from the given distributions. */
    public static Gen<TensorCase> gen(int maxFloats, Distribution... distributions) {
        return ch -> {
            int channels = ch.oneIn(4) ? ch.between(1, 300) : EDGE_CHANNELS[ch.between(0, EDGE_CHANNELS.length - 1)];
            int rows = switch (ch.between(0, 4)) {
                case 0 -> ch.between(1, 8);
                case 1 -> ch.between(1, 300);
                case 2 -> ch.between(250, 800);
                case 3 -> ch.between(800, 3000);
                default -> ch.between(1, maxFloats / channels);
            };
            rows = Math.max(1, Math.min(rows, maxFloats / channels));
            int offset = ch.between(0, 37);
            int pad = ch.between(0, 5);
            Distribution d = distributions[ch.between(0, distributions.length - 1)];
            long seed = ch.seed();
            return make(offset, rows, channels, pad, d, seed);
        };
    }

    /** A case with the given shape and data. */
    public static TensorCase make(int offset, int rows, int channels, int pad, Distribution d, long seed) {
        float[] x = new float[offset + rows * channels + pad];
        Arrays.fill(x, Float.NaN);
        d.fill(x, offset, rows, channels, seed);
        return new TensorCase(x, offset, rows, channels, d, seed);
    }

    /** The value of row {@code r}, channel {@code c}. */
    public float at(int r, int c) {
        return x[offset + r * channels + c];
    }

    /** The number of data floats. */
    public int length() {
        return rows * channels;
    }

    @Override
    public String toString() {
        String data = length() <= 24
                ? Arrays.toString(Arrays.copyOfRange(x, offset, offset + length())) : distribution + " seed " + seed;
        return "TensorCase[rows=" + rows + ", channels=" + channels + ", offset=" + offset + ", array length="
                + x.length + ", data=" + data + "]";
    }
}
