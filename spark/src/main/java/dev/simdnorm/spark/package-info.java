/**
 * simdnorm on Apache Spark: dataset statistics ({@link dev.simdnorm.spark.SparkMoments}, and grouped, from SQL,
 * {@link dev.simdnorm.spark.MomentsAggregator}), recalibration of a BatchNorm layer's running statistics and batch
 * inference ({@link dev.simdnorm.spark.SparkBatchNorm}), over columns of NHWC float32 tensors.
 *
 * <p><b>Columns.</b> {@code array<float>}, or {@code binary} of little-endian float32; one whole tensor per record,
 * any number of rows of C channels.
 *
 * <p><b>Exact and deterministic.</b> Statistics accumulate in double ({@link dev.simdnorm.Precision#DOUBLE}) and
 * merge partitions in partition order, in a fixed tree, so a given partitioning and order of records gives the same
 * bits on any cluster, with any number of executors, in any task order ({@link dev.simdnorm.spark.SparkMoments} says
 * when Spark fixes those).
 *
 * <p><b>Malformed records</b> (a length that is not a multiple of C, a null element, NaN or ±Inf in statistics) fail
 * the job with a {@link dev.simdnorm.spark.MalformedTensorException} naming the partition and record; null values are
 * skipped, as SQL's aggregates skip them.
 *
 * <p><b>JVM options.</b> Spark is {@code provided}: this jar and the core jar go on the application's class path
 * ({@code spark-submit --jars}). The vector kernels need {@code --add-modules jdk.incubator.vector} on the driver and
 * on every executor ({@code spark.driver.extraJavaOptions}, {@code spark.executor.extraJavaOptions}); without it the
 * library runs its scalar kernels, with the same results, and logs one line saying so. The project's README has the
 * whole {@code spark-submit} line.
 *
 * <p>Every class here is thread-safe or, for Spark's own per-task objects, documented as not.
 */
package dev.simdnorm.spark;
