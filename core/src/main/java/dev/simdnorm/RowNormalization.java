package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.Kernel;
import dev.simdnorm.internal.KernelProvider;
import dev.simdnorm.internal.PlaneStatistics;
import dev.simdnorm.internal.RowMoments;
import dev.simdnorm.internal.RowParams;

import java.lang.foreign.MemorySegment;

/**
 * The engine of the normalizations along rows ({@link LayerNorm}, {@link RmsNorm}): it receives checked arguments,
 * adds the residual into a chunk of rows where there is one, takes the chunk's statistics, fills its
 * {@link RowParams} and normalizes it, so a row is read for its statistics before it is written, also in place.
 * Per-thread working arrays: nothing is allocated after a thread's first call.
 */
final class RowNormalization {

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * Rows at least this long are written while later rows are summed ({@link #pipelined}); LayerNorm's rows longer
     * than {@link PlaneStatistics#MAX_BLOCK_LENGTH} (several float blocks a row) keep two passes.
     */
    private static final int PIPELINED_FROM = 64;

    /**
     * Rows at least this long are {@link #pipelined} from {@link #PIPELINED_LONG_FLOATS} floats (64 KiB) on, where
     * there are more than {@link #LAG} of them to overlap: in L2 (256 KiB) the pipeline ran RMSNorm's rows of 768 and
     * 16384 floats 1.35–2.05× as fast as the two passes, LayerNorm's of 768 1.41–1.54×; at 16 KiB (five rows of 768,
     * or one row) it was 0.75–0.98× as fast, so those calls keep the two passes.
     */
    private static final int PIPELINED_LONG_ROWS_FROM = 512;

    /** See {@link #PIPELINED_LONG_ROWS_FROM}. */
    private static final long PIPELINED_LONG_FLOATS = 1 << 14;

    /**
     * The most floats the two-pass path sums before it writes them (at least one row): 64 KiB, so that the second
     * pass reads them from L2 rather than from memory. 64 rows of 4,096 floats are 1 MiB. Also the most residual
     * sums {@link #pipelined} forms ahead.
     */
    private static final int TWO_PASS_FLOATS = 1 << 14;

    /** How many rows ahead {@link #pipelined} sums; less than {@link RowParams#CHUNK_ROWS}. */
    private static final int LAG = 2;

    /**
     * Calls over at least this many floats (1 MiB, about the L2 of one core) are {@link #pipelined}: in cache the two
     * passes one after the other were faster for short rows (per-row calls cost more than they save), beyond it the
     * pipeline; long rows from {@link #PIPELINED_LONG_FLOATS}, rows shorter than {@link #SHORT_ROWS_BELOW} from
     * {@link #PIPELINED_SHORT_FLOATS}.
     */
    private static final long PIPELINED_FLOATS = 1 << 18;

    /**
     * Rows shorter than this are {@link #pipelined} only from {@link #PIPELINED_SHORT_FLOATS} floats: their per-row
     * steps (a kernel call, the fold, the map) cost more than the overlap saves while the data sit in L3. A probe of
     * rows of 64 and 128 floats (design log, 2026-12-06, later): the two passes 1.2–1.7× as fast at 1–4 MiB, about
     * the same at 8 MiB, the pipeline faster from 16 MiB (RMSNorm) or 64 MiB (LayerNorm); rows of 256 the same either
     * way.
     */
    private static final int SHORT_ROWS_BELOW = 256;

    /** See {@link #SHORT_ROWS_BELOW}: 8 MiB. */
    private static final long PIPELINED_SHORT_FLOATS = 1 << 21;

    /**
     * Rows at most this long have their residual sums formed in groups of {@link #LAG} + 1 rows in
     * {@link #pipelined}, not 64: so LayerNorm's residual form on rows of 64 floats ran 1.12–1.35× as fast at 256 MiB
     * and 1.27× at 16 MiB, where rows of 96 to 192 floats ran 0.89–1.0× as fast at 256 MiB (design log, 2026-12-07).
     */
    private static final int SUMS_NEAR_UP_TO = 64;

    private RowNormalization() {
    }

    /** Whether a call over {@code floats} floats in rows of {@code size} is large enough to be pipelined. */
    private static boolean large(long floats, int size) {
        return floats >= (size < SHORT_ROWS_BELOW ? PIPELINED_SHORT_FLOATS : PIPELINED_FLOATS);
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
     * LayerNorm ({@code rms} false) or RMSNorm of {@code rows} rows of segments: {@code y = norm(x)}, or with a
     * {@code residual} {@code y = norm(x + residual)} and {@code h = x + residual} where h is not null. Segments over
     * {@code float[]}s are read as those arrays; otherwise the rows are taken in runs of about a slice, x (and the
     * residual) staged through the running thread's two slice buffers, the sum and the result computed there in place
     * (as the array form allows) and copied out, whole runs per task (a buffer is never held across a task). Each
     * row's result depends on that row alone, so the bits are those of the arrays for any number of threads; a
     * segment confined to one thread keeps the call on it.
     */
    static void normalize(boolean rms, MemorySegment x, MemorySegment residual, MemorySegment y, MemorySegment h,
                          long rows, int size, float[] gamma, float[] beta, float epsilon, Parallelism parallelism) {
        float[] xa = SegmentStaging.array(x);
        float[] ra = residual == null ? null : SegmentStaging.array(residual);
        float[] ya = SegmentStaging.array(y);
        float[] ha = h == null ? null : SegmentStaging.array(h);
        if (xa != null && ya != null && (residual == null || ra != null) && (h == null || ha != null)) {
            normalize(rms, xa, SegmentStaging.arrayOffset(x), ra, ra == null ? 0 : SegmentStaging.arrayOffset(residual),
                    ha, ha == null ? 0 : SegmentStaging.arrayOffset(h), ya, SegmentStaging.arrayOffset(y),
                    Math.toIntExact(rows), size, gamma, beta, epsilon, null, null, parallelism);
            return;
        }
        long floats = rows * size;
        int perRun = Math.max(1, Slices.SLICE_FLOATS / size);
        Parallelism p = SegmentStaging.parallelismFor(x, SegmentStaging.parallelismFor(y, parallelism));
        if (residual != null) {
            p = SegmentStaging.parallelismFor(residual, p);
        }
        if (h != null) {
            p = SegmentStaging.parallelismFor(h, p);
        }
        if (rows > perRun && p.spreads(floats)) {
            long perTask = Math.max(perRun, Math.ceilDiv(rows, Integer.MAX_VALUE));
            p.forEach((int) Math.ceilDiv(rows, perTask), floats, t -> stagedRows(rms, x, residual, y, h,
                    t * perTask, Math.min(rows, (t + 1) * perTask), perRun, size, gamma, beta, epsilon,
                    large(floats, size)));
            return;
        }
        stagedRows(rms, x, residual, y, h, 0, rows, perRun, size, gamma, beta, epsilon, large(floats, size));
    }

    /** Rows [from, to) of segments, {@code perRun} at a time through this thread's slice buffers, on this thread. */
    private static void stagedRows(boolean rms, MemorySegment x, MemorySegment residual, MemorySegment y,
                                   MemorySegment h, long from, long to, int perRun, int size, float[] gamma,
                                   float[] beta, float epsilon, boolean large) {
        for (long done = from; done < to; ) {
            int n = (int) Math.min(perRun, to - done);
            int floats = n * size;
            long at = done * size;
            float[] sx = SegmentStaging.read(x, at, floats);
            float[] sr = residual == null ? null : SegmentStaging.readAside(residual, at, floats);
            normalize(rms, sx, 0, sr, 0, h == null ? null : sr, 0, sx, 0, n, size, gamma, beta, epsilon, null, null,
                    0, large);
            SegmentStaging.write(sx, y, at, floats);
            if (h != null) {
                SegmentStaging.write(sr, h, at, floats);
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
                    epsilon, meanOut, invStdDevOut, 0, large(floats, size));
            return;
        }
        int perTask = Math.max(1, Slices.SLICE_FLOATS / size);
        parallelism.forEach(Math.ceilDiv(rows, perTask), floats, t -> {
            int first = t * perTask;
            int at = first * size;
            normalize(rms, x, xOffset + at, residual, residualOffset + at, h, hOffset + at, y, yOffset + at,
                    Math.min(perTask, rows - first), size, gamma, beta, epsilon, meanOut, invStdDevOut, first,
                    large(floats, size));
        });
    }

    /**
     * LayerNorm ({@code rms} false) or RMSNorm (true; {@code beta} unused, may be null) of {@code rows} rows of
     * {@code size} floats: of x, or of {@code x + residual} where {@code residual} is not null, the sum then written
     * into {@code h} if it is not null (else into {@code y}, normalized there in place).
     *
     * @param meanOut      per row, or null; LayerNorm only
     * @param invStdDevOut per row, or null (with {@code meanOut})
     * @param firstRow     the index in {@code meanOut} and {@code invStdDevOut} of the first row
     * @param large        whether the whole call is large enough to be pipelined ({@link #large})
     */
    private static void normalize(boolean rms, float[] x, int xOffset, float[] residual, int residualOffset,
                                  float[] h, int hOffset, float[] y, int yOffset, int rows, int size, float[] gamma,
                                  float[] beta, float epsilon, float[] meanOut, float[] invStdDevOut, int firstRow,
                                  boolean large) {
        Kernel k = KernelProvider.rows();
        Scratch s = SCRATCH.get();
        RowParams p = s.params.positions(gamma, beta);
        s.single.positionsOf(p); // reading p's widened γ and β (scalar kernels): widened once a call
        float[] in = residual == null ? x : h != null ? h : y; // what is normalized: x, or the sum where it is kept
        int inStart = residual == null ? xOffset : h != null ? hOffset : yOffset;
        boolean longRows = size >= PIPELINED_LONG_ROWS_FROM && rows > LAG
                && (long) rows * size >= PIPELINED_LONG_FLOATS;
        if ((large || longRows) && size >= PIPELINED_FROM && (rms || size <= PlaneStatistics.MAX_BLOCK_LENGTH)) {
            pipelined(rms, k, x, xOffset, residual, residualOffset, in, inStart, y, yOffset, rows, size, gamma,
                    epsilon, s, p, meanOut, invStdDevOut, firstRow);
            return;
        }
        int chunk = Math.clamp(TWO_PASS_FLOATS / size, 1, RowParams.CHUNK_ROWS);
        for (int r0 = 0; r0 < rows; r0 += chunk) {
            int n = Math.min(chunk, rows - r0);
            int from = r0 * size;
            if (residual != null) {
                k.add(x, xOffset + from, residual, residualOffset + from, in, inStart + from, n * size);
            }
            statistics(rms, k, in, inStart + from, n, size, epsilon, s, p, meanOut, invStdDevOut, firstRow + r0);
            if (rms) {
                k.scaleRows(in, inStart + from, y, yOffset + from, n, size, p);
            } else if (!anyWide(p.wide(), n)) {
                k.normalizeRows(in, inStart + from, y, yOffset + from, n, size, p);
            } else {
                for (int r = 0; r < n; r++) {
                    alone(false, k, in, inStart + from + r * size, y, yOffset + from + r * size, size, gamma, s, p, r);
                }
            }
        }
    }

    /** Whether any of the first {@code n} rows of a chunk spreads beyond float's range ({@link #center}). */
    private static boolean anyWide(boolean[] wide, int n) {
        boolean any = false;
        for (int r = 0; r < n; r++) {
            any |= wide[r];
        }
        return any;
    }

    /**
     * Writes row r while it sums row r + {@link #LAG} ({@link Kernel#scaleRowAndSumNext},
     * {@link Kernel#normalizeRowAndSumNext}; LayerNorm's rows longer than {@link RowMoments#LONGEST}, one float block
     * each, {@link Kernel#normalizeRowAndSumNextBlock} between their center and their fold), row r's map at index
     * r mod 64 of {@code p}. With the two passes one after the other a long row would first be read from memory,
     * with nothing written, then written, with nothing read, and a thread keeps fewer misses in flight than a copy
     * does. A lag of two rows rather than one keeps each
     * row's fold and square root off the path to the next row. The residual sums are formed ahead of the rows summed,
     * at most 64 rows and 64 KiB at a time (more than {@link #LAG} rows; {@link #LAG} + 1 rows of at most
     * {@link #SUMS_NEAR_UP_TO} floats). Each row takes the operations of the two-pass path, so the bits are the same.
     */
    private static void pipelined(boolean rms, Kernel k, float[] x, int xOffset, float[] residual, int residualOffset,
                                  float[] in, int inStart, float[] y, int yOffset, int rows, int size, float[] gamma,
                                  float epsilon, Scratch s, RowParams p, float[] meanOut, float[] invStdDevOut,
                                  int firstRow) {
        int chunk = RowParams.CHUNK_ROWS;
        // Residual sums formed at most 64 KiB ahead are read back from L2 (64 rows of 4,096 floats are 1 MiB).
        int group = size <= SUMS_NEAR_UP_TO ? LAG + 1 : Math.clamp(TWO_PASS_FLOATS / size, LAG + 1, chunk);
        int added = 0; // rows whose residual sum is formed
        int first = Math.min(LAG, rows);
        if (residual != null) {
            added = Math.min(group, rows);
            k.add(x, xOffset, residual, residualOffset, in, inStart, added * size);
        }
        statistics(rms, k, in, inStart, first, size, epsilon, s, p, meanOut, invStdDevOut, firstRow);
        for (int r = 0; r < rows; r++) {
            int at = inStart + r * size;
            int out = yOffset + r * size;
            int map = r % chunk;
            int ahead = r + LAG;
            if (ahead >= rows) {
                alone(rms, k, in, at, y, out, size, gamma, s, p, map);
                continue;
            }
            if (residual != null && ahead >= added) {
                int n = Math.min(group, rows - added);
                int from = added * size;
                k.add(x, xOffset + from, residual, residualOffset + from, in, inStart + from, n * size);
                added += n;
            }
            int nextRow = inStart + ahead * size;
            int slot = ahead % chunk;
            if (!rms && p.wide()[map]) {
                // Row r element by element, then row r + LAG's statistics in a pass of their own (the same bits).
                alone(false, k, in, at, y, out, size, gamma, s, p, map);
                statistics(false, k, in, nextRow, 1, size, epsilon, s, s.next, meanOut, invStdDevOut,
                        firstRow + ahead);
                copyMap(s.next, 0, p, slot);
            } else if (rms) {
                double q = k.scaleRowAndSumNext(in, at, y, out, size, p, map, nextRow);
                p.scale()[slot] = rmsScale(q, size, epsilon);
            } else if (size <= RowMoments.LONGEST) {
                k.normalizeRowAndSumNext(in, at, y, out, size, p, map, nextRow, s.sums);
                RowMoments.fold(in, nextRow, size, s.sums[0], s.sums[1], s.mean, s.m2, 0);
                map(p, slot, s.mean[0], s.m2[0], size, epsilon, meanOut, invStdDevOut, firstRow + ahead);
            } else {
                // The float blocks of the two-pass path, step by step: center, sums (in the loop that writes row r),
                // fold.
                PlaneStatistics.Deviations d = k.planeDeviations();
                float center = PlaneStatistics.runCenter(d, in, nextRow, size);
                k.normalizeRowAndSumNextBlock(in, at, y, out, size, p, map, nextRow, center, s.blockSums);
                PlaneStatistics.foldRun(d, in, nextRow, size, center, s.blockSums[0], s.blockSums[1], s.mean, s.m2,
                        0);
                map(p, slot, s.mean[0], s.m2[0], size, epsilon, meanOut, invStdDevOut, firstRow + ahead);
            }
        }
    }

    /**
     * Writes one row with the map at index {@code map} of {@code p}, through {@code s.single}'s first row; a row that
     * spreads beyond float's range element by element ({@link #wideRow}).
     */
    private static void alone(boolean rms, Kernel k, float[] in, int at, float[] y, int out, int size, float[] gamma,
                              Scratch s, RowParams p, int map) {
        if (!rms && p.wide()[map]) {
            wideRow(in, at, y, out, size, p, map);
            return;
        }
        RowParams one = s.single; // its positions set by normalize, for the whole call
        if (rms) {
            one.scale()[0] = p.scale()[map];
            k.scaleRows(in, at, y, out, 1, size, one);
        } else {
            copyMap(p, map, one, 0);
            k.normalizeRows(in, at, y, out, 1, size, one);
        }
    }

    /** Copies row {@code from}'s LayerNorm map in {@code p} to row {@code to} of {@code q}. */
    private static void copyMap(RowParams p, int from, RowParams q, int to) {
        q.center()[to] = p.center()[from];
        q.centerLow()[to] = p.centerLow()[from];
        q.scale()[to] = p.scale()[from];
        q.offset()[to] = p.offset()[from];
        q.wide()[to] = p.wide()[from];
    }

    /**
     * Row {@code map} of {@code p} written element by element, each read before it is written (so also in place):
     * the kernels' operations, {@code fma(fma((x − hi) − lo, s, 0), γ, β)}, except where {@code x − hi} overflows
     * float for a finite x, whose deviation is taken in double (|x − μ| ≤ 2¹²⁹ is far inside its range) and
     * {@code (x − μ)·s} rounded once, as {@link DeviationOverflow} maps BatchNorm's. For rows spread beyond float's
     * range only, so its speed does not matter.
     */
    private static void wideRow(float[] in, int at, float[] y, int out, int size, RowParams p, int map) {
        float hi = p.center()[map];
        float lo = p.centerLow()[map];
        float scale = p.scale()[map];
        float offset = p.offset()[map];
        float[] gamma = p.gamma();
        float[] beta = p.beta();
        for (int j = 0; j < size; j++) {
            y[out + j] = Math.fma(AffineParams.output(in[at + j], hi, lo, scale, offset), gamma[j], beta[j]);
        }
    }

    /**
     * The statistics of {@code n} rows from {@code offset} in a pass of their own, and their maps into {@code p}.
     */
    private static void statistics(boolean rms, Kernel k, float[] in, int offset, int n, int size, float epsilon,
                                   Scratch s, RowParams p, float[] meanOut, float[] invStdDevOut, int firstOut) {
        if (rms) {
            k.sumSquares(in, offset, n, size, s.mean);
            for (int r = 0; r < n; r++) {
                p.scale()[r] = rmsScale(s.mean[r], size, epsilon);
            }
            return;
        }
        if (size <= RowMoments.LONGEST) {
            // Each row one block centred at its first value, summed in double, folded by Chan's merge.
            k.rowMoments(in, offset, n, size, s.mean, s.m2);
        } else {
            // Each row as one NCHW channel of one plane: the float blocks and Chan's merge of BatchNorm.
            KernelProvider.statisticsNchw().momentsNchw(in, offset, 1, n, size, 0, n, s.mean, s.m2);
        }
        // The roots and quotients first, in a loop of their own that C2 compiles to vector operations (the same
        // bits as one row at a time); then the centers.
        double[] inverse = s.inverse;
        for (int r = 0; r < n; r++) {
            inverse[r] = inverse(s.m2[r], size, epsilon);
        }
        for (int r = 0; r < n; r++) {
            record(p, r, s.mean[r], s.m2[r], inverse[r], meanOut, invStdDevOut, firstOut + r);
        }
    }

    /** Row r's LayerNorm map from its mean and M2 into {@code p}, and its mean and 1/√(σ² + ε) where asked. */
    private static void map(RowParams p, int r, double mu, double m2, int size, float epsilon, float[] meanOut,
                            float[] invStdDevOut, int out) {
        record(p, r, mu, m2, inverse(m2, size, epsilon), meanOut, invStdDevOut, out);
    }

    /** 1/√(σ² + ε) of a row whose M2 over {@code size} values is {@code m2}, in double. */
    private static double inverse(double m2, int size, float epsilon) {
        return 1 / Math.sqrt(m2 / size + epsilon);
    }

    /** Row r's map from its mean, M2 and 1/√(σ² + ε) into {@code p}; the mean and 1/√(σ² + ε) where asked. */
    private static void record(RowParams p, int r, double mu, double m2, double inverse, float[] meanOut,
                               float[] invStdDevOut, int out) {
        center(p, r, mu, m2, inverse);
        if (meanOut != null) {
            meanOut[out] = (float) mu;
            invStdDevOut[out] = (float) inverse;
        }
    }

    /** RMSNorm's 1/√(mean(x²) + ε) of a row, rounded once to float. */
    private static float rmsScale(double sumOfSquares, int size, float epsilon) {
        return (float) (1 / Math.sqrt(sumOfSquares / size + epsilon));
    }

    /**
     * Row r's map: centered at its mean as a hi/lo float pair, also where the row spreads beyond float's range
     * ({@code |x − μ| ≤ √M2 ≥ 2¹²⁷}, so a deviation may overflow float): such rows are marked
     * {@link RowParams#wide()} and written by {@link #wideRow}.
     * Folding them into {@code x·s − μ·s} instead put y up to {@code 2·|μ|·s·2⁻²⁴} off (design log, 2026-12-06).
     */
    private static void center(RowParams p, int r, double mu, double m2, double inverse) {
        float hi = (float) mu;
        float rest = (float) (mu - hi);
        p.scale()[r] = (float) inverse;
        p.center()[r] = hi;
        p.centerLow()[r] = Float.isFinite(rest) ? rest : 0f; // hi already carries a non-finite mean
        p.offset()[r] = 0f;
        p.wide()[r] = m2 >= 0x1p254 && Double.isFinite(m2);
    }

    /** A thread's working arrays. */
    private static final class Scratch {
        final RowParams params = new RowParams();
        final double[] mean = new double[RowParams.CHUNK_ROWS];
        final double[] m2 = new double[RowParams.CHUNK_ROWS];
        final double[] inverse = new double[RowParams.CHUNK_ROWS];
        final double[] sums = new double[2];
        final float[] blockSums = new float[2];
        final RowParams single = new RowParams();
        /** One row's map taken apart from {@link #params}: the pipeline's next row after a wide row. */
        final RowParams next = new RowParams();
    }
}
