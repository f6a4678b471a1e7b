package dev.simdnorm;

import dev.simdnorm.prop.Distribution;
import dev.simdnorm.prop.Gen;
import dev.simdnorm.prop.Property;
import dev.simdnorm.prop.SameMoments;
import dev.simdnorm.prop.TensorCase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The parallel overloads give the same bits for every thread count, 1 and the sequential methods included, stay
 * within the statistics' error bound, and complete whatever the executor does.
 */
class ParallelismTest {

    static final ExecutorService POOL = Executors.newFixedThreadPool(6);

    @AfterAll
    static void shutdown() {
        POOL.shutdownNow();
    }

    /** Thread counts to compare; the fixed pool has 6 threads, so 7 leaves a task queued behind the others. */
    static List<Parallelism> parallelisms() {
        return List.of(Parallelism.sequential(), Parallelism.of(POOL, 1), Parallelism.of(POOL, 2),
                Parallelism.of(POOL, 3), Parallelism.of(POOL, 7), Parallelism.commonPool());
    }

    /** Tensors from below one slice to several, crossing the threshold of spreading over threads. */
    static final Gen<TensorCase> LARGE = ch -> {
        int channels = ch.oneIn(3) ? ch.between(1, 300)
                : TensorCase.EDGE_CHANNELS[ch.between(0, TensorCase.EDGE_CHANNELS.length - 1)];
        int floats = ch.between(Slices.SLICE_FLOATS / 2, (int) (3 * Parallelism.MIN_PARALLEL_FLOATS));
        return TensorCase.make(ch.between(0, 7), Math.max(1, floats / channels), channels, 1,
                ch.oneOf(Distribution.values()), ch.seed());
    };

    @Test
    void momentsAreTheSameBitsForEveryThreadCountAndWithinTheBound() {
        Property.check("parallel moments: same bits for every parallelism, within the oracle's bound", 20, LARGE,
                t -> {
                    Moments reference = Moments.of(t.x(), t.offset(), t.rows(), t.channels());
                    for (Parallelism p : parallelisms()) {
                        assertSameBits(reference, Moments.of(t.x(), t.offset(), t.rows(), t.channels(), p), p);
                    }
                    // The NHWC overload that names the layout cuts the same slices: the same bits.
                    Moments byLayout = Moments.of(t.x(), t.offset(), TensorShape.nhwc(t.rows(), 1, t.channels()));
                    for (int c = 0; c < t.channels(); c++) {
                        assertEquals(Double.doubleToLongBits(reference.varianceAsDouble(c)),
                                Double.doubleToLongBits(byLayout.varianceAsDouble(c)), "NHWC by layout, " + c);
                    }
                    // Slices are merged by Chan's formula in double, like blocks: the oracle's bound still holds.
                    MomentsPropertyTest.assertMatches(Oracle.moments(t.x(), t.offset(), t.rows(), t.channels()),
                            reference);
                });
    }

    @Test
    void normalizeTrainAndBackwardAreTheSameBitsForEveryThreadCount() {
        Property.check("parallel normalize, train and backward: same bits for every parallelism", 8, LARGE, t -> {
            int c = t.channels();
            BatchNorm sequential = BatchNorm.builder(c).activation(Activation.RELU).build();
            float[] expected = new float[t.x().length];
            Moments batch = sequential.train(t.x(), t.offset(), expected, t.offset(), t.rows());
            float[] expectedInference = new float[t.x().length];
            sequential.inference(t.x(), t.offset(), expectedInference, t.offset(), t.rows());
            float[] dy = new float[t.x().length];
            java.util.SplittableRandom random = new java.util.SplittableRandom(t.seed());
            for (int i = 0; i < dy.length; i++) {
                dy[i] = (float) random.nextGaussian();
            }
            float[] expectedDx = new float[t.x().length];
            Gradients expectedGradients = sequential.backward(t.x(), t.offset(), dy, t.offset(), expectedDx,
                    t.offset(), t.rows(), batch);
            for (Parallelism p : parallelisms()) {
                BatchNorm bn = BatchNorm.builder(c).activation(Activation.RELU).build();
                float[] y = new float[t.x().length];
                Moments m = bn.train(t.x(), t.offset(), y, t.offset(), t.rows(), p);
                assertArrayEquals(bits(expected, t.offset(), t.length()),
                        bits(y, t.offset(), t.length()), p + ": training y");
                assertSameBits(batch, m, p);
                assertArrayEquals(sequential.runningMean(), bn.runningMean(), p + ": running mean");
                assertArrayEquals(sequential.runningVariance(), bn.runningVariance(), p + ": running variance");
                float[] dx = new float[t.x().length];
                Gradients g = bn.backward(t.x(), t.offset(), dy, t.offset(), dx, t.offset(), t.rows(), m, p);
                assertArrayEquals(bits(expectedDx, t.offset(), t.length()), bits(dx, t.offset(), t.length()),
                        p + ": dx");
                assertArrayEquals(bits(expectedGradients.dGamma(), 0, c), bits(g.dGamma(), 0, c), p + ": dγ");
                assertArrayEquals(bits(expectedGradients.dBeta(), 0, c), bits(g.dBeta(), 0, c), p + ": dβ");
                float[] inPlace = t.x().clone();
                bn.inference(inPlace, t.offset(), inPlace, t.offset(), t.rows(), p);
                assertArrayEquals(bits(expectedInference, t.offset(), t.length()),
                        bits(inPlace, t.offset(), t.length()), p + ": inference in place");
            }
        });
    }

    /** NCHW tensors from half a slice to a few, in groups of channels and of images. */
    static final Gen<dev.simdnorm.prop.PlaneCase> LARGE_PLANES = ch -> {
        int channels = ch.between(1, 70);
        int spatial = ch.oneOf(1, 3, 49, 196, 1000, 3136, 40000);
        int floats = ch.between(Slices.SLICE_FLOATS / 2, (int) (3 * Parallelism.MIN_PARALLEL_FLOATS));
        int n = Math.max(1, floats / (channels * spatial));
        return dev.simdnorm.prop.PlaneCase.make(ch.between(0, 7), n, channels, spatial, 1,
                ch.oneOf(Distribution.values()), ch.seed());
    };

    @Test
    void nchwIsTheSameBitsForEveryThreadCount() {
        Property.check("parallel NCHW statistics, train and inference: same bits for every parallelism", 8,
                LARGE_PLANES, t -> {
                    int c = t.channels();
                    BatchNorm sequential = BatchNorm.builder(c).build();
                    float[] expected = new float[t.x().length];
                    Moments batch = sequential.train(t.x(), t.offset(), expected, t.offset(), TensorShape.nchw(t.n(), t.channels(), t.spatial()));
                    float[] expectedInference = new float[t.x().length];
                    sequential.inference(t.x(), t.offset(), expectedInference, t.offset(), TensorShape.nchw(t.n(), t.channels(), t.spatial()));
                    for (Parallelism p : parallelisms()) {
                        BatchNorm bn = BatchNorm.builder(c).build();
                        float[] y = new float[t.x().length];
                        Moments m = bn.train(t.x(), t.offset(), y, t.offset(), TensorShape.nchw(t.n(), t.channels(), t.spatial()),
                                p);
                        assertSameBits(batch, m, p);
                        int length = t.n() * c * t.spatial();
                        assertArrayEquals(bits(expected, t.offset(), length), bits(y, t.offset(), length),
                                p + ": training y");
                        assertArrayEquals(sequential.runningVariance(), bn.runningVariance(), p + ": running");
                        bn.inference(t.x(), t.offset(), y, t.offset(), TensorShape.nchw(t.n(), t.channels(), t.spatial()), p);
                        assertArrayEquals(bits(expectedInference, t.offset(), length), bits(y, t.offset(), length),
                                p + ": inference");
                    }
                });
    }

    /** See {@link SameMoments#assertSameBits}. */
    static void assertSameBits(Moments expected, Moments actual, Parallelism p) {
        SameMoments.assertSameBits(expected, actual, p);
    }

    /** Bits, with every NaN alike (see {@link #assertSameBits}). */
    static int[] bits(float[] a, int offset, int length) {
        int[] out = new int[length];
        for (int i = 0; i < length; i++) {
            out[i] = Float.floatToIntBits(a[offset + i]);
        }
        return out;
    }

    @Test
    void slicesCoverEveryRowOnce() {
        Gen<int[]> shapes = ch -> new int[] {ch.between(1, 5_000_000), ch.between(1, 2000)};
        Property.check("slices tile the rows", shapes, a -> {
                    int perSlice = Slices.rowsPerSlice(a[1]);
                    int next = 0;
                    for (int i = 0; i < Slices.count(a[0], perSlice); i++) {
                        assertEquals(next, (long) i * perSlice, "slice " + i);
                        assertEquals(true, Slices.rows(a[0], perSlice, i) > 0, "slice " + i + " is empty");
                        next += Slices.rows(a[0], perSlice, i);
                    }
                    assertEquals(a[0], next);
                });
    }

    @Test
    void slicesOfTensorsBeyondTwoToTheThirtyOneFloats() {
        // The long arithmetic of Slices without the memory: 2⁴⁰ rows of 3 channels.
        long rows = 1L << 40;
        int perSlice = Slices.rowsPerSlice(3);
        int last = Slices.count(rows, perSlice) - 1;
        long lastStart = (long) last * perSlice;
        assertEquals(rows, lastStart + Slices.rows(rows, perSlice, last), "the last slice ends at the last row");
        assertEquals(true, lastStart > Integer.MAX_VALUE, "starts beyond int");
        assertEquals(perSlice, Slices.rows(rows, perSlice, 0), "whole slices but the last");
        assertEquals(true, (long) perSlice * 3 <= Slices.SLICE_FLOATS, "a slice stays about 1 MiB");
    }

    @Test
    void callsCompleteWhenTheExecutorRejectsOrNeverRuns() {
        int tasks = 40;
        long floats = Parallelism.MIN_PARALLEL_FLOATS;
        List<Runnable> parked = new ArrayList<>();
        AtomicInteger ran = new AtomicInteger();
        for (Parallelism p : List.of(Parallelism.of(r -> {
            throw new RejectedExecutionException("full");
        }, 4), Parallelism.of(r -> {
            throw new IllegalStateException("broken executor");
        }, 4), Parallelism.of(parked::add, 4))) {
            ran.set(0);
            p.forEach(tasks, floats, i -> ran.incrementAndGet());
            assertEquals(tasks, ran.get(), p.toString());
        }
        // The parked tasks, run late, find nothing left to do.
        assertEquals(3, parked.size());
        parked.forEach(Runnable::run);
        assertEquals(tasks, ran.get());
    }

    @Test
    void spreadsOnlyAboveTheThresholdAndOverAtMostItsThreads() {
        AtomicInteger submitted = new AtomicInteger();
        Parallelism p = Parallelism.of(r -> {
            submitted.incrementAndGet();
            POOL.execute(r);
        }, 3);
        p.forEach(10, Parallelism.MIN_PARALLEL_FLOATS - 1, i -> { });
        assertEquals(0, submitted.get(), "below the threshold the caller works alone");
        p.forEach(10, Parallelism.MIN_PARALLEL_FLOATS, i -> { });
        assertEquals(2, submitted.get(), "caller plus two tasks");
        p.forEach(2, Parallelism.MIN_PARALLEL_FLOATS, i -> { });
        assertEquals(3, submitted.get(), "no more tasks than slices");
    }

    @Test
    void anErrorOfTheExecutorReachesTheCallerAfterTheWorkIsDone() {
        OutOfMemoryError noThread = new OutOfMemoryError("unable to create native thread");
        AtomicInteger ran = new AtomicInteger();
        OutOfMemoryError e = assertThrows(OutOfMemoryError.class, () -> Parallelism.of(r -> {
            throw noThread;
        }, 4).forEach(20, Parallelism.MIN_PARALLEL_FLOATS, i -> ran.incrementAndGet()));
        assertSame(noThread, e);
        assertEquals(20, ran.get(), "the caller did every slice first");
    }

    @Test
    void aFailureReachesTheCallerAfterTheOthersFinish() {
        IllegalStateException boom = new IllegalStateException("boom");
        AtomicInteger running = new AtomicInteger();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Parallelism.of(POOL, 4).forEach(50, Parallelism.MIN_PARALLEL_FLOATS, i -> {
                    running.incrementAndGet();
                    try {
                        Thread.sleep(1);
                        if (i == 3) {
                            throw boom;
                        }
                    } catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                    } finally {
                        running.decrementAndGet();
                    }
                }));
        assertSame(boom, e);
        assertEquals(0, running.get(), "a slice still running after the call returned");
    }

    @Test
    void rejectsBadArguments() {
        BadInputTest.fails(IllegalArgumentException.class, "threads", () -> Parallelism.of(POOL, 0));
        BadInputTest.fails(NullPointerException.class, "executor", () -> Parallelism.of(null, 2));
        float[] x = new float[8];
        BadInputTest.fails(NullPointerException.class, "parallelism", () -> Moments.of(x, 0, 2, 4, (Parallelism) null));
        BadInputTest.fails(NullPointerException.class, "parallelism",
                () -> ChannelAffine.of(new float[] {1}, new float[] {0}).apply(x, 0, x, 0, 8, null));
        BatchNorm bn = BatchNorm.builder(4).build();
        BadInputTest.fails(NullPointerException.class, "parallelism", () -> bn.train(x, 0, x, 0, 2, null));
        assertEquals(0, bn.batchesTracked(), "a failed call changes nothing");
    }
}
