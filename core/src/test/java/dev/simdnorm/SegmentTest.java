package dev.simdnorm;

import dev.simdnorm.prop.Distribution;
import dev.simdnorm.prop.Gen;
import dev.simdnorm.prop.Property;
import dev.simdnorm.prop.TensorCase;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The {@link MemorySegment} overloads: the same bits as the array overloads on the same values, for every kind of
 * segment (over a float[], native, over a long[], confined or shared) and parallelism; clear errors; long row counts.
 */
class SegmentTest {

    /** Kinds of segment holding a copy of {@code x[offset, offset + n)}, writable. */
    enum Kind {
        FLOAT_ARRAY, NATIVE_SHARED, NATIVE_CONFINED, LONG_ARRAY;

        MemorySegment of(float[] x, int offset, int n, Arena arena) {
            return switch (this) {
                case FLOAT_ARRAY -> MemorySegment.ofArray(x.clone()).asSlice((long) offset * Float.BYTES);
                case NATIVE_SHARED, NATIVE_CONFINED -> copy(x, offset, n, arena.allocate((long) n * Float.BYTES, 4));
                case LONG_ARRAY -> copy(x, offset, n, MemorySegment.ofArray(new long[(n + 1) / 2]));
            };
        }

        static MemorySegment copy(float[] x, int offset, int n, MemorySegment to) {
            MemorySegment.copy(x, offset, to, ValueLayout.JAVA_FLOAT, 0, n);
            return to;
        }
    }

    record SegmentCase(TensorCase t, Kind kind, boolean parallel) {
    }

    /** One case in six is above Parallelism's 2²⁰ floats, so that a parallel case does spread over threads. */
    static final Gen<SegmentCase> CASES = ch -> {
        TensorCase t;
        if (ch.oneIn(6)) {
            int c = ch.between(1, 300);
            int least = Math.ceilDiv(1 << 20, c);
            t = TensorCase.make(ch.between(0, 5), ch.between(least, least + 6000), c, 1,
                    ch.oneOf(Distribution.values()), ch.seed());
        } else {
            t = TensorCase.gen(60_000).generate(ch);
        }
        return new SegmentCase(t, ch.oneOf(Kind.values()), ch.oneIn(2));
    };

    static float[] floats(MemorySegment s, int n) {
        float[] out = new float[n];
        MemorySegment.copy(s, ValueLayout.JAVA_FLOAT, 0, out, 0, n);
        return out;
    }

    @Test
    void segmentsGiveTheBitsOfArrays() {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Property.check("segment overloads equal array overloads bit for bit", 150, CASES, k -> {
                TensorCase t = k.t();
                int c = t.channels();
                int n = t.length();
                Parallelism p = k.parallel() ? Parallelism.of(pool, 3) : Parallelism.sequential();
                Arena arena = k.kind() == Kind.NATIVE_CONFINED ? Arena.ofConfined() : Arena.ofShared();
                try (arena) {
                    MemorySegment x = k.kind().of(t.x(), t.offset(), n, arena);
                    Moments expected = Moments.of(t.x(), t.offset(), t.rows(), c);
                    Moments actual = Moments.of(x, t.rows(), c, p);
                    ParallelismTest.assertSameBits(expected, actual, p); // every NaN alike
                    BatchNorm arrays = BatchNorm.builder(c).convention(Convention.KERAS).activation(Activation.RELU)
                            .build();
                    BatchNorm segments = BatchNorm.builder(c).convention(Convention.KERAS)
                            .activation(Activation.RELU).build();
                    float[] y = new float[t.x().length];
                    arrays.train(t.x(), t.offset(), y, t.offset(), t.rows());
                    MemorySegment ys = k.kind().of(new float[n], 0, n, arena);
                    segments.train(x, ys, t.rows(), p);
                    assertArrayEquals(ParallelismTest.bits(y, t.offset(), n), ParallelismTest.bits(floats(ys, n), 0, n),
                            "training y");
                    assertArrayEquals(arrays.runningMean(), segments.runningMean(), "running mean");
                    assertArrayEquals(arrays.runningVariance(), segments.runningVariance(), "running variance");
                    // x over a float[] and y native, or the reverse: each side takes its own path.
                    Kind other = k.kind() == Kind.FLOAT_ARRAY ? Kind.NATIVE_SHARED : Kind.FLOAT_ARRAY;
                    MemorySegment mixed = other.of(new float[n], 0, n, arena);
                    arrays.inference(t.x(), t.offset(), y, t.offset(), t.rows());
                    segments.inference(x, mixed, t.rows(), p);
                    assertArrayEquals(ParallelismTest.bits(y, t.offset(), n),
                            ParallelismTest.bits(floats(mixed, n), 0, n), "inference y, mixed kinds");
                    // In place, x given as a read-only view of the same bytes.
                    segments.inference(x.asReadOnly(), x, t.rows(), p);
                    assertArrayEquals(ParallelismTest.bits(y, t.offset(), n), ParallelismTest.bits(floats(x, n), 0, n),
                            "inference y, in place");
                }
            });
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void badSegmentsFailClearlyAndChangeNothing() throws Exception {
        BatchNorm bn = BatchNorm.builder(4).build();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = arena.allocate(64 * Float.BYTES, 64);
            MemorySegment y = arena.allocate(64 * Float.BYTES, 64);
            for (int i = 0; i < 64; i++) {
                x.setAtIndex(ValueLayout.JAVA_FLOAT, i, i * 0.25f);
                y.setAtIndex(ValueLayout.JAVA_FLOAT, i, 7f);
            }
            float[] yBefore = floats(y, 64);
            BadInputTest.fails(IllegalArgumentException.class, "aligned", () -> bn.train(x.asSlice(2), y, 2));
            BadInputTest.fails(IllegalArgumentException.class, "aligned",
                    () -> Moments.of(MemorySegment.ofArray(new byte[64]), 2, 4));
            BadInputTest.fails(IndexOutOfBoundsException.class, "byteSize", () -> bn.train(x, y, 17));
            BadInputTest.fails(IndexOutOfBoundsException.class, "byteSize", () -> bn.inference(x, y, Long.MAX_VALUE));
            BadInputTest.fails(IndexOutOfBoundsException.class, "byteSize",
                    () -> Moments.of(x, Long.MAX_VALUE / 2, 4));
            BadInputTest.fails(IllegalArgumentException.class, "rows", () -> bn.inference(x, y, -1));
            BadInputTest.fails(IllegalArgumentException.class, "rows", () -> bn.train(x, y, 0));
            BadInputTest.fails(IllegalArgumentException.class, "read-only", () -> bn.train(x, y.asReadOnly(), 4));
            BadInputTest.fails(IllegalArgumentException.class, "overlap", () -> bn.train(x, x.asSlice(16), 4));
            BadInputTest.fails(NullPointerException.class, "x", () -> bn.inference(null, y, 1));
            BadInputTest.fails(NullPointerException.class, "parallelism", () -> bn.train(x, y, 4, null));
            BadInputTest.fails(IllegalArgumentException.class, "channels",
                    () -> Moments.of(x, 1, Check.MAX_SEGMENT_CHANNELS + 1));
            Arena closed = Arena.ofConfined();
            MemorySegment gone = closed.allocate(64);
            closed.close();
            BadInputTest.fails(IllegalStateException.class, "closed", () -> bn.train(gone, y, 1));
            try (Arena confined = Arena.ofConfined()) {
                MemorySegment mine = confined.allocate(64 * Float.BYTES, 64);
                ExecutorService other = Executors.newSingleThreadExecutor();
                try {
                    Future<?> f = other.submit(() -> bn.inference(mine, mine, 2));
                    Exception e = assertThrows(Exception.class, f::get);
                    assertInstanceOf(WrongThreadException.class, e.getCause());
                } finally {
                    other.shutdownNow();
                }
            }
            assertArrayEquals(yBefore, floats(y, 64), "y written by a failed call");
            assertEquals(0, bn.batchesTracked(), "a failed train changed the layer");
            assertArrayEquals(new float[] {0, 0, 0, 0}, bn.runningMean());
        }
    }

    /**
     * A tensor of more than 2³¹ floats, the long-index paths end to end. It needs 8 GiB: it runs where
     * {@code -Dsimdnorm.large=true} (the default surefire execution) and the machine has the memory, else it is
     * skipped and the long arithmetic is covered only by
     * {@link ParallelismTest#slicesOfTensorsBeyondTwoToTheThirtyOneFloats}.
     * Channel 0 alternates ±1 by row and channel 1 is 3 ∓ 1, so the exact moments are 0, 3 and variance 1, and the
     * values are dyadic: the statistics are exact (ExactArithmeticTest) and so must be these.
     */
    @Test
    void moreThanTwoToTheThirtyOneFloats() throws Exception {
        assumeTrue(Boolean.getBoolean("simdnorm.large"), "-Dsimdnorm.large=true runs it");
        long rows = (1L << 30) + (1L << 20) + 2; // C = 2: 2³¹ + 2²¹ + 4 floats, a little above 8 GiB
        long bytes = rows * 2 * Float.BYTES;
        assumeTrue(availableMemory() > bytes + (4L << 30), "needs " + (bytes >> 20) + " MiB free");
        try (Arena arena = Arena.ofShared()) {
            MemorySegment x = arena.allocate(bytes, 64);
            MemorySegment pattern = arena.allocate(1 << 20, 64);
            for (int i = 0; i < (1 << 20) / 16; i++) {
                pattern.setAtIndex(ValueLayout.JAVA_FLOAT, 4L * i, 1f);
                pattern.setAtIndex(ValueLayout.JAVA_FLOAT, 4L * i + 1, 2f);
                pattern.setAtIndex(ValueLayout.JAVA_FLOAT, 4L * i + 2, -1f);
                pattern.setAtIndex(ValueLayout.JAVA_FLOAT, 4L * i + 3, 4f);
            }
            for (long at = 0; at < bytes; at += pattern.byteSize()) {
                MemorySegment.copy(pattern, 0, x, at, Math.min(pattern.byteSize(), bytes - at));
            }
            Moments m = Moments.of(x, rows, 2, Parallelism.commonPool());
            assertEquals(rows, m.count());
            assertEquals(0.0, m.meanAsDouble(0));
            assertEquals(3.0, m.meanAsDouble(1));
            assertEquals(1.0, m.varianceAsDouble(0));
            assertEquals(1.0, m.varianceAsDouble(1));
            // In place, then the last rows, past index 2³¹: y = (x − μ)·γ/√(σ² + ε) + β with μ = 0, σ² = 1 (defaults).
            BatchNorm bn = BatchNorm.builder(2).build();
            bn.inference(x, x, rows, Parallelism.commonPool());
            float scale = ChannelAffine.scale(1f, 1f, 0.001f);
            long last = rows * 2 - 4;
            assertEquals(Math.fma(1f, scale, 0f), x.getAtIndex(ValueLayout.JAVA_FLOAT, last));
            assertEquals(Math.fma(-1f, scale, 0f), x.getAtIndex(ValueLayout.JAVA_FLOAT, last + 2));
            assertEquals(Math.fma(4f, scale, 0f), x.getAtIndex(ValueLayout.JAVA_FLOAT, last + 3));
        }
    }

    /** MemAvailable from /proc/meminfo, or 0 where there is none. */
    static long availableMemory() throws Exception {
        Path info = Path.of("/proc/meminfo");
        if (!Files.exists(info)) {
            return 0;
        }
        Function<String, Long> kib = l -> Long.parseLong(l.replaceAll("\\D", "")) * 1024;
        return Files.readAllLines(info).stream().filter(l -> l.startsWith("MemAvailable")).findFirst().map(kib)
                .orElse(0L);
    }

    /**
     * A staging longer than a thread keeps (an RMSNorm row of 2²² + 16 floats from a native segment) gets an array for
     * the call only: before, every thread that staged one kept it for its life (up to 8 GiB for a GroupNorm image).
     * The result is still the array overload's, bit for bit.
     */
    @Test
    void longStagingsAreNotKeptByTheThread() throws Exception {
        int size = SegmentStaging.RETAINED_FLOATS + 16;
        float[] x = new float[size];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) Math.sin(i * 0.01) + 2;
        }
        RmsNorm rms = RmsNorm.builder(size).build();
        float[] expected = new float[size];
        rms.apply(x, 0, expected, 0, 1);
        try (Arena arena = Arena.ofShared(); ExecutorService thread = Executors.newSingleThreadExecutor()) {
            MemorySegment xs = arena.allocate((long) size * Float.BYTES, 64);
            MemorySegment ys = arena.allocate((long) size * Float.BYTES, 64);
            MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_FLOAT, 0, size);
            int kept = thread.submit(() -> {
                rms.apply(xs, ys, 1);
                return SegmentStaging.sliceBufferFloats();
            }).get();
            assertArrayEquals(expected, ys.toArray(ValueLayout.JAVA_FLOAT));
            assertEquals(true, kept <= SegmentStaging.RETAINED_FLOATS, "the thread keeps " + kept + " floats");
        }
    }
}
