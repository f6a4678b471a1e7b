package dev.simdnorm.jmh;

import java.util.SplittableRandom;

/** A shape written "NxHxWxC" (whatever the layout), and the data the benchmarks run on. */
record Shape(int n, int h, int w, int c) {

    static Shape parse(String s) {
        String[] p = s.split("x");
        return new Shape(Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]),
                Integer.parseInt(p[3]));
    }

    int rows() {
        return n * h * w;
    }

    int floats() {
        return rows() * c;
    }

    /** H·W. */
    int spatial() {
        return h * w;
    }

    /** This shape's NHWC data laid out as NCHW: channel c of image i is the plane at {@code (i·C + c)·H·W}. */
    float[] toNchw(float[] nhwc) {
        float[] out = new float[nhwc.length];
        int spatial = spatial();
        for (int r = 0; r < rows(); r++) {
            for (int ch = 0; ch < c; ch++) {
                out[((r / spatial) * c + ch) * spatial + r % spatial] = nhwc[r * c + ch];
            }
        }
        return out;
    }

    /** Per-channel N(μ_c, σ_c²) data, μ_c ~ U[−3, 3], σ_c ~ U[0.5, 2], as the conformance files. */
    float[] data(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double[] mu = new double[c];
        double[] sigma = new double[c];
        for (int i = 0; i < c; i++) {
            mu[i] = r.nextDouble(-3, 3);
            sigma[i] = r.nextDouble(0.5, 2);
        }
        float[] x = new float[floats()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (mu[i % c] + sigma[i % c] * r.nextGaussian());
        }
        return x;
    }
}
