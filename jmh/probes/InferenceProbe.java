import dev.simdnorm.BatchNorm;
import dev.simdnorm.Parallelism;

import java.util.Arrays;

/**
 * Probe, outside the build: simdnorm's inference alone on x of 32x56x56x64 (25.7 MB), the median of 201 timed
 * groups of 3 calls, to compare with the same loop in C ({@code ntstore.c}) run right after it. Not a benchmark:
 * JMH gives the published numbers; this only pairs Java and C minutes apart on a noisy machine.
 *
 * <pre>
 * ./mvnw -q install -DskipTests
 * javac --add-modules jdk.incubator.vector -cp target/classes -d /tmp/probe jmh/probes/InferenceProbe.java
 * java --add-modules jdk.incubator.vector -cp target/classes:/tmp/probe InferenceProbe
 * </pre>
 */
public class InferenceProbe {
    public static void main(String[] args) {
        int c = 64;
        int n = 32 * 56 * 56 * c;
        float[] x = new float[n];
        float[] y = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (i % 1000) * 0.001f;
        }
        BatchNorm bn = BatchNorm.builder(c).build();
        int rounds = 201;
        double[] t = new double[rounds];
        for (int r = -40; r < rounds; r++) {
            long t0 = System.nanoTime();
            for (int k = 0; k < 3; k++) {
                bn.inference(x, 0, y, 0, n / c, Parallelism.sequential());
            }
            if (r >= 0) {
                t[r] = (System.nanoTime() - t0) / 3.0 / n;
            }
        }
        Arrays.sort(t);
        System.out.printf("BatchNorm.inference, 32x56x56x64: %.3f ns/float (median)%n", t[rounds / 2]);
    }
}
