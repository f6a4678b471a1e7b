package dev.simdnorm;

import java.time.Duration;
import java.util.Random;

/**
 * Probe, outside the build: where y lies against x modulo 4 KiB, and the time of a copy, of {@code inference} and of
 * {@code train} on {@code n} floats (x at the start of one array, y at {@code d} floats past a multiple of 1,024 floats
 * beyond it), ns a call over a plain loop, one pass per placement. Not a benchmark: it shows which placements the
 * copy and the calls are sensitive to. The first {@code train} column includes that call's warm-up.
 *
 * <pre>
 * ./mvnw -q install -DskipTests
 * javac --add-modules jdk.incubator.vector -cp core/target/classes -d /tmp/probe jmh/probes/PlacementProbe.java
 * java --add-modules jdk.incubator.vector -cp core/target/classes:/tmp/probe dev.simdnorm.PlacementProbe 4096
 * </pre>
 */
public class PlacementProbe {
    public static void main(String[] args) {
        KernelSelection.warmUp(Duration.ofSeconds(60));
        int n = Integer.parseInt(args[0]);
        int[] cs = {1, 3, 16, 64, 256, 1000};
        int[] ds = {-512, -384, -256, -128, -64, -16, -4, 0, 4, 16, 64, 128, 256, 384};
        float[] buf = new float[3 * n + 8192];
        Random r = new Random(1);
        for (int i = 0; i < buf.length; i++) buf[i] = (float) r.nextGaussian() * 2 + 3;
        long budget = 16L * 1024 * 1024 * 1024 / n; // about 0.1 s per cell at 16 KiB
        int iters = (int) Math.max(200, Math.min(400_000, budget / 40));
        System.out.print("d");
        for (int d : ds) System.out.print("\t" + d);
        System.out.println();
        StringBuilder copy = new StringBuilder("copy");
        for (int d : ds) {
            int yo = 1024 * ((n + 1023) / 1024) + 2048 + d;
            for (int i = 0; i < iters; i++) System.arraycopy(buf, 0, buf, yo, n);
            long t0 = System.nanoTime();
            for (int i = 0; i < iters; i++) System.arraycopy(buf, 0, buf, yo, n);
            copy.append(String.format("\t%.0f", (System.nanoTime() - t0) / (double) iters));
        }
        System.out.println(copy);
        for (int c : cs) {
            int rows = n / c;
            BatchNorm bn = BatchNorm.builder(c).build();
            StringBuilder inf = new StringBuilder("inf C=" + c);
            StringBuilder tr = new StringBuilder("train C=" + c);
            double[] bm = new double[c], bv = new double[c];
            for (int d : ds) {
                int yo = 1024 * ((n + 1023) / 1024) + 2048 + d;
                for (int i = 0; i < iters; i++) bn.inference(buf, 0, buf, yo, rows);
                long t0 = System.nanoTime();
                for (int i = 0; i < iters; i++) bn.inference(buf, 0, buf, yo, rows);
                long t1 = System.nanoTime();
                for (int i = 0; i < iters / 2; i++) bn.train(buf, 0, buf, yo, rows, bm, bv);
                long t2 = System.nanoTime();
                inf.append(String.format("\t%.0f", (t1 - t0) / (double) iters));
                tr.append(String.format("\t%.0f", (t2 - t1) / (double) (iters / 2)));
            }
            System.out.println(inf);
            System.out.println(tr);
        }
    }
}
