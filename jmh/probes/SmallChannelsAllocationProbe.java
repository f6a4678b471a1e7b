package dev.simdnorm;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.SplittableRandom;

/**
 * Probe, outside the build: InstanceNorm on NHWC images of C = 48, 24, 6 and 3 channels in turn (every branch of the
 * statistics' twelve-vector reduction), then the bytes a C = 3 call allocates, after 20,000 rounds. Before
 * 2026-12-05 C2 could compile that reduction with its last adds in the Vector API's Java fallback: 0.3 to 7 KB a call
 * in two of five JVMs, and in every run with {@code -Xbatch}. It must print 0.
 *
 * <pre>
 * ./mvnw -q install -DskipTests
 * javac --add-modules jdk.incubator.vector -cp core/target/classes -d /tmp/probe \
 *     jmh/probes/SmallChannelsAllocationProbe.java
 * java -Xbatch --add-modules jdk.incubator.vector -cp core/target/classes:/tmp/probe \
 *     dev.simdnorm.SmallChannelsAllocationProbe
 * </pre>
 */
public class SmallChannelsAllocationProbe {
    public static void main(String[] args) {
        KernelSelection.warmUp(Duration.ofSeconds(60));
        float[] x = new float[64000];
        float[] y = new float[64000];
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        GroupNorm rgb = GroupNorm.instanceNorm(3).build();
        GroupNorm[] others = {GroupNorm.instanceNorm(48).build(), GroupNorm.instanceNorm(24).build(),
                GroupNorm.instanceNorm(6).build()};
        for (int i = 0; i < 20_000; i++) {
            for (GroupNorm g : others) {
                g.apply(x, 0, y, 0, TensorLayout.NHWC, 4, 256);
            }
            rgb.apply(x, 0, y, 0, TensorLayout.NHWC, 4, 1000);
        }
        com.sun.management.ThreadMXBean bean =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long id = Thread.currentThread().threadId();
        long before = bean.getThreadAllocatedBytes(id);
        for (int i = 0; i < 1000; i++) {
            rgb.apply(x, 0, y, 0, TensorLayout.NHWC, 4, 1000);
        }
        System.out.println("InstanceNorm NHWC, C = 3: " + (bean.getThreadAllocatedBytes(id) - before) / 1000
                + " bytes a call");
    }
}
