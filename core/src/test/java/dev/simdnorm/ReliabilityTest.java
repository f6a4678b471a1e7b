package dev.simdnorm;

import dev.simdnorm.prop.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.WeakReference;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The library attacked as a hostile user would (docs/testing.md, "Reliability"): executors that throw what they may
 * not, data at the ends of float's range, parameters whose scale overflows, counts that overflow, and tasks that
 * outlive their call. Each test names the defect it keeps fixed.
 */
class ReliabilityTest {

    /** Floats above {@link Parallelism#MIN_PARALLEL_FLOATS}, so that the parallel overloads really spread. */
    private static final int ROWS = (int) (Parallelism.MIN_PARALLEL_FLOATS / 64) + 4_000;
    private static final int C = 64;

    // ------------------------------------------------------------------------------------------------ D1

    /** Every parallel entry point, as a call on (x, y) that may throw. */
    static Stream<String> parallelCalls() {
        return Stream.of("moments", "momentsNchw", "momentsSegment", "apply", "applyNchw", "applySegment",
                "inference", "inferenceNchw", "train", "trainNchw", "trainSegment", "backward", "backwardInference");
    }

    private static void call(String which, float[] x, float[] y, Parallelism p) {
        BatchNorm bn = BatchNorm.builder(C).build();
        ChannelAffine map = ChannelAffine.of(filled(C, 2f), filled(C, 1f));
        int n = 8;
        int spatial = ROWS / n;
        switch (which) {
            case "moments" -> Moments.of(x, 0, ROWS, C, p);
            case "momentsNchw" -> Moments.of(x, 0, TensorShape.nchw(n, C, spatial), p);
            case "momentsSegment" -> Moments.of(MemorySegment.ofArray(x), ROWS, C, p);
            case "apply" -> map.apply(x, 0, y, 0, ROWS, p);
            case "applyNchw" -> map.apply(x, 0, y, 0, TensorShape.nchw(n, C, spatial), p);
            case "applySegment" -> map.apply(MemorySegment.ofArray(x), MemorySegment.ofArray(y), ROWS, p);
            case "inference" -> bn.inference(x, 0, y, 0, ROWS, p);
            case "inferenceNchw" -> bn.inference(x, 0, y, 0, TensorShape.nchw(n, C, spatial), p);
            case "train" -> bn.train(x, 0, y, 0, ROWS, p);
            case "trainNchw" -> bn.train(x, 0, y, 0, TensorShape.nchw(n, C, spatial), p);
            case "trainSegment" -> bn.train(MemorySegment.ofArray(x), MemorySegment.ofArray(y), ROWS, p);
            case "backward" -> bn.backward(x, 0, x, 0, y, 0, ROWS, Moments.of(x, 0, ROWS, C), p);
            case "backwardInference" -> bn.backwardInference(x, 0, x, 0, y, 0, ROWS, p);
            default -> throw new IllegalArgumentException(which);
        }
    }

    /**
     * D1: an executor that starts one task on a slow thread, then throws a checked exception through the back door.
     * The call must complete the work itself, wait for the task it started, and only then throw; and no task may
     * write {@code y} after the call has ended.
     */
    @ParameterizedTest
    @MethodSource("parallelCalls")
    void aCheckedExceptionFromExecuteEndsTheCallOnlyAfterEveryTaskItStarted(String which) throws Exception {
        float[] x = data(ROWS * C, 1);
        float[] y = filled(ROWS * C, 42f);
        List<Thread> helpers = new CopyOnWriteArrayList<>();
        AtomicInteger uses = new AtomicInteger();
        Parallelism p = Parallelism.of(r -> {
            if (uses.getAndIncrement() % 2 == 0) {
                helpers.add(Thread.ofPlatform().start(() -> {
                    sleep(20);
                    r.run();
                }));
                return;
            }
            sneakyThrow(new java.io.IOException("checked exception from execute"));
        }, 4);
        Throwable thrown = null;
        try {
            call(which, x, y, p);
        } catch (Throwable t) {
            thrown = t;
        }
        assertTrue(thrown instanceof java.io.IOException, which + ": the executor's exception, after the work: "
                + thrown);
        float[] atReturn = y.clone();
        for (Thread t : helpers) {
            t.join();
        }
        assertArrayEquals(atReturn, y, which + ": a task wrote y after the call had thrown");
    }

    /**
     * The rule above at the level of {@link Parallelism#forEach}, where the race is forced: the first task starts at
     * once and is surely inside an index (the caller waits for it there) when the second {@code execute} throws; the
     * call must rethrow only after that index has finished. (In the test above the calls often throw before a task
     * writes, or the task finds no index left.)
     */
    @Test
    void aFailedSubmitRethrowsOnlyAfterTheStartedTaskHasFinishedItsIndex() {
        AtomicInteger uses = new AtomicInteger();
        java.util.concurrent.CountDownLatch started = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();
        Thread caller = Thread.currentThread();
        Parallelism p = Parallelism.of(r -> {
            if (uses.getAndIncrement() == 0) {
                Thread.ofPlatform().start(r);
                return;
            }
            sneakyThrow(new java.io.IOException("checked exception from execute"));
        }, 3);
        java.util.function.IntConsumer body = i -> {
            if (Thread.currentThread() != caller) {
                started.countDown();
                sleep(100);
                finished.set(true);
            } else {
                try {
                    started.await(10, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new AssertionError(e);
                }
            }
        };
        Throwable thrown = null;
        try {
            p.forEach(3, 1L << 30, body);
        } catch (Throwable t) {
            thrown = t;
        }
        assertTrue(thrown instanceof java.io.IOException, "the executor's exception: " + thrown);
        assertEquals(0, started.getCount(), "the task never started an index");
        assertTrue(finished.get(), "the call threw while its started task was still inside an index");
    }

    /** D1, the other side: with the same executor, the call's work is complete and right when it throws. */
    @Test
    void theCallerFinishesTheWorkWhenExecuteThrows() {
        float[] x = data(ROWS * C, 2);
        float[] expected = new float[x.length];
        ChannelAffine map = ChannelAffine.of(filled(C, 2f), filled(C, 1f));
        map.apply(x, 0, expected, 0, ROWS);
        float[] y = new float[x.length];
        Parallelism p = Parallelism.of(r -> sneakyThrow(new java.io.IOException("no")), 2);
        assertThrows(java.io.IOException.class, () -> map.apply(x, 0, y, 0, ROWS, p));
        assertArrayEquals(expected, y);
    }

    /**
     * Minor (and D1): tasks an executor queues but never runs hold nothing of the call once it has ended, so x and y
     * can be collected while the queue still holds the tasks.
     */
    @Test
    void queuedTasksLetGoOfTheCallsArrays() throws Exception {
        ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();
        Parallelism p = Parallelism.of(queue::add, 4);
        WeakReference<float[]> ref = callAndForget(p);
        assertFalse(queue.isEmpty(), "the executor kept the tasks");
        for (int i = 0; i < 20 && ref.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertNull(ref.get(), "x is still reachable through the queued tasks");
        queue.forEach(Runnable::run); // a task run late finds nothing to do
    }

    private static WeakReference<float[]> callAndForget(Parallelism p) {
        float[] x = data(ROWS * C, 3);
        Moments.of(x, 0, ROWS, C, p);
        return new WeakReference<>(x);
    }

    /** The hostile executors: each must leave the results exactly those of the sequential call. */
    static Stream<String> executors() {
        return Stream.of("rejectsAll", "throwsRuntime", "throwsError", "runsTwice", "neverRuns", "shutDown",
                "virtualThreads", "inline");
    }

    @ParameterizedTest
    @MethodSource("executors")
    void hostileExecutorsGiveTheSequentialBits(String kind) throws Exception {
        float[] x = data(ROWS * C, 4);
        Moments sequential = Moments.of(x, 0, ROWS, C);
        float[] expected = new float[x.length];
        BatchNorm reference = BatchNorm.builder(C).build();
        reference.train(x, 0, expected, 0, ROWS);
        ExecutorService pool = null;
        java.util.concurrent.Executor executor = switch (kind) {
            case "rejectsAll" -> r -> {
                throw new RejectedExecutionException(kind);
            };
            case "throwsRuntime" -> r -> { // not a RejectedExecutionException: any RuntimeException is a rejection
                throw new IllegalStateException(kind);
            };
            case "throwsError" -> r -> {
                throw new OutOfMemoryError("unable to create native thread (simulated)");
            };
            case "runsTwice" -> r -> {
                Thread.ofPlatform().start(r);
                Thread.ofPlatform().start(r);
            };
            case "neverRuns" -> r -> { };
            case "shutDown" -> {
                pool = Executors.newFixedThreadPool(2);
                pool.shutdown();
                yield pool;
            }
            case "virtualThreads" -> {
                pool = Executors.newVirtualThreadPerTaskExecutor();
                yield pool;
            }
            case "inline" -> Runnable::run;
            default -> throw new IllegalArgumentException(kind);
        };
        try {
            for (int threads : new int[] {1, 2, 3, 8, 64}) {
                Parallelism p = Parallelism.of(executor, threads);
                String what = kind + ", " + threads + " threads";
                if (kind.equals("throwsError") && threads > 1) {
                    assertThrows(OutOfMemoryError.class, () -> Moments.of(x, 0, ROWS, C, p), what);
                    continue;
                }
                Moments m = Moments.of(x, 0, ROWS, C, p);
                assertEquals(sequential.toString(), m.toString(), what);
                for (int c = 0; c < C; c++) {
                    assertEquals(sequential.meanAsDouble(c), m.meanAsDouble(c), what);
                    assertEquals(sequential.varianceAsDouble(c), m.varianceAsDouble(c), what);
                }
                float[] y = new float[x.length];
                BatchNorm.builder(C).build().train(x, 0, y, 0, ROWS, p);
                assertArrayEquals(expected, y, what + ": train");
            }
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ D2

    /** D2: finite data whose variance is finite in double never give an infinite or NaN variance or mean. */
    @Test
    void hugeValuesKeepFiniteMoments() {
        for (double m : new double[] {2e17, 1e19, 3e36, 3.4e38}) {
            for (int c : new int[] {1, 3, 64, 1000}) {
                int rows = c == 1000 ? 600 : 100_000 / c;
                float[] x = new float[rows * c];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) ((i / c) % 2 == 0 ? m : -m);
                }
                Moments mo = Moments.of(x, 0, rows, c);
                Oracle.Stats exact = Oracle.moments(x, 0, rows, c);
                for (int ch = 0; ch < c; ch++) {
                    checkMoments(exact, mo, ch, "±" + m + ", C = " + c + ", channel " + ch);
                }
            }
        }
    }

    /**
     * D2, as a property: data of every magnitude from subnormal to near the largest float, any channels and rows,
     * against a double two-pass oracle, within the algorithm's error bound at every magnitude.
     */
    @Test
    void momentsAreRightAtEveryMagnitude() {
        Property.check("moments at every magnitude", ch -> {
            int c = ch.between(1, 70);
            int rows = ch.between(1, ch.oneIn(4) ? 20_000 : 600);
            int exponent = ch.between(-149, 126);
            long seed = ch.seed();
            return new int[] {c, rows, exponent, (int) seed};
        }, a -> {
            int c = a[0];
            int rows = a[1];
            float[] x = magnitudeData(rows * c, c, a[2], a[3]);
            Moments mo = Moments.of(x, 0, rows, c);
            Oracle.Stats exact = Oracle.moments(x, 0, rows, c);
            for (int ch = 0; ch < c; ch++) {
                checkMoments(exact, mo, ch, "2^" + a[2] + ", C = " + c + ", rows " + rows + ", channel " + ch);
            }
            Moments nchw = Moments.of(x, 0, TensorShape.nchw(1, c, rows));
            Oracle.Stats planes = Oracle.planeMoments(x, 0, 1, c, rows);
            for (int ch = 0; ch < c; ch++) {
                checkMoments(planes, nchw, ch, "NCHW 2^" + a[2] + ", C = " + c + ", spatial " + rows + ", channel "
                        + ch);
            }
        });
    }

    /** Values around ±2^exponent per channel: each channel a center of that size and a spread of up to it. */
    private static float[] magnitudeData(int n, int c, int exponent, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double scale = Math.scalb(1.0, exponent);
        double[] center = new double[c];
        double[] spread = new double[c];
        for (int ch = 0; ch < c; ch++) {
            center[ch] = r.nextBoolean() ? 0 : r.nextDouble(-1, 1) * scale;
            spread[ch] = scale * Math.scalb(1.0, -r.nextInt(0, 12));
        }
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double v = center[i % c] + spread[i % c] * r.nextDouble(-1, 1);
            x[i] = (float) Math.max(-Float.MAX_VALUE, Math.min(Float.MAX_VALUE, v));
        }
        return x;
    }

    /**
     * The moments against the oracle's, within the algorithm's own error bound ({@link Oracle.Stats}: the float block
     * sums, the pairwise reduction and the double folds), less the slack the oracle allows for underflow: squares that
     * underflow are now summed again in double, so tiny data keep their relative accuracy too.
     */
    private static void checkMoments(Oracle.Stats exact, Moments mo, int ch, String what) {
        double mean = exact.mean()[ch];
        double variance = exact.variance(ch);
        // Where a block is summed again in double, both it and the oracle are two-pass computations in double: each
        // mean within n·2⁻⁵³ of mean|x| (Higham, 2nd ed., eq. 4.3), each M2 within n·2⁻⁵³ of itself plus the square
        // of its mean's error, per value.
        double n = exact.n();
        double meanError = n * 0x1p-53 * exact.sumAbs()[ch] / n;
        double meanTolerance = Math.max(exact.meanTolerance(ch) - Float.MIN_VALUE, 2 * meanError);
        double varianceTolerance = Math.max(exact.varianceTolerance(ch) - 4 * Float.MIN_VALUE,
                2 * (n * 0x1p-53 * variance + meanError * meanError));
        assertTrue(Math.abs(mo.meanAsDouble(ch) - mean) <= meanTolerance,
                what + ": mean " + mo.meanAsDouble(ch) + ", exact " + mean + ", tolerance " + meanTolerance);
        assertTrue(Math.abs(mo.varianceAsDouble(ch) - variance) <= varianceTolerance,
                what + ": variance " + mo.varianceAsDouble(ch) + ", exact " + variance + ", tolerance "
                        + varianceTolerance);
        // The float accessors: +∞ exactly where the value exceeds the largest float (1 ulp of slack at the edge).
        float v = mo.variance(ch);
        if (variance <= Float.MAX_VALUE * (1 - 0x1p-23)) {
            assertTrue(Float.isFinite(v), what + ": float variance " + v + " for " + variance);
        } else if (variance >= Float.MAX_VALUE * (1 + 0x1p-23)) {
            assertEquals(Float.POSITIVE_INFINITY, v, what);
        }
        assertTrue(Float.isFinite(mo.mean(ch)), what + ": float mean");
    }

    /**
     * D2: training on huge finite data gives finite outputs where the exact ones are finite, within the bounds of the
     * centered training map (as {@link BatchNormPropertyTest}: the center a hi/lo pair of the double mean, the scale
     * rounded once from double).
     */
    @Test
    void trainingOnHugeValuesGivesFiniteOutputs() {
        for (double m : new double[] {2e17, 3e36, 3.4e38}) {
            int c = 2;
            int rows = 5_000;
            float[] x = new float[rows * c];
            SplittableRandom r = new SplittableRandom(5);
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) (r.nextBoolean() ? m : -m * r.nextDouble(0.5, 1));
            }
            BatchNorm bn = BatchNorm.builder(c).build();
            float[] y = new float[x.length];
            Moments batch = bn.train(x, 0, y, 0, rows);
            Oracle.Stats exact = Oracle.moments(x, 0, rows, c);
            for (int i = 0; i < x.length; i++) {
                int ch = i % c;
                double mu = exact.mean()[ch];
                double var = exact.variance(ch);
                double s = 1 / Math.sqrt(var + 1e-3f);
                double expected = (x[i] - mu) * s;
                // The centered map's bound (s is a subnormal float for ±3.4e38: 3.3e-39, rounded at 2⁻¹⁵⁰).
                double bound = exact.trainingMapTolerance(ch, x[i], s, expected, 1e-3f);
                assertTrue(Float.isFinite(y[i]), "±" + m + ": y[" + i + "] = " + y[i]);
                assertTrue(Math.abs(y[i] - expected) <= bound, "±" + m + ": y[" + i + "] = " + y[i] + ", exact "
                        + expected);
            }
            for (int ch = 0; ch < c; ch++) {
                assertTrue(Double.isFinite(batch.varianceAsDouble(ch)), "batch variance");
                assertTrue(Float.isFinite(bn.runningMean()[ch]), "running mean");
            }
        }
    }

    /**
     * What the class Javadoc says of finite data whose batch variance exceeds float range: the step's output and
     * moments are finite, the running variance (a float; 0.99·1 + 0.01·9e72 is far beyond 3.4e38) is +Inf, and the
     * calls that would use it (their scale γ/√∞ = 0: β whatever x) refuse, writing nothing, until finite statistics
     * are loaded; training goes on.
     */
    @Test
    void aBatchVarianceBeyondFloatMakesTheRunningVarianceInfiniteAndInferenceRefuse() {
        float[] x = {-3e36f, 3e36f, -3e36f, 3e36f};
        BatchNorm bn = BatchNorm.builder(1).beta(new float[] {0.25f}).build();
        float[] y = new float[4];
        Moments m = bn.train(x, 0, y, 0, 4);
        assertTrue(Double.isFinite(m.varianceAsDouble(0)) && Float.isFinite(y[0]), "the step itself is finite");
        assertEquals(Float.POSITIVE_INFINITY, bn.runningVariance()[0]);
        float[] out = {7, 7, 7, 7};
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> bn.inference(x, 0, out, 0, 4));
        assertTrue(e.getMessage().contains("+Infinity"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> bn.inference(x, 0, out, 0, TensorShape.nchw(1, 1, 4)));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment xs = arena.allocateFrom(ValueLayout.JAVA_FLOAT, x);
            MemorySegment ys = arena.allocate(16, 4);
            assertThrows(IllegalStateException.class, () -> bn.inference(xs, ys, 4));
            assertEquals(0f, ys.get(ValueLayout.JAVA_FLOAT, 0), "segment y unwritten");
        }
        assertThrows(IllegalStateException.class, bn::inferenceMap);
        assertThrows(IllegalStateException.class, () -> bn.backwardInference(x, 0, x.clone(), 0, out, 0, 4));
        assertThrows(IllegalStateException.class, () -> FoldedLayer.of(bn, new float[] {2, 3}, new int[] {1, 2},
                WeightLayout.OUT_IN, new float[] {5}));
        assertArrayEquals(new float[] {7, 7, 7, 7}, out, "nothing written");
        bn.train(x, 0, y, 0, 4); // training goes on: its map is the batch's
        assertTrue(Float.isFinite(y[0]), "a later step");
        bn.setRunningVariance(new float[] {4});
        bn.inference(x, 0, out, 0, 4);
        // Mean 0: y = x·γ/√(4 + ε) + β, within a few float roundings of 1.5e36 (an ulp there is 1.4e29).
        assertEquals((float) (-3e36 / Math.sqrt(4 + 1e-3f) + 0.25f), out[0], 1e30f, "finite statistics loaded");
    }

    // ------------------------------------------------------------------------------------------------ D3, D4

    /** D3: a merged count past Long.MAX_VALUE is an error, never a negative count or variance. */
    @Test
    void mergingCountsThatOverflowThrows() {
        Moments big = Moments.ofSums(Long.MAX_VALUE, new double[] {0}, new double[] {1});
        ArithmeticException e = assertThrows(ArithmeticException.class, () -> big.merge(big));
        assertTrue(e.getMessage().contains("overflows"), e.getMessage());
        Moments one = Moments.ofSums(1, new double[] {0}, new double[] {0});
        assertThrows(ArithmeticException.class, () -> big.merge(one));
        assertEquals(Long.MAX_VALUE, Moments.ofSums(Long.MAX_VALUE - 1, new double[] {0}, new double[] {1})
                .merge(one).count());
    }

    /**
     * Finite moments whose merged M2 overflows a double (no float data give them, {@code ofSums} does): an error, not
     * an infinite M2 beside a finite mean (or an infinite mean where the true one is 0), which a map would then read
     * as "no data" and {@code fromBytes} refuse. Non-finite operands still merge into non-finite moments.
     */
    @Test
    void mergingFiniteMomentsWhoseM2OverflowsThrows() {
        Moments wide = Moments.ofSums(2, new double[] {0}, new double[] {1e308});
        ArithmeticException e = assertThrows(ArithmeticException.class, () -> wide.merge(wide));
        assertTrue(e.getMessage().contains("M2 of channel 0 overflows"), e.getMessage());
        Moments low = Moments.ofSums(1, new double[] {2, -1.7e308}, new double[] {0, 0});
        Moments high = Moments.ofSums(1, new double[] {3, 1.7e308}, new double[] {0, 0});
        e = assertThrows(ArithmeticException.class, () -> low.merge(high)); // the means' difference overflows
        assertTrue(e.getMessage().contains("M2 of channel 1 overflows"), e.getMessage());
        assertThrows(ArithmeticException.class, () -> Moments.ofSums(1, new double[] {-1e300}, new double[] {0})
                .merge(Moments.ofSums(1, new double[] {1e300}, new double[] {0}))); // δ² overflows
        // Just inside: the same operands a little closer merge to finite moments, as the formula gives them.
        Moments near = Moments.ofSums(1, new double[] {-1e150}, new double[] {0})
                .merge(Moments.ofSums(1, new double[] {1e150}, new double[] {0}));
        assertEquals(0, near.meanAsDouble(0));
        // δ = 2d exactly (d the double nearest 1e150), the weights 1·(1/2) exact: M2 = fl(δ²)/2 = fl(2d²), since a
        // power of two commutes with rounding; the variance M2/2 and its double are exact too.
        double d = 1e150;
        double exactM2 = new BigDecimal(d).pow(2).multiply(BigDecimal.TWO).doubleValue();
        assertEquals(exactM2, near.varianceAsDouble(0) * 2);
        // Non-finite data's moments (a NaN mean) merge without an error: NaN stays NaN.
        Moments fromNaN = Moments.of(new float[] {Float.NaN}, 0, 1, 1);
        Moments zero = Moments.ofSums(1, new double[] {0}, new double[] {0});
        assertTrue(Double.isNaN(fromNaN.merge(zero).meanAsDouble(0)));
        assertTrue(Double.isNaN(zero.merge(fromNaN).meanAsDouble(0)));
    }

    /**
     * D3: "the variance is never negative", as a tested invariant over merges of any moments: given ones, and ones the
     * statistics compute from data that hardly vary around a value far from zero, where a sum of squares less the
     * square of a sum (q − r²/n) can come out below zero by rounding unless the code clamps it.
     */
    @Test
    void theVarianceIsNeverNegative() {
        Property.check("merged variances are never negative", ch -> {
            List<Moments> parts = new ArrayList<>();
            for (int i = ch.between(1, 6); i > 0; i--) {
                if (ch.oneIn(2)) { // moments as given: count, mean, M2
                    parts.add(Moments.ofSums(ch.between(1, 1_000_000),
                            new double[] {ch.between(-1_000_000, 1_000_000) * Math.scalb(1.0, ch.between(-60, 60))},
                            new double[] {ch.oneIn(3) ? 0
                                    : ch.between(0, 1_000_000) * Math.scalb(1.0, ch.between(-60, 60))}));
                } else { // computed from data: a value far from zero and its neighbours within a few ulps
                    float center = ch.between(1, 1 << 23) * Math.scalb(1f, ch.between(-40, 80));
                    float[] x = new float[ch.between(1, 300)];
                    for (int j = 0; j < x.length; j++) {
                        x[j] = center + ch.between(-3, 3) * Math.ulp(center);
                    }
                    parts.add(Moments.of(x, 0, x.length, 1));
                }
            }
            return parts;
        }, parts -> {
            Moments m = parts.get(0);
            for (int i = 1; i < parts.size(); i++) {
                m = m.merge(parts.get(i));
            }
            assertTrue(m.varianceAsDouble(0) >= 0 && m.variance(0) >= 0, "variance " + m.varianceAsDouble(0));
        });
    }

    /** D4: ofSums rejects means and M2 that are not finite, naming the argument. */
    @Test
    void ofSumsRejectsNonFiniteMeansAndM2() {
        for (double bad : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Moments.ofSums(3, new double[] {0, 1}, new double[] {1, bad}));
            assertTrue(e.getMessage().startsWith("m2[1]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Moments.ofSums(3, new double[] {bad, 1}, new double[] {1, 1}));
            assertTrue(e.getMessage().startsWith("mean[0]"), e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Moments.ofSums(1, new double[0], new double[0]));
        assertTrue(e.getMessage().contains("mean.length"), e.getMessage());
    }

    // ------------------------------------------------------------------------------------------------ D5

    /**
     * D5: a scale γ/√(σ² + ε) that overflows float is rejected where it is set, naming γ and the variance, and a
     * layer keeps its state; the issue's own case, γ = 2e37 with variance 0.
     */
    @Test
    void scalesThatOverflowAreRejectedWhereTheyAreSet() {
        float[] gamma = {2e37f};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BatchNorm.builder(1).gamma(gamma).runningMean(new float[] {2f})
                        .runningVariance(new float[] {0f}).build());
        assertTrue(e.getMessage().contains("gamma[0]") && e.getMessage().contains("overflows"), e.getMessage());
        BatchNorm bn = BatchNorm.builder(1).build();
        assertThrows(IllegalArgumentException.class, () -> bn.setGamma(gamma));
        assertEquals(1f, bn.gamma()[0], "a failed setter changes nothing");
        e = assertThrows(IllegalArgumentException.class, () -> ChannelAffine.normalizing(new float[] {2f},
                new float[] {0f}, gamma, new float[] {0f}, 1e-3f));
        assertTrue(e.getMessage().contains("gamma[0]") && e.getMessage().contains("variance"), e.getMessage());
        Moments constant = Moments.ofSums(4, new double[] {2}, new double[] {0});
        assertThrows(IllegalArgumentException.class,
                () -> ChannelAffine.normalizing(constant, gamma, new float[] {0f}, 1e-3f));
        // Just inside the bound: accepted, and the outputs are finite where the exact ones are.
        float largest = (float) (Float.MAX_VALUE * Math.sqrt(1e-3f) * (1 - 0x1p-20));
        BatchNorm edge = BatchNorm.builder(1).gamma(new float[] {largest}).runningMean(new float[] {2f})
                .runningVariance(new float[] {0f}).build();
        float[] y = new float[2];
        edge.inference(new float[] {2f, 2f + 0x1p-22f}, 0, y, 0, 2);
        assertEquals(0f, y[0]);
        assertTrue(Float.isFinite(y[1]), "y = " + y[1]);
    }

    // ------------------------------------------------------------------------------------------------ D6, minor

    /**
     * D6, the documented rule: an error from the executor during a training step is rethrown after the step's tasks
     * ended, and leaves the layer's state (running statistics, steps taken) unchanged; the output may be written.
     */
    @Test
    void anErrorFromTheExecutorLeavesTheLayerUnchanged() {
        float[] x = data(ROWS * C, 6);
        float[] y = new float[x.length];
        BatchNorm bn = BatchNorm.builder(C).build();
        float[] mean = bn.runningMean();
        float[] variance = bn.runningVariance();
        AtomicInteger calls = new AtomicInteger();
        // The statistics' tasks run; the normalize's first task fails.
        List<Thread> started = new ArrayList<>();
        Parallelism p = Parallelism.of(r -> {
            if (calls.getAndIncrement() >= 1) {
                throw new OutOfMemoryError("unable to create native thread (simulated)");
            }
            Thread t = Thread.ofPlatform().start(r);
            started.add(t);
        }, 2);
        assertThrows(OutOfMemoryError.class, () -> bn.train(x, 0, y, 0, ROWS, p));
        assertArrayEquals(mean, bn.runningMean());
        assertArrayEquals(variance, bn.runningVariance());
        assertEquals(0, bn.batchesTracked());
    }

    /**
     * An executor that runs other work inside {@code execute}, on the caller's thread, where that work trains, sets or
     * runs a backward pass on the layer whose step is handing it the task: such a call is refused before it writes
     * anything (it took the reentrant lock and reused the step's working arrays: the outer step's moments and running
     * update were the inner's), the refusal is a RuntimeException from {@code execute}, so the outer step does the
     * rest itself, and its results are a fresh layer's. Reads (the parameters, the inference map) may nest.
     */
    @Test
    void aLayerCalledFromInsideItsOwnStepRefusesTheNestedChange() {
        float[] x = data(ROWS * C, 8);
        float[] other = data(ROWS * C, 9);
        BatchNorm fresh = BatchNorm.builder(C).build();
        float[] expectedY = new float[x.length];
        Moments expected = fresh.train(x, 0, expectedY, 0, ROWS);
        BatchNorm bn = BatchNorm.builder(C).build();
        List<Throwable> refused = new ArrayList<>();
        List<BatchNormParameters> read = new ArrayList<>();
        Parallelism p = Parallelism.of(r -> {
            read.add(bn.parameters());
            for (Runnable nested : List.<Runnable>of(
                    () -> bn.train(other, 0, new float[other.length], 0, ROWS),
                    () -> bn.setGamma(filled(C, 2f)),
                    () -> bn.setBatchesTracked(7),
                    () -> bn.backward(other, 0, other, 0, new float[other.length], 0, ROWS, expected))) {
                try {
                    nested.run();
                } catch (IllegalStateException e) {
                    refused.add(e);
                }
            }
            throw new RejectedExecutionException("after the nested calls");
        }, 2);
        float[] y = new float[x.length];
        Moments batch = bn.train(x, 0, y, 0, ROWS, p);
        assertTrue(read.size() >= 2, "the statistics and the normalize each handed the executor a task");
        assertEquals(4 * read.size(), refused.size(), "each nested change refused, in every parallel call");
        assertTrue(refused.get(0).getMessage().contains("inside another operation"), refused.get(0).getMessage());
        ParallelismTest.assertSameBits(expected, batch, p);
        assertArrayEquals(expectedY, y);
        assertArrayEquals(fresh.runningMean(), bn.runningMean());
        assertArrayEquals(fresh.runningVariance(), bn.runningVariance());
        assertArrayEquals(filled(C, 1f), bn.gamma());
        assertEquals(1, bn.batchesTracked());
    }

    @Test
    void shapesAndSizesNoArrayOrMemoryHoldsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TensorShape.nchw(Integer.MAX_VALUE, 1 << 28, 32)); // 2⁶⁴ floats: floats() wrapped to −2³³
        assertTrue(e.getMessage().contains("N·C·H·W"), e.getMessage());
        assertEquals((long) Integer.MAX_VALUE * (1 << 28) * 15, TensorShape.nchw(Integer.MAX_VALUE, 1 << 28, 15)
                .floats(), "the largest spatial below 2⁶³ floats");
        for (int size : new int[] {Integer.MAX_VALUE, Integer.MAX_VALUE - 7}) {
            e = assertThrows(IllegalArgumentException.class, () -> LayerNorm.builder(size)); // was OutOfMemoryError
            assertTrue(e.getMessage().contains("size"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> RmsNorm.builder(size));
        }
    }

    @Test
    void channelLimitsAreCheckedUpFront() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> BatchNorm.builder(Integer.MAX_VALUE));
        assertTrue(e.getMessage().contains("channels"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Moments.of(new float[4], 0, 1, Integer.MAX_VALUE));
        assertTrue(e.getMessage().contains("channels"), e.getMessage());
    }

    /** Off the heap too: a segment call whose executor throws has its work done, and its tasks let go. */
    @Test
    void segmentCallsSurviveTheExecutorToo() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = arena.allocate((long) ROWS * C * Float.BYTES, 64);
            float[] values = data(ROWS * C, 7);
            MemorySegment.copy(values, 0, x, ValueLayout.JAVA_FLOAT, 0, values.length);
            Moments expected = Moments.of(values, 0, ROWS, C);
            Parallelism p = Parallelism.of(r -> sneakyThrow(new java.io.IOException("no")), 2);
            assertThrows(java.io.IOException.class, () -> Moments.of(x, ROWS, C, p));
            Moments m = Moments.of(x, ROWS, C, Parallelism.of(r -> { }, 2));
            ParallelismTest.assertSameBits(expected, m, Parallelism.sequential());
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static float[] data(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextGaussian() * 2 + (i % C) * 0.1);
        }
        return x;
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @SuppressWarnings("unchecked")
    private static <T extends Throwable> void sneakyThrow(Throwable t) throws T {
        throw (T) t;
    }
}
