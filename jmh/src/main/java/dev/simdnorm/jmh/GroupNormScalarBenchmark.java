package dev.simdnorm.jmh;

import org.openjdk.jmh.annotations.Fork;

/** {@link GroupNormBenchmark} with the scalar kernels, for the vector-over-scalar ratio. */
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Dsimdnorm.kernels=scalar", "-Xmx3g"})
public class GroupNormScalarBenchmark extends GroupNormBenchmark {
}
