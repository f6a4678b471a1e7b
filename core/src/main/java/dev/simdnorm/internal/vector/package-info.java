/**
 * The Vector API kernel: the only package that imports {@code jdk.incubator.vector} (a test enforces it), loaded by
 * name once the module is known to be readable. One class per operation ({@link
 * dev.simdnorm.internal.vector.VectorNormalize}, {@link dev.simdnorm.internal.vector.VectorStatistics}, {@link
 * dev.simdnorm.internal.vector.VectorPlanes}, {@link dev.simdnorm.internal.vector.VectorGradients}); every loop keeps
 * its vectors inside its own method, so that C2 compiles it whole and never boxes one.
 */
package dev.simdnorm.internal.vector;
