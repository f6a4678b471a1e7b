package dev.simdnorm;

/**
 * The arithmetic in which {@link Moments#of(float[], int, int, int, Precision)} and its overloads sum a tensor's
 * deviations. Both keep the mean and M2 in double and merge blocks, slices and partial results with Chan's formula;
 * they differ in the sums over a block. Both run on the vector kernel and on the scalar fallback, with the same bits.
 * Immutable, thread-safe.
 */
public enum Precision {
    /**
     * Deviations and their squares summed in float over blocks of 256 values per accumulator: the fastest, and what
     * {@link BatchNorm} uses. The variance is within about 1e-7 relatively on data of mean 1e4 and standard deviation
     * 1 (docs/numerics.md).
     */
    FLOAT,
    /**
     * Each float widened to double and its deviation and square summed in double: the variance within 1.2e-13
     * relatively, and the mean within 7e-14·(|μ| + σ), of the exact moments of any finite float data, however far
     * from zero, for any count (docs/numerics.md; a mean far smaller than σ is known to that absolute error only).
     * For statistics that are stored and reused (dataset statistics, recalibration). It does twice the float mode's
     * vector operations: 0.8–2.3× its time in cache, 0.35–0.75 of a plain read's speed at 4 MiB and 0.8–1.0 at
     * 256 MiB (docs/performance.md, "Double-precision statistics").
     */
    DOUBLE
}
