package dev.simdnorm;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * After the warm-up every operation runs the chosen kernels, and what users call in a loop allocates nothing: no
 * boxed vector, no per-call layout, no per-call partials. Allocation is counted per thread by the JVM
 * ({@code ThreadMXBean.getThreadAllocatedBytes}), over calls made after the JIT has compiled them.
 */
class WarmUpAndAllocationTest {

    /** Far below one object per call (16 bytes × the calls measured), above the JVM's own noise. */
    private static final long SLACK_BYTES = 1024;
    private static final int CALLS = 500;
    /** {@code MemorySegment.heapBase}'s {@code Optional}, where C2 does not inline that call (see its use). */
    private static final long HEAP_BASE_OPTIONAL = 16;

    @Test
    void theWarmUpEndsWithEveryOperationOnTheChosenKernels() {
        assertTrue(KernelSelection.warmUp(Duration.ofSeconds(120)), "the warm-up did not end in 120 s");
        assertTrue(KernelSelection.warm());
        String chosen = KernelSelection.active().name();
        assertEquals(chosen, dev.simdnorm.internal.KernelProvider.normalizing().name());
        assertEquals(chosen, dev.simdnorm.internal.KernelProvider.statistics().name());
        assertEquals(chosen, dev.simdnorm.internal.KernelProvider.gradients().name());
        assertEquals(chosen, dev.simdnorm.internal.KernelProvider.rows().name());
    }

    @Test
    void loopsOfPublicCallsAllocateNothing() {
        // Where the warm-up is off, the vector code is not known to be compiled: interpreted, it boxes every vector.
        assumeTrue(!"off".equals(System.getProperty("simdnorm.warmup")), "no warm-up: compilation not known");
        assertTrue(KernelSelection.warmUp(Duration.ofSeconds(120)));
        int c = 64;
        int rows = 1000;
        float[] x = new float[rows * c];
        float[] dy = new float[rows * c];
        SplittableRandom r = new SplittableRandom(9);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() + i % c);
            dy[i] = (float) r.nextGaussian();
        }
        float[] y = new float[x.length];
        BatchNorm bn = BatchNorm.builder(c).activation(Activation.RELU).build();
        ChannelAffine map = bn.inferenceMap();
        double[] mean = new double[c];
        double[] variance = new double[c];
        float[] dGamma = new float[c];
        float[] dBeta = new float[c];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xs = arena.allocate((long) x.length * Float.BYTES, 64);
            MemorySegment ys = arena.allocate((long) x.length * Float.BYTES, 64);
            MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_FLOAT, 0, x.length);
            assertAllocatesNothing("inference", () -> bn.inference(x, 0, y, 0, rows));
            assertAllocatesNothing("inference in place", () -> bn.inference(y, 0, y, 0, rows));
            TensorShape nchw = TensorShape.nchw(10, c, rows / 10); // held, as a layer of a model would
            assertAllocatesNothing("inference NCHW", () -> bn.inference(x, 0, y, 0, nchw));
            assertAllocatesNothing("inference off-heap", () -> bn.inference(xs, ys, rows));
            assertAllocatesNothing("apply", () -> map.apply(x, 0, y, 0, rows));
            assertAllocatesNothing("train into arrays", () -> bn.train(x, 0, y, 0, rows, mean, variance));
            assertAllocatesNothing("backward into arrays",
                    () -> bn.backward(x, 0, dy, 0, y, 0, rows, mean, variance, dGamma, dBeta));
            assertAllocatesNothing("frozen backward into arrays", () -> bn.backwardInference(x, 0, dy, 0, y, 0, rows,
                    dGamma, dBeta, Parallelism.sequential()));
            // Segments, off the heap and over a float[]: training into arrays allocates nothing, training and
            // Moments.of their Moments, the row and group normalizations nothing (rows far below the 2^22 floats
            // above which a segment not over a float[] is staged through an array of the call's own).
            MemorySegment heap = MemorySegment.ofArray(x);
            assertAllocatesNothing("train off-heap into arrays", () -> bn.train(xs, ys, rows, mean, variance));
            // A segment over a float[] is read as that array, found through MemorySegment.heapBase, whose Optional
            // C2 drops only where it inlines the call (in some of the suite's JVMs it did not): at most one Optional
            // each time a call looks at such a segment, here in the statistics' pass and in the map's.
            assertAllocatesAtMost(2 * HEAP_BASE_OPTIONAL, "train from a heap segment into arrays",
                    () -> bn.train(heap, ys, rows, mean, variance));
            long moments = 3 * 16 + 2 * (16 + 8L * c) + 64;
            assertAllocatesAtMost(moments, "train off-heap", () -> bn.train(xs, ys, rows));
            assertAllocatesAtMost(moments, "Moments.of off-heap", () -> Moments.of(xs, rows, c));
            LayerNorm layerNorm = LayerNorm.builder(c).build();
            RmsNorm rmsNorm = RmsNorm.builder(c).build();
            MemorySegment hs = arena.allocate((long) x.length * Float.BYTES, 64);
            assertAllocatesNothing("LayerNorm off-heap", () -> layerNorm.apply(xs, ys, rows));
            MemorySegment rs = arena.allocate((long) x.length * Float.BYTES, 64);
            assertAllocatesNothing("LayerNorm off-heap, residual and h", () -> layerNorm.apply(xs, rs, ys, hs, rows));
            assertAllocatesAtMost(HEAP_BASE_OPTIONAL, "LayerNorm, the residual a heap segment",
                    () -> layerNorm.apply(xs, heap, ys, hs, rows));
            assertAllocatesNothing("RMSNorm off-heap", () -> rmsNorm.apply(xs, ys, rows));
            assertAllocatesAtMost(HEAP_BASE_OPTIONAL, "RMSNorm from a heap segment",
                    () -> rmsNorm.apply(heap, ys, rows));
            GroupNorm groups = GroupNorm.builder(c, c / 4).build();
            assertAllocatesNothing("GroupNorm off-heap NHWC",
                    () -> groups.apply(xs, ys, TensorLayout.NHWC, 10, rows / 10));
            assertAllocatesNothing("GroupNorm off-heap NCHW",
                    () -> groups.apply(xs, ys, TensorLayout.NCHW, 10, rows / 10));
        }
        // Moments.of allocates its result: the object and two arrays of C doubles, nothing that grows with rows.
        assertAllocatesAtMost(3 * 16 + 2 * (16 + 8L * c) + 64, "Moments.of", () -> Moments.of(x, 0, rows, c));
        // backward and backwardInference allocate their Gradients: the object and two arrays of C floats.
        Moments batch = bn.train(x, 0, y, 0, rows);
        long gradients = 3 * 16 + 2 * (16 + 4L * c) + 64;
        assertAllocatesAtMost(gradients, "backward", () -> bn.backward(x, 0, dy, 0, y, 0, rows, batch));
        assertAllocatesAtMost(gradients, "backwardInference", () -> bn.backwardInference(x, 0, dy, 0, y, 0, rows));
        // On an NCHW tensor too, staged through the thread's buffers: nothing that grows with the tensor (at most the
        // call's two small work objects, the slice sums' and the dx pass's, where C2 does not take them apart).
        TensorShape planes = TensorShape.nchw(10, c, rows / 10);
        Moments planesBatch = bn.train(x, 0, y, 0, planes);
        assertAllocatesAtMost(gradients + 256, "backward NCHW",
                () -> bn.backward(x, 0, dy, 0, y, 0, planes, planesBatch));
        assertAllocatesAtMost(gradients + 256, "backwardInference NCHW",
                () -> bn.backwardInference(x, 0, dy, 0, y, 0, planes));
        // LayerNorm and RMSNorm allocate nothing, the residual forms and the per-row outputs included.
        LayerNorm ln = LayerNorm.builder(c).build();
        RmsNorm rms = RmsNorm.builder(c).build();
        float[] h = new float[x.length];
        float[] rowMean = new float[rows];
        float[] rowInv = new float[rows];
        assertAllocatesNothing("LayerNorm", () -> ln.apply(x, 0, y, 0, rows));
        assertAllocatesNothing("LayerNorm with row outputs", () -> ln.apply(x, 0, y, 0, rows, rowMean, rowInv));
        assertAllocatesNothing("LayerNorm residual", () -> ln.apply(x, 0, dy, 0, y, 0, h, 0, rows));
        assertAllocatesNothing("RMSNorm", () -> rms.apply(x, 0, y, 0, rows));
        assertAllocatesNothing("RMSNorm residual", () -> rms.apply(x, 0, dy, 0, y, 0, rows));
        // GroupNorm and InstanceNorm allocate nothing after a thread's first call, in both layouts.
        GroupNorm gn = GroupNorm.builder(c, c / 4).build();
        GroupNorm in = GroupNorm.instanceNorm(c).build();
        assertAllocatesNothing("GroupNorm NHWC", () -> gn.apply(x, 0, y, 0, TensorLayout.NHWC, 10, rows / 10));
        assertAllocatesNothing("InstanceNorm NCHW", () -> in.apply(x, 0, y, 0, TensorLayout.NCHW, 10, rows / 10));
        // Channels dividing three vectors' lanes, each reduction step's branch taken before C = 3 is measured: once
        // C2 had compiled them all, the statistics' last steps ran in the Vector API's Java fallback (0.3 to 15 KB a
        // call at C = 3, in some runs).
        for (int c12 : new int[] {48, 24, 12, 6}) {
            GroupNorm images = GroupNorm.instanceNorm(c12).build();
            assertAllocatesNothing("InstanceNorm NHWC, C = " + c12,
                    () -> images.apply(x, 0, y, 0, TensorLayout.NHWC, 4, 256));
        }
        // Three channels (RGB images): the layouts below a vector's lanes, whose vectors were once boxed where a
        // method taking them was not inlined.
        GroupNorm rgb = GroupNorm.instanceNorm(3).build();
        assertAllocatesNothing("InstanceNorm NHWC, C = 3", () -> rgb.apply(x, 0, y, 0, TensorLayout.NHWC, 4, 1000));
        BatchNorm bn3 = BatchNorm.builder(3).build();
        double[] mean3 = new double[3];
        double[] variance3 = new double[3];
        assertAllocatesNothing("train into arrays, C = 3", () -> bn3.train(x, 0, y, 0, 4000, mean3, variance3));
        // More channels than a thread's first working arrays hold (C > 4096): made again once, for the widest C.
        int wide = 5000;
        int wideRows = 8;
        float[] xw = Arrays.copyOf(x, wideRows * wide);
        float[] dyw = Arrays.copyOf(dy, xw.length);
        float[] yw = new float[xw.length];
        BatchNorm bnw = BatchNorm.builder(wide).build();
        double[] meanW = new double[wide];
        double[] varianceW = new double[wide];
        float[] dGammaW = new float[wide];
        float[] dBetaW = new float[wide];
        assertAllocatesNothing("train into arrays, C = 5000", () -> bnw.train(xw, 0, yw, 0, wideRows, meanW,
                varianceW));
        assertAllocatesNothing("backward into arrays, C = 5000", () -> bnw.backward(xw, 0, dyw, 0, yw, 0, wideRows,
                meanW, varianceW, dGammaW, dBetaW));
        GroupNorm gnw = GroupNorm.builder(wide, 50).build();
        assertAllocatesNothing("GroupNorm NHWC, C = 5000",
                () -> gnw.apply(xw, 0, yw, 0, TensorLayout.NHWC, 2, wideRows / 2));
        assertAllocatesAtMost(3 * 16 + 2 * (16 + 8L * wide) + 64, "Moments.of in double, C = 5000",
                () -> Moments.of(xw, 0, wideRows, wide, Precision.DOUBLE));
    }

    private static void assertAllocatesNothing(String what, Runnable call) {
        assertAllocatesAtMost(0, what, call);
    }

    /** At most {@code bytes} per call; where more, the message says which stacks allocated ({@link AllocationSites}). */
    private static void assertAllocatesAtMost(long bytes, String what, Runnable call) {
        long perCall = allocatedPerCall(call, bytes);
        if (perCall > bytes) {
            // JFR samples at TLAB refills: enough calls for about 8 MB, so that a few bytes a call show too.
            int calls = (int) Math.clamp((8L << 20) / perCall, 2_000, 200_000);
            fail(what + " allocates about " + perCall + " B per call" + AllocationSites.of(call, calls));
        }
    }

    /**
     * Bytes allocated per call over {@link #CALLS} calls after 5,000 to compile them; 0 within the slack. The least of
     * the windows taken, each after 2,000 more calls, until one takes at most {@code enough} bytes a call, or eight
     * windows and 20 s have passed. A recompilation that lands in a window (the JIT's queue on two busy cores is long
     * after the property tests, and a window is a few tens of milliseconds) runs a few calls in the interpreter, which
     * boxes; eight windows were not always enough on a loaded machine. Allocation by the compiled code itself shows in
     * every window.
     */
    private static long allocatedPerCall(Runnable call, long enough) {
        com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 5_000; i++) {
            call.run();
        }
        long id = Thread.currentThread().threadId();
        long least = Long.MAX_VALUE;
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        for (int window = 0; least > enough && (window < 8 || System.nanoTime() < deadline); window++) {
            for (int i = 0; window > 0 && i < 2_000; i++) {
                call.run();
            }
            long before = bean.getThreadAllocatedBytes(id);
            for (int i = 0; i < CALLS; i++) {
                call.run();
            }
            long bytes = bean.getThreadAllocatedBytes(id) - before;
            least = Math.min(least, bytes <= SLACK_BYTES ? 0 : bytes / CALLS);
        }
        return least;
    }
}
