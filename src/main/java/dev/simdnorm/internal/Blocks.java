package dev.simdnorm.internal;

/** The row-block size shared by every statistics kernel, so that all of them fold the same blocks. */
public final class Blocks {

    /**
     * Rows per statistics block. Each block is read twice while it is in cache (its mean, then the squared
     * deviations from it: the corrected two-pass algorithm, whose error does not grow with the data's distance from
     * zero), so memory sees one pass. Float sums over at most this many values err by at most {@code ROWS·2⁻²⁴}
     * relatively (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., §4.2); the blocks are then folded
     * in double (docs/numerics.md).
     */
    public static final int ROWS = 256;

    private Blocks() {
    }

    /**
     * The centre of a block for its second pass: {@code shift + s1/n} in float, where {@code s1 = Σ(x − shift)}.
     * Every kernel computes it with exactly these two operations, so that they agree bit for bit.
     */
    public static float center(float shift, float s1, int n) {
        return shift + s1 / n;
    }
}
