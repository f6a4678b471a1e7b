/**
 * The algorithm and the kernels behind {@code dev.simdnorm}; not exported.
 *
 * <p>One algorithm with kernel hooks: {@link dev.simdnorm.internal.RowStatistics} (NHWC),
 * {@link dev.simdnorm.internal.PlaneStatistics} (NCHW) and {@link dev.simdnorm.internal.GradientSums} own the blocks,
 * centers, checks and folds ({@link dev.simdnorm.internal.MomentMerge}); a {@link dev.simdnorm.internal.Kernel} only
 * sums a block, or maps one. The scalar kernel and the vector kernel (package {@code internal.vector}) walk the same
 * {@link dev.simdnorm.internal.LanePeriod}s and do the same operations per position in the same order, so they agree
 * bit for bit by construction, and a call may run on either. {@link dev.simdnorm.internal.KernelProvider} chooses
 * once, and runs the scalar kernel until the vector one is compiled. Kernels are stateless and trust their arguments:
 * the public layer has checked them.
 */
package dev.simdnorm.internal;
