package dev.simdnorm;

import java.time.Duration;
import java.util.Random;

/**
 * Probe, outside the build: a training step on 16 KiB ({@code 4096 / C} rows) as users call it, then its parts one
 * after the other in the same JVM (the statistics, the training map, normalize, the running update) and a copy of the
 * same bytes, ns a call over a plain loop, six rounds. Not a benchmark: it says where a small step's time goes. In
 * package dev.simdnorm, for the parts.
 *
 * <pre>
 * ./mvnw -q install -DskipTests
 * javac --add-modules jdk.incubator.vector -cp core/target/classes -d /tmp/probe jmh/probes/TrainPartsProbe.java
 * java --add-modules jdk.incubator.vector -cp core/target/classes:/tmp/probe dev.simdnorm.TrainPartsProbe 1000
 * </pre>
 */
public class TrainPartsProbe {
    static volatile Object sink;

    public static void main(String[] args) {
        int c = Integer.parseInt(args[0]);
        int rows = Math.max(1, 4096 / c);
        int n = rows * c;
        float[] x = new float[n];
        float[] y = new float[n];
        Random r = new Random(1);
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian() * 2 + 3;
        }
        BatchNorm bn = BatchNorm.builder(c).build();
        double[] batchMean = new double[c];
        double[] batchVariance = new double[c];
        KernelSelection.warmUp(Duration.ofSeconds(60));
        TrainingState t = bn.trainingState();
        int iters = 2_000_000 / Math.max(1, c / 16);
        for (int round = 0; round < 6; round++) {
            long t0 = System.nanoTime();
            for (int i = 0; i < iters; i++) {
                bn.train(x, 0, y, 0, rows, batchMean, batchVariance);
            }
            long t1 = System.nanoTime();
            for (int i = 0; i < iters; i++) {
                Engine.moments(x, 0, rows, c, Parallelism.sequential(), t.mean, t.m2);
            }
            long t2 = System.nanoTime();
            for (int i = 0; i < iters; i++) {
                sink = t.map(rows, bn.gamma, bn.beta, bn.epsilon, true);
            }
            long t3 = System.nanoTime();
            var map = t.map(rows, bn.gamma, bn.beta, bn.epsilon, true);
            for (int i = 0; i < iters; i++) {
                Engine.normalize(x, 0, y, 0, rows, map, false, Parallelism.sequential());
            }
            long t4 = System.nanoTime();
            for (int i = 0; i < iters; i++) {
                bn.commit(t, rows);
            }
            long t5 = System.nanoTime();
            for (int i = 0; i < iters; i++) {
                System.arraycopy(x, 0, y, 0, n);
            }
            long t6 = System.nanoTime();
            double k = iters;
            System.out.printf("C=%d rows=%d train %.0f ns | statistics %.0f map %.0f normalize %.0f commit %.0f"
                    + " | copy %.0f%n", c, rows, (t1 - t0) / k, (t2 - t1) / k, (t3 - t2) / k, (t4 - t3) / k,
                    (t5 - t4) / k, (t6 - t5) / k);
        }
    }
}
