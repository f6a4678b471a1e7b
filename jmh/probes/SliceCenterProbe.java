import dev.simdnorm.KernelSelection;
import dev.simdnorm.internal.Kernel;
import dev.simdnorm.internal.KernelProvider;
import dev.simdnorm.internal.LanePeriod;

import java.time.Duration;
import java.util.Arrays;
import java.util.Random;

/**
 * Probe, outside the build: the statistics kernel over a tensor as one call and as the engine's slices of about
 * 1 MiB, each slice's first block around a center it samples itself (128 rows read twice: before 2026-12-04) or
 * around the tensor's first center, given (after). The four ways alternate in one JVM, nine rounds; medians. Not a
 * benchmark: it isolates the leaves' work from the merge and the public layer on a noisy machine.
 *
 * <pre>
 * ./mvnw -q install -DskipTests
 * javac --add-modules jdk.incubator.vector -cp core/target/classes -d /tmp/probe jmh/probes/SliceCenterProbe.java
 * java --add-modules jdk.incubator.vector -cp core/target/classes:/tmp/probe SliceCenterProbe
 * </pre>
 */
public class SliceCenterProbe {
    public static void main(String[] args) {
        KernelSelection.warmUp(Duration.ofSeconds(60));
        Kernel k = KernelProvider.statistics();
        String[] names = {"8x28x28x256", "32x56x56x64", "4MiB/C=100", "4MiB/C=256", "4MiB/C=1000"};
        int[][] shapes = {{6272, 256}, {100352, 64}, {10485, 100}, {4096, 256}, {1048, 1000}};
        System.out.println("| row | slices | one call, sampled µs | slices, each sampling µs"
                + " | slices, first center given µs | sampling / given |");
        System.out.println("|---|---|---|---|---|---|");
        for (int t = 0; t < shapes.length; t++) {
            int n = shapes[t][0];
            int c = shapes[t][1];
            float[] x = new float[n * c];
            Random random = new Random(1);
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian() + 3f;
            }
            int block = LanePeriod.blockRows(c);
            int perSlice = Math.max(1, (1 << 18) / c / block) * block; // Slices.rowsPerSlice
            double[] mean = new double[c];
            double[] m2 = new double[c];
            float[] center = new float[c];
            int reps = Math.max(20, 25_000_000 / x.length);
            double[][] times = new double[3][9];
            for (int round = 0; round < 9; round++) {
                for (int way = 0; way < 3; way++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < reps; i++) {
                        if (way == 0) {
                            k.moments(x, 0, n, c, mean, m2);
                            continue;
                        }
                        float[] given = null;
                        if (way == 2) {
                            k.firstCenter(x, 0, n, c, center);
                            given = center;
                        }
                        for (int s = 0; s * perSlice < n; s++) {
                            k.moments(x, s * perSlice * c, Math.min(perSlice, n - s * perSlice), c, given, mean, m2);
                        }
                    }
                    times[way][round] = (System.nanoTime() - t0) / 1e3 / reps;
                }
            }
            for (double[] d : times) {
                Arrays.sort(d);
            }
            System.out.printf("| %s | %d | %.1f | %.1f | %.1f | %.2f |%n", names[t], Math.ceilDiv(n, perSlice),
                    times[0][4], times[1][4], times[2][4], times[1][4] / times[2][4]);
        }
    }
}
