import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Probe, outside the build: can Java borrow the non-temporal stores of {@code System.arraycopy} (which HotSpot uses
 * for copies of 2.5 MiB or more, results/asm/arraycopy-stub-nontemporal.txt)? Normalize 2.5 MiB at a time into a
 * scratch array, then copy it to y. The three variants run interleaved in one process; medians of 101 rounds.
 * Measured on 2026-11-27: it is slower than normalizing into y directly (the scratch is written and read again).
 *
 * <pre>
 * javac --add-modules jdk.incubator.vector -d /tmp/probe jmh/probes/ScratchCopyProbe.java
 * java --add-modules jdk.incubator.vector -cp /tmp/probe ScratchCopyProbe 6422528   # and 67108864 (256 MiB)
 * </pre>
 */
public class ScratchCopyProbe {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_512;
    /** 2.5 MiB of floats: the smallest copy that HotSpot's stub writes with non-temporal stores. */
    static final int CHUNK = 655360;

    /** C = 64 with the parameters in registers, as simdnorm's {@code normalizeLinear4}. */
    static void normalize(float[] x, int xo, float[] y, int yo, int n, float[] c, float[] s, float[] b) {
        FloatVector c0 = FloatVector.fromArray(S, c, 0), c1 = FloatVector.fromArray(S, c, 16);
        FloatVector c2 = FloatVector.fromArray(S, c, 32), c3 = FloatVector.fromArray(S, c, 48);
        FloatVector s0 = FloatVector.fromArray(S, s, 0), s1 = FloatVector.fromArray(S, s, 16);
        FloatVector s2 = FloatVector.fromArray(S, s, 32), s3 = FloatVector.fromArray(S, s, 48);
        FloatVector b0 = FloatVector.fromArray(S, b, 0), b1 = FloatVector.fromArray(S, b, 16);
        FloatVector b2 = FloatVector.fromArray(S, b, 32), b3 = FloatVector.fromArray(S, b, 48);
        for (int i = 0; i < n; i += 64) {
            FloatVector.fromArray(S, x, xo + i).sub(c0).fma(s0, b0).intoArray(y, yo + i);
            FloatVector.fromArray(S, x, xo + i + 16).sub(c1).fma(s1, b1).intoArray(y, yo + i + 16);
            FloatVector.fromArray(S, x, xo + i + 32).sub(c2).fma(s2, b2).intoArray(y, yo + i + 32);
            FloatVector.fromArray(S, x, xo + i + 48).sub(c3).fma(s3, b3).intoArray(y, yo + i + 48);
        }
    }

    public static void main(String[] args) {
        int n = Integer.parseInt(args[0]);
        float[] x = new float[n];
        float[] y = new float[n];
        float[] scratch = new float[CHUNK];
        for (int i = 0; i < n; i++) {
            x[i] = (i % 1000) * 0.001f;
        }
        float[] c = new float[64];
        float[] s = new float[64];
        float[] b = new float[64];
        for (int i = 0; i < 64; i++) {
            c[i] = i * .1f;
            s[i] = 1 + i * .01f;
            b[i] = -i * .05f;
        }
        int rounds = 101;
        double[][] t = new double[3][rounds];
        for (int r = -20; r < rounds; r++) {
            for (int v = 0; v < 3; v++) {
                long t0 = System.nanoTime();
                switch (v) {
                    case 0 -> System.arraycopy(x, 0, y, 0, n);
                    case 1 -> normalize(x, 0, y, 0, n, c, s, b);
                    default -> {
                        for (int i = 0; i < n; i += CHUNK) {
                            int m = Math.min(CHUNK, n - i);
                            normalize(x, i, scratch, 0, m, c, s, b);
                            System.arraycopy(scratch, 0, y, i, m);
                        }
                    }
                }
                if (r >= 0) {
                    t[v][r] = (System.nanoTime() - t0) / (double) n;
                }
            }
        }
        String[] names = {"arraycopy", "normalize into y", "normalize into scratch, arraycopy to y"};
        for (int v = 0; v < 3; v++) {
            Arrays.sort(t[v]);
            System.out.printf("%s: %.3f ns/float (median)%n", names[v], t[v][rounds / 2]);
        }
    }
}
