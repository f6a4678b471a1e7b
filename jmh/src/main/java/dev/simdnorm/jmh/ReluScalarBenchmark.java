package dev.simdnorm.jmh;

import org.openjdk.jmh.annotations.Fork;

/** {@link ReluBenchmark} on the scalar kernels: the fallback every user without the module runs. */
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Dsimdnorm.kernels=scalar"})
public class ReluScalarBenchmark extends ReluBenchmark {
}
