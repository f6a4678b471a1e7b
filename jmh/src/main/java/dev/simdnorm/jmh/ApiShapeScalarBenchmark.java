package dev.simdnorm.jmh;

import org.openjdk.jmh.annotations.Fork;

/** {@link ApiShapeBenchmark} on the scalar kernels ({@code -Dsimdnorm.kernels=scalar}): the vector/scalar ratios. */
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Dsimdnorm.kernels=scalar"})
public class ApiShapeScalarBenchmark extends ApiShapeBenchmark {
}
