package dev.simdnorm.internal;

/**
 * The plain-Java kernel: the oracle every vector kernel is tested against, and the fallback wherever the Vector API
 * is unavailable. Loops run channel-innermost, the memory order of NHWC, so one pass touches each float once.
 */
public final class ScalarKernel implements Kernel {

    /** The single instance; the kernel has no state. */
    public static final ScalarKernel INSTANCE = new ScalarKernel();

    private ScalarKernel() {
    }

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void moments(float[] x, int offset, int rows, int channels, double[] mean, double[] m2) {
        float[] shift = new float[channels];
        float[] s1 = new float[channels];
        float[] q = new float[channels];
        float[] r1 = new float[channels];
        long done = 0;
        for (int r0 = 0; r0 < rows; r0 += Blocks.ROWS) {
            int nb = Math.min(Blocks.ROWS, rows - r0);
            int base = offset + r0 * channels;
            // Pass 1: the block's mean, from sums shifted by its first row.
            System.arraycopy(x, base, shift, 0, channels);
            java.util.Arrays.fill(s1, 0f);
            for (int r = 0, i = base; r < nb; r++) {
                for (int c = 0; c < channels; c++, i++) {
                    s1[c] += x[i] - shift[c];
                }
            }
            for (int c = 0; c < channels; c++) {
                shift[c] = Blocks.center(shift[c], s1[c], nb);
            }
            // Pass 2, over the same rows while they are in cache: sums of deviations from that centre.
            java.util.Arrays.fill(q, 0f);
            java.util.Arrays.fill(r1, 0f);
            for (int r = 0, i = base; r < nb; r++) {
                for (int c = 0; c < channels; c++, i++) {
                    float d = x[i] - shift[c];
                    r1[c] += d;
                    q[c] = Math.fma(d, d, q[c]);
                }
            }
            for (int c = 0; c < channels; c++) {
                Chan.mergeBlock(done, mean, m2, c, nb, shift[c], r1[c], q[c]);
            }
            done += nb;
        }
    }

    @Override
    public AffineParams prepare(int channels, float[] center, float[] centerLo, float[] scale, float[] shift) {
        return new AffineParams(channels, center, centerLo, scale, shift);
    }

    @Override
    public void normalize(float[] x, int xOffset, float[] y, int yOffset, int rows, AffineParams p, boolean relu) {
        int channels = p.channels();
        float[] center = p.center();
        float[] centerLo = p.centerLo();
        float[] scale = p.scale();
        float[] shift = p.shift();
        for (int r = 0, i = xOffset, o = yOffset; r < rows; r++) {
            for (int c = 0; c < channels; c++, i++, o++) {
                float v = x[i] - center[c];
                if (centerLo != null) {
                    v -= centerLo[c];
                }
                float t = Math.fma(v, scale[c], shift[c]);
                y[o] = relu ? Math.max(t, 0f) : t;
            }
        }
    }
}
