import dev.simdnorm.BatchNorm;
import dev.simdnorm.KernelSelection;
import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.Kernel;
import dev.simdnorm.internal.KernelProvider;

import java.time.Duration;
import java.util.Arrays;

/**
 * Probe, outside the build: public {@code BatchNorm.inference} and the normalize kernel alone alternating in one JVM
 * on the same x (args: C and rows; 256 4096 is 4 MiB), y shifted against x by 0 to 1024 floats; medians of seven
 * rounds. JMH runs the two in different forks; this separates the public layer from what differs between JVMs.
 *
 * <pre>
 * ./mvnw -q install -DskipTests
 * javac --add-modules jdk.incubator.vector -cp core/target/classes -d /tmp/probe jmh/probes/PublicKernelProbe.java
 * java --add-modules jdk.incubator.vector -cp core/target/classes:/tmp/probe PublicKernelProbe 256 4096
 * </pre>
 */
public class PublicKernelProbe {
    public static void main(String[] a) {
        int C = Integer.parseInt(a[0]), rows = Integer.parseInt(a[1]);
        float[] x = new float[rows * C]; java.util.Random r = new java.util.Random(42);
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        int[] offs = {0, 16, 64, 256, 1024};
        float[] y = new float[x.length + 2048];
        float[] mean = new float[C], var = new float[C];
        for (int c = 0; c < C; c++) { mean[c] = 0.1f * c; var[c] = 1.5f; }
        BatchNorm layer = BatchNorm.builder(C).runningMean(mean).runningVariance(var).build();
        AffineParams p = new AffineParams(C);
        for (int c = 0; c < C; c++) { p.center()[c] = 0.1f * c; p.scale()[c] = 1.5f; p.shift()[c] = -0.25f; }
        p.layOut();
        KernelSelection.warmUp(Duration.ofSeconds(60));
        Kernel k = KernelProvider.normalizing();
        int reps = Math.max(20, 50_000_000 / x.length);
        double[][][] t = new double[2][offs.length][7];
        for (int round = 0; round < 7; round++)
            for (int o = 0; o < offs.length; o++)
                for (int w = 0; w < 2; w++) {
                    long t0 = System.nanoTime();
                    for (int i = 0; i < reps; i++) {
                        if (w == 0) {
                            layer.inference(x, 0, y, offs[o], rows);
                        } else {
                            k.normalize(x, 0, y, offs[o], rows, p, false);
                        }
                    }
                    t[w][o][round] = (System.nanoTime() - t0) / 1e3 / reps;
                }
        for (int o = 0; o < offs.length; o++) {
            Arrays.sort(t[0][o]); Arrays.sort(t[1][o]);
            System.out.printf("y offset %4d floats: public %.1f us, kernel %.1f us, public/kernel %.2f%n", offs[o],
                    t[0][o][3], t[1][o][3], t[0][o][3] / t[1][o][3]);
        }
    }
}
