/**
 * simdnorm: fast, exact batch normalization over NHWC and NCHW float tensors, on the Vector API where it is available.
 *
 * <p>The public API is the package {@code dev.simdnorm}. The kernels live in an internal package that is not
 * exported. The Vector API module {@code jdk.incubator.vector} and {@code jdk.management} are optional: without them
 * the library runs its scalar kernels and says so once through {@link System.Logger}.
 */
module dev.simdnorm {
    requires static jdk.incubator.vector;
    requires static jdk.management;

    exports dev.simdnorm;
}
