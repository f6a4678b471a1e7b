package dev.simdnorm.internal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The calls the warm-up makes on a kernel: every path of every operation, on small private buffers, so that the JIT
 * compiles each loop with a branch profile that has seen them all (a path first taken after compilation traps, and the
 * method runs interpreted again until it is recompiled: for vector code, about a hundred times slower). The scalar and
 * the vector kernel's workouts make the same calls, in the same order, so that {@link WarmUp} can time each against
 * its twin.
 *
 * <p>Used by one thread; it never touches a caller's memory.
 */
public class KernelWorkout {

    /** The operations whose kernels are switched one at a time, in this order. */
    public enum Operation {
        /** Normalize, NHWC, and the layout of a map's parameters over the period ({@link Kernel#repeat}). */
        NORMALIZE,
        /** Statistics, NHWC. */
        STATISTICS,
        /**
         * Normalize, NCHW: apart from NHWC's, so that a caller of one layout does not wait for, nor compete with, the
         * compilation of the other's loops.
         */
        NORMALIZE_NCHW,
        /** Statistics, NCHW (also LayerNorm's rows longer than one double-summed block): apart, as above. */
        STATISTICS_NCHW,
        /** Both backward passes. */
        GRADIENTS,
        /**
         * The row normalizations' own steps (the row map, the residual add, the sums of squares): apart, so that
         * BatchNorm's operations do not wait for their compilation.
         */
        ROWS,
        /** Statistics with the deviations summed in double, NHWC and NCHW: apart, as few calls ask for them. */
        STATISTICS_IN_DOUBLE
    }

    /**
     * Channel counts that reach every path at every width: C = 1 and 3 take the linear walks of four and three
     * vectors at 16 lanes, 17 groups of four vectors and single vectors, 65 a masked last vector, 64 one accumulator
     * per channel.
     */
    private static final int[] CHANNELS = {1, 3, 17, 65, 64};

    private final Kernel kernel;
    private final Map<Operation, List<Runnable>> calls = new EnumMap<>(Operation.class);
    private final double[] mean = new double[128];
    private final double[] m2 = new double[128];
    /** The origin of the means in double: 0, near the workout's data. */
    private final double[] origin = new double[128];

    /**
     * A workout for {@code kernel}.
     *
     * @param kernel the kernel to exercise
     */
    public KernelWorkout(Kernel kernel) {
        this.kernel = kernel;
        for (Operation op : Operation.values()) {
            calls.put(op, new ArrayList<>());
        }
        SplittableRandom random = new SplittableRandom(1);
        SplittableRandom longer = new SplittableRandom(2);
        for (int c : CHANNELS) {
            // Two whole walked periods and a partial one: whole periods, and a tail.
            int rows = 2 * LanePeriod.walked(c) / c + 1;
            float[] x = data(random, rows * c);
            float[] y = new float[x.length];
            float[] dy = data(random, rows * c);
            // Five whole periods for normalize's memory-order walk, which takes four periods at a time: apart, so that
            // the other calls keep the shapes they are profiled on.
            int rows5 = 5 * LanePeriod.walked(c) / c + 1;
            float[] x5 = data(longer, rows5 * c);
            float[] y5 = new float[x5.length];
            GradientParams correction = new GradientParams(c);
            fill(random, correction.deviationScale(), c);
            fill(random, correction.offset(), c);
            correction.layOut();
            add(Operation.STATISTICS, () -> kernel.moments(x, 0, rows, c, mean, m2));
            // Whole periods only: the sums reduced in registers (C = 1, 3, 64 at 16 lanes) also for the block's q.
            add(Operation.STATISTICS, () -> kernel.moments(x, 0, rows - 1, c, mean, m2));
            // A later slice of a tensor: the first block around a center given, here another tensor's first row.
            float[] firstCenter = Arrays.copyOf(x5, c);
            add(Operation.STATISTICS, () -> kernel.moments(x, 0, rows, c, firstCenter, mean, m2));
            // A training map's layout (ChannelAffine.training runs the normalizing kernel's repeat).
            float[] layout = LanePeriod.padded(LanePeriod.walked(c));
            fill(random, layout, c);
            add(Operation.NORMALIZE, () -> kernel.repeat(layout, c, LanePeriod.walked(c)));
            float[] layoutLow = layout.clone();
            float[] layoutScale = layout.clone();
            add(Operation.NORMALIZE, () -> kernel.repeat(layout, layoutLow, layoutScale, c, LanePeriod.walked(c)));
            // A training map's values (ChannelAffine.training runs the normalizing kernel's); the last channel's
            // deviations wide enough for the rare steps.
            AffineParams map = new AffineParams(c);
            double[] batchMean = new double[c];
            double[] batchVariance = new double[c];
            for (int k = 0; k < c; k++) {
                batchMean[k] = random.nextGaussian();
                batchVariance[k] = 1 + random.nextDouble();
            }
            batchVariance[c - 1] = 0x1p260;
            float[] gamma = data(random, c);
            add(Operation.NORMALIZE, () -> kernel.trainingValues(map, batchMean, batchVariance, rows, gamma, 1e-3f));
            add(Operation.STATISTICS_NCHW, () -> kernel.momentsNchw(x, 0, 1, c, rows, 0, c, mean, m2));
            add(Operation.STATISTICS_IN_DOUBLE, () -> kernel.momentsInDouble(x, 0, rows, c, origin, mean, m2));
            // The double mode's memory-order walk of long periods (C = 17) takes four periods at a time too.
            add(Operation.STATISTICS_IN_DOUBLE, () -> kernel.momentsInDouble(x5, 0, rows5, c, origin, mean, m2));
            add(Operation.STATISTICS_IN_DOUBLE, () -> kernel.momentsNchwInDouble(x, 0, 1, c, rows, 0, c, mean, m2));
            for (boolean low : new boolean[] {false, true}) {
                AffineParams p = new AffineParams(c);
                fill(random, p.center(), c);
                if (low) { // a training map's: data for the second subtraction (which every map makes)
                    fill(random, p.centerLow(), c);
                }
                fill(random, p.scale(), c);
                fill(random, p.shift(), c);
                p.layOut();
                for (boolean relu : new boolean[] {false, true}) {
                    add(Operation.NORMALIZE, () -> kernel.normalize(x, 0, y, 0, rows, p, relu));
                    add(Operation.NORMALIZE, () -> normalizeInMemoryOrder(x5, y5, rows5, p, relu));
                    add(Operation.NORMALIZE_NCHW, () -> kernel.normalizeNchw(x, 0, y, 0, 1, rows, p, relu));
                    add(Operation.GRADIENTS, () -> kernel.gradientSums(x, 0, dy, 0, rows, p, relu, mean, m2));
                    add(Operation.GRADIENTS, () -> kernel.inputGradient(x, 0, dy, 0, y, 0, rows, p, null, relu));
                    add(Operation.GRADIENTS, () -> kernel.inputGradient(x, 0, dy, 0, y, 0, rows, p, correction,
                            relu));
                }
            }
        }
        // Rows along their length (LayerNorm, RMSNorm): whole vectors and a masked last one, at every width.
        for (int size : new int[] {17, 65}) {
            int rows = 3;
            float[] x = data(random, rows * size);
            float[] y = new float[x.length];
            RowParams p = new RowParams().positions(data(random, size), data(random, size));
            fill(random, p.center(), rows);
            fill(random, p.centerLow(), rows);
            fill(random, p.scale(), rows);
            add(Operation.ROWS, () -> kernel.normalizeRows(x, 0, y, 0, rows, size, p));
            add(Operation.ROWS, () -> kernel.scaleRows(x, 0, y, 0, rows, size, p));
            add(Operation.ROWS, () -> mean[0] = kernel.scaleRowAndSumNext(x, 0, y, 0, size, p, 1, size));
            add(Operation.ROWS, () -> kernel.normalizeRowAndSumNext(x, 0, y, 0, size, p, 1, size, m2));
            add(Operation.ROWS, () -> kernel.sumSquares(x, 0, rows, size, mean));
            add(Operation.ROWS, () -> kernel.rowMoments(x, 0, rows, size, mean, m2));
            add(Operation.ROWS, () -> kernel.add(x, 0, x, 0, y, 0, rows * size));
        }
        // LayerNorm's long rows written while the next is summed in float blocks: one loop on whole groups of 64
        // floats, two loops otherwise.
        for (int size : new int[] {128, 65}) {
            float[] x = data(random, 2 * size);
            float[] y = new float[size];
            RowParams p = new RowParams().positions(data(random, size), data(random, size));
            fill(random, p.center(), 1);
            fill(random, p.scale(), 1);
            float[] sums = new float[2];
            add(Operation.ROWS, () -> kernel.normalizeRowAndSumNextBlock(x, 0, y, 0, size, p, 0, size, 0.5f, sums));
            // The steps around it: the row's center and its fold, through the kernel's plane sums.
            add(Operation.ROWS, () -> {
                PlaneStatistics.Deviations d = kernel.planeDeviations();
                float center = PlaneStatistics.runCenter(d, x, size, size);
                PlaneStatistics.sumRun(d, x, size, size, center, sums);
                PlaneStatistics.foldRun(d, x, size, size, center, sums[0], sums[1], mean, m2, 0);
            });
        }
        // A later block's fold, and a block whose center missed: paths of the statistics' per-block steps.
        float[] center = data(random, 128);
        float[] r = data(random, 128);
        float[] q = data(random, 128);
        add(Operation.STATISTICS, () -> mergeLaterBlock(mean, m2, 65, center, r, q));
        add(Operation.STATISTICS, () -> centeredBlock(r, q, 65));
    }

    private void add(Operation op, Runnable call) {
        calls.get(op).add(call);
    }

    private static float[] data(SplittableRandom random, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (random.nextGaussian() + (i % 7));
        }
        return a;
    }

    private static void fill(SplittableRandom random, float[] a, int n) {
        for (int i = 0; i < n; i++) {
            a[i] = (float) random.nextGaussian();
        }
    }

    /** The kernel this workout exercises. */
    public final Kernel kernel() {
        return kernel;
    }

    /**
     * The calls of one operation's round.
     *
     * @param op the operation
     * @return how many
     */
    public final int calls(Operation op) {
        return calls.get(op).size();
    }

    /**
     * Makes call {@code i} of {@code op}'s round.
     *
     * @param op the operation
     * @param i  the call, below {@link #calls}
     */
    public final void call(Operation op, int i) {
        calls.get(op).get(i).run();
    }

    /**
     * Normalizes whole rows walking memory order, which the vector kernel takes only for large tensors: here, the
     * kernel's normalize.
     *
     * @param x    input
     * @param y    output
     * @param rows rows
     * @param p    the map
     * @param relu whether to fuse ReLU
     */
    protected void normalizeInMemoryOrder(float[] x, float[] y, int rows, AffineParams p, boolean relu) {
        kernel.normalize(x, 0, y, 0, rows, p, relu);
    }

    /**
     * Folds a block into moments that already hold others: {@link MomentMerge#mergeBlock} here.
     *
     * @param mean     the means so far
     * @param m2       the M2 so far
     * @param channels C
     * @param center   the block's centers
     * @param r        the block's sums of deviations
     * @param q        the block's sums of squared deviations
     */
    protected void mergeLaterBlock(double[] mean, double[] m2, int channels, float[] center, float[] r, float[] q) {
        MomentMerge.mergeBlock(5, mean, m2, 0, channels, 10, center, r, q);
    }

    /**
     * Checks a block's centers: {@link RowStatistics#centered} here.
     *
     * @param r        the block's sums of deviations
     * @param q        the block's sums of squared deviations
     * @param channels C
     */
    protected void centeredBlock(float[] r, float[] q, int channels) {
        RowStatistics.centered(r, q, 0, channels, 10);
    }
}
