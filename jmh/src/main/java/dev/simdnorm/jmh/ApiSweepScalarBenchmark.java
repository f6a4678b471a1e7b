package dev.simdnorm.jmh;

import org.openjdk.jmh.annotations.Fork;

/** {@link ApiSweepBenchmark} on the scalar kernels ({@code -Dsimdnorm.kernels=scalar}): the vector/scalar ratios. */
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Xmx3g", "-Dsimdnorm.kernels=scalar"})
public class ApiSweepScalarBenchmark extends ApiSweepBenchmark {
}
