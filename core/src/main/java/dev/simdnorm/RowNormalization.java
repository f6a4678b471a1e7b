package dev.simdnorm;

import dev.simdnorm.internal.Kernel;
import dev.simdnorm.internal.KernelProvider;
import dev.simdnorm.internal.RowMoments;
import dev.simdnorm.internal.RowParams;

import java.lang.foreign.MemorySegment;

/**
 * The engine of the normalizations along rows ({@link LayerNorm}, {@link RmsNorm}): it receives checked arguments,
 * adds the residual into a chunk of rows where there is one, takes the chunk's statistics, fills its
 * {@link RowParams} and normalizes it, so a row is read for its statistics before it is written, also in place. Per-thread working arrays: nothing is allocated after a
 * thread's first call.
 */
final class RowNormalization {

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private RowNormalization() {
    }

    /**
     * LayerNorm of {@code rows} rows of {@code size} floats, writing each row's mean and 1/√(σ² + ε) where asked.
     *
     * @param meanOut      per row, or null
     * @param invStdDevOut per row, or null (with {@code meanOut})
     */
    static void layerNorm(float[] x, int xOffset, float[] y, int yOffset, int rows, int size, float[] gamma,
                          float[] beta, float epsilon, float[] meanOut, float[] invStdDevOut,
                          Parallelism parallelism) {
        normalize(false, x, xOffset, null, 0, null, 0, y, yOffset, rows, size, gamma, beta, epsilon, meanOut,
                invStdDevOut, parallelism);
    }

    /**
     * LayerNorm ({@code rms} false) or RMSNorm of {@code rows} rows of segments: a segment pair over {@code float[]}s
     * directly, any other in runs of whole rows (about a slice) staged through this thread's slice buffer, normalized
     * there and copied to y. Each row's result depends on that row alone, so the bits are those of the arrays.
     */
    static void normalize(boolean rms, MemorySegment x, MemorySegment y, long rows, int size, float[] gamma,
                          float[] beta, float epsilon) {
        float[] xa = SegmentStaging.array(x);
        float[] ya = SegmentStaging.array(y);
        if (xa != null && ya != null) {
            normalize(rms, xa, SegmentStaging.arrayOffset(x), null, 0, null, 0, ya, SegmentStaging.arrayOffset(y),
                    Math.toIntExact(rows), size, gamma, beta, epsilon, null, null, 0);
            return;
        }
        int perRun = Math.max(1, Slices.SLICE_FLOATS / size);
        for (long done = 0; done < rows; ) {
            int n = (int) Math.min(perRun, rows - done);
            int floats = n * size;
            float[] staged = SegmentStaging.read(x, done * size, floats);
            normalize(rms, staged, 0, null, 0, null, 0, staged, 0, n, size, gamma, beta, epsilon, null, null, 0);
            SegmentStaging.write(staged, y, done * size, floats);
            done += n;
        }
    }

    /**
     * The residual form on segments: {@code y = norm(x + residual)}, and {@code h = x + residual} where h is not
     * null. Segments over {@code float[]}s directly; otherwise x and the residual are staged a run of rows at a time
     * through this thread's two slice buffers, the sum and the result computed there (in place over the staged
     * inputs, as the array form allows) and copied out, so the bits are those of the arrays.
     */
    static void normalize(boolean rms, MemorySegment x, MemorySegment residual, MemorySegment y, MemorySegment h,
                          long rows, int size, float[] gamma, float[] beta, float epsilon) {
        float[] xa = SegmentStaging.array(x);
        float[] ra = SegmentStaging.array(residual);
        float[] ya = SegmentStaging.array(y);
        float[] ha = h == null ? null : SegmentStaging.array(h);
        if (xa != null && ra != null && ya != null && (h == null || ha != null)) {
            normalize(rms, xa, SegmentStaging.arrayOffset(x), ra, SegmentStaging.arrayOffset(residual), ha,
                    h == null ? 0 : SegmentStaging.arrayOffset(h), ya, SegmentStaging.arrayOffset(y),
                    Math.toIntExact(rows), size, gamma, beta, epsilon, null, null, 0);
            return;
        }
        int perRun = Math.max(1, Slices.SLICE_FLOATS / size);
        for (long done = 0; done < rows; ) {
            int n = (int) Math.min(perRun, rows - done);
            int floats = n * size;
            float[] sx = SegmentStaging.read(x, done * size, floats);
            float[] sr = SegmentStaging.readAside(residual, done * size, floats);
            normalize(rms, sx, 0, sr, 0, h == null ? null : sr, 0, sx, 0, n, size, gamma, beta, epsilon, null, null,
                    0);
            SegmentStaging.write(sx, y, done * size, floats);
            if (h != null) {
                SegmentStaging.write(sr, h, done * size, floats);
            }
            done += n;
        }
    }

    /**
     * {@link #normalize(boolean, float[], int, float[], int, float[], int, float[], int, int, int, float[], float[],
     * float, float[], float[], int)} spread over {@code parallelism}'s threads in runs of whole rows (about a slice of
     * data each). Each row's result depends on that row alone, so every cut gives the same bits.
     */
    static void normalize(boolean rms, float[] x, int xOffset, float[] residual, int residualOffset, float[] h,
                          int hOffset, float[] y, int yOffset, int rows, int size, float[] gamma, float[] beta,
                          float epsilon, float[] meanOut, float[] invStdDevOut, Parallelism parallelism) {
        long floats = (long) rows * size;
        if (!parallelism.spreads(floats)) {
            normalize(rms, x, xOffset, residual, residualOffset, h, hOffset, y, yOffset, rows, size, gamma, beta,
                    epsilon, meanOut, invStdDevOut, 0);
            return;
        }
        int perTask = Math.max(1, Slices.SLICE_FLOATS / size);
        parallelism.forEach(Math.ceilDiv(rows, perTask), floats, t -> {
            int first = t * perTask;
            int at = first * size;
            normalize(rms, x, xOffset + at, residual, residualOffset + at, h, hOffset + at, y, yOffset + at,
                    Math.min(perTask, rows - first), size, gamma, beta, epsilon, meanOut, invStdDevOut, first);
        });
    }

    /**
     * LayerNorm ({@code rms} false) or RMSNorm (true, with β all +0) of {@code rows} rows of {@code size} floats: of
     * x, or of {@code x + residual} where {@code residual} is not null, the sum then written into {@code h} if it is
     * not null (else into {@code y}, normalized there in place).
     *
     * @param meanOut      per row, or null; LayerNorm only
     * @param invStdDevOut per row, or null (with {@code meanOut})
     * @param firstRow     the index in {@code meanOut} and {@code invStdDevOut} of the first row
     */
    private static void normalize(boolean rms, float[] x, int xOffset, float[] residual, int residualOffset,
                                  float[] h, int hOffset, float[] y, int yOffset, int rows, int size, float[] gamma,
                                  float[] beta, float epsilon, float[] meanOut, float[] invStdDevOut, int firstRow) {
        Kernel rowKernel = KernelProvider.rows();
        Scratch s = SCRATCH.get();
        RowParams p = s.params.positions(gamma, beta);
        float[] in = residual == null ? x : h != null ? h : y; // what is normalized: x, or the sum where it is kept
        int inStart = residual == null ? xOffset : h != null ? hOffset : yOffset;
        for (int r0 = 0; r0 < rows; r0 += RowParams.CHUNK_ROWS) {
            int n = Math.min(RowParams.CHUNK_ROWS, rows - r0);
            int from = r0 * size;
            int inOffset = inStart + from;
            if (residual != null) {
                rowKernel.add(x, xOffset + from, residual, residualOffset + from, in, inOffset, n * size);
            }
            if (rms) {
                rowKernel.sumSquares(in, inOffset, n, size, s.mean);
                for (int r = 0; r < n; r++) {
                    p.center()[r] = 0f;
                    p.centerLow()[r] = 0f;
                    p.offset()[r] = 0f;
                    p.scale()[r] = (float) (1 / Math.sqrt(s.mean[r] / size + epsilon));
                }
            } else {
                if (size <= RowMoments.LONGEST) {
                    // Each row one block centred at its first value, summed in double, folded by Chan's merge.
                    rowKernel.rowMoments(in, inOffset, n, size, s.mean, s.m2);
                } else {
                    // Each row as one NCHW channel of one plane: the float blocks and Chan's merge of BatchNorm.
                    KernelProvider.statistics().momentsNchw(in, inOffset, 1, n, size, 0, n, s.mean, s.m2);
                }
                for (int r = 0; r < n; r++) {
                    double mu = s.mean[r];
                    double inverse = 1 / Math.sqrt(s.m2[r] / size + epsilon);
                    center(p, r, mu, s.m2[r], inverse);
                    if (meanOut != null) {
                        meanOut[firstRow + r0 + r] = (float) mu;
                        invStdDevOut[firstRow + r0 + r] = (float) inverse;
                    }
                }
            }
            rowKernel.normalizeRows(in, inOffset, y, yOffset + from, n, size, p);
        }
    }

    /**
     * Row r's map: centered at its mean as a hi/lo float pair; a row whose deviations could overflow float
     * ({@code |x − μ| ≤ √M2 ≥ 2¹²⁷}) is centered at 0 with offset −μ·scale instead, as BatchNorm's training map.
     */
    private static void center(RowParams p, int r, double mu, double m2, double inverse) {
        float hi = (float) mu;
        float rest = (float) (mu - hi);
        p.scale()[r] = (float) inverse;
        if (m2 >= 0x1p254 && Double.isFinite(m2)) {
            p.center()[r] = 0f;
            p.centerLow()[r] = 0f;
            p.offset()[r] = (float) (-mu * inverse);
        } else {
            p.center()[r] = hi;
            p.centerLow()[r] = Float.isFinite(rest) ? rest : 0f; // hi already carries a non-finite mean
            p.offset()[r] = 0f;
        }
    }

    /** A thread's working arrays. */
    private static final class Scratch {
        final RowParams params = new RowParams();
        final double[] mean = new double[RowParams.CHUNK_ROWS];
        final double[] m2 = new double[RowParams.CHUNK_ROWS];
    }
}
