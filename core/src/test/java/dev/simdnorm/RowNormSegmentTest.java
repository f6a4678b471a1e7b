package dev.simdnorm;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The {@link MemorySegment} overloads of LayerNorm and RMSNorm: the array overloads' bits on native segments (staged
 * in runs of rows), on heap segments over {@code float[]} (read directly), in place and over threads, and bad segments
 * rejected with nothing written.
 */
class RowNormSegmentTest {

    @Test
    void segmentsGiveTheArraysBits() {
        // Rows of 768: runs of 341 rows are staged, so 1000 rows cross three runs; rows of 5 and 20000 too.
        for (int[] shape : new int[][] {{1000, 768}, {3, 5}, {60, 20_000}}) {
            int rows = shape[0];
            int size = shape[1];
            float[] x = NchwPropertyTest.gaussians(new SplittableRandom(size), rows * size, 1e3, 3);
            float[] gamma = NchwPropertyTest.gaussians(new SplittableRandom(rows), size, 1, 0.2);
            LayerNorm ln = LayerNorm.builder(size).gamma(gamma).beta(gamma).build();
            RmsNorm rms = RmsNorm.builder(size).gamma(gamma).build();
            float[] lnY = new float[x.length];
            float[] rmsY = new float[x.length];
            ln.apply(x, 0, lnY, 0, rows);
            rms.apply(x, 0, rmsY, 0, rows);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment xs = arena.allocate((long) x.length * Float.BYTES, 64);
                MemorySegment ys = arena.allocate((long) x.length * Float.BYTES, 64);
                MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_FLOAT, 0, x.length);
                ln.apply(xs, ys, rows);
                assertArrayEquals(lnY, ys.toArray(ValueLayout.JAVA_FLOAT), "LayerNorm, native, size " + size);
                rms.apply(xs, ys, rows);
                assertArrayEquals(rmsY, ys.toArray(ValueLayout.JAVA_FLOAT), "RMSNorm, native, size " + size);
                ln.apply(xs, xs, rows);
                assertArrayEquals(lnY, xs.toArray(ValueLayout.JAVA_FLOAT), "LayerNorm, native, in place");
                float[] heapY = new float[x.length + 4];
                rms.apply(MemorySegment.ofArray(x), MemorySegment.ofArray(heapY).asSlice(8), rows);
                assertArrayEquals(rmsY, java.util.Arrays.copyOfRange(heapY, 2, 2 + x.length), "RMSNorm, heap");
            }
        }
    }

    /**
     * The Parallelism overloads on segments: the sequential arrays' y (and h) bit for bit at 1 to 7 threads, on shared
     * native segments (runs of rows staged per task: 1500 rows of 768 are 1.15 M floats, above the 2²⁰ from which a
     * call spreads, five runs of 341 rows) and on heap segments (the arrays' parallel path); the executor must have
     * been used there. A confined segment keeps the call on its thread: a helper that touched it would throw
     * {@link WrongThreadException}, and the executor must not be used.
     */
    @Test
    void parallelSegmentsGiveTheSequentialArraysBits() {
        int rows = 1500;
        Rows d = new Rows(rows, 768, 4);
        float[] x = d.x;
        float[] r = d.residual;
        LayerNorm ln = d.ln;
        RmsNorm rms = d.rms;
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            for (boolean isRms : new boolean[] {false, true}) {
                String what = isRms ? "RMSNorm" : "LayerNorm";
                float[] plain = new float[x.length];
                float[] y = new float[x.length];
                float[] h = new float[x.length];
                if (isRms) {
                    rms.apply(x, 0, plain, 0, rows);
                    rms.apply(x, 0, r, 0, y, 0, h, 0, rows);
                } else {
                    ln.apply(x, 0, plain, 0, rows);
                    ln.apply(x, 0, r, 0, y, 0, h, 0, rows);
                }
                for (int threads : new int[] {1, 2, 3, 7}) {
                    String at = what + ", " + threads + " threads";
                    AtomicInteger submitted = new AtomicInteger();
                    Parallelism p = Parallelism.of(task -> {
                        submitted.incrementAndGet();
                        pool.execute(task);
                    }, threads);
                    try (Arena arena = Arena.ofShared()) {
                        long bytes = (long) x.length * Float.BYTES;
                        MemorySegment xs = arena.allocate(bytes, 64);
                        MemorySegment rs = arena.allocate(bytes, 64);
                        MemorySegment ys = arena.allocate(bytes, 64);
                        MemorySegment hs = arena.allocate(bytes, 64);
                        MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_FLOAT, 0, x.length);
                        MemorySegment.copy(r, 0, rs, ValueLayout.JAVA_FLOAT, 0, r.length);
                        apply(isRms, ln, rms, xs, null, ys, null, rows, p);
                        assertArrayEquals(plain, ys.toArray(ValueLayout.JAVA_FLOAT), at + ", native");
                        apply(isRms, ln, rms, xs, rs, ys, hs, rows, p);
                        assertArrayEquals(y, ys.toArray(ValueLayout.JAVA_FLOAT), at + ", native, y");
                        assertArrayEquals(h, hs.toArray(ValueLayout.JAVA_FLOAT), at + ", native, h");
                        apply(isRms, ln, rms, xs, rs, rs, null, rows, p); // y over the residual
                        assertArrayEquals(y, rs.toArray(ValueLayout.JAVA_FLOAT), at + ", native, y in place");
                    }
                    assertEquals(threads > 1, submitted.getAndSet(0) > 0, at + ": executor used, native");
                    float[] heapY = new float[x.length];
                    apply(isRms, ln, rms, MemorySegment.ofArray(x), MemorySegment.ofArray(r),
                            MemorySegment.ofArray(heapY), null, rows, p);
                    assertArrayEquals(y, heapY, at + ", heap, y");
                    assertEquals(threads > 1, submitted.get() > 0, at + ": executor used, heap");
                }
                AtomicInteger submitted = new AtomicInteger();
                Parallelism p = Parallelism.of(task -> {
                    submitted.incrementAndGet();
                    pool.execute(task);
                }, 3);
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment xs = arena.allocate((long) x.length * Float.BYTES, 64);
                    MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_FLOAT, 0, x.length);
                    apply(isRms, ln, rms, xs, null, xs, null, rows, p);
                    assertArrayEquals(plain, xs.toArray(ValueLayout.JAVA_FLOAT), what + ", confined, in place");
                }
                assertEquals(0, submitted.get(), what + ": a confined segment's call went to the executor");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static void apply(boolean isRms, LayerNorm ln, RmsNorm rms, MemorySegment x, MemorySegment r,
                              MemorySegment y, MemorySegment h, long rows, Parallelism p) {
        if (r == null) {
            if (isRms) {
                rms.apply(x, y, rows, p);
            } else {
                ln.apply(x, y, rows, p);
            }
        } else if (isRms) {
            if (h == null) {
                rms.apply(x, r, y, rows, p);
            } else {
                rms.apply(x, r, y, h, rows, p);
            }
        } else if (h == null) {
            ln.apply(x, r, y, rows, p);
        } else {
            ln.apply(x, r, y, h, rows, p);
        }
    }

    @Test
    void badSegmentsAreRejectedWithNothingWritten() {
        LayerNorm ln = LayerNorm.builder(4).build();
        RmsNorm rms = RmsNorm.builder(4).build();
        float[] y = NormalizePropertyTest.poisoned(8);
        float[] before = y.clone();
        MemorySegment ys = MemorySegment.ofArray(y);
        MemorySegment x = MemorySegment.ofArray(new float[8]);
        assertThrows(NullPointerException.class, () -> ln.apply(null, ys, 2));
        assertThrows(NullPointerException.class, () -> rms.apply(x, null, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> ln.apply(x, ys, 3));
        assertThrows(IllegalArgumentException.class, () -> rms.apply(x, ys, -1));
        assertThrows(IllegalArgumentException.class, () -> ln.apply(x, ys.asReadOnly(), 2));
        assertThrows(IllegalArgumentException.class, () -> ln.apply(ys, ys.asSlice(4), 1)); // partial overlap
        assertThrows(IllegalArgumentException.class,
                () -> rms.apply(MemorySegment.ofArray(new byte[33]).asSlice(1), ys, 2)); // not aligned to 4 bytes
        Arena arena = Arena.ofConfined();
        MemorySegment closed = arena.allocate(32, 4);
        arena.close();
        assertThrows(IllegalStateException.class, () -> ln.apply(closed, ys, 2));
        BadInputTest.fails(NullPointerException.class, "parallelism", () -> rms.apply(x, ys, 2, null));
        BadInputTest.fails(NullPointerException.class, "parallelism", () -> ln.apply(x, x, ys, 2, null));
        BadInputTest.fails(NullPointerException.class, "parallelism",
                () -> rms.apply(x, x, ys, ys.asSlice(0, 0), 0, null));
        assertArrayEquals(before, y, "a call that threw wrote y");
    }

    /**
     * The residual forms on segments: the arrays' y and h, bit for bit, on native segments (staged in runs of rows,
     * 1000 rows of 768 crossing three runs) and on heap segments over arrays (read directly), with y in place over x or
     * over the residual and h over the other.
     */
    @Test
    void residualFormsOnSegmentsGiveTheArraysBits() {
        int rows = 1000;
        Rows d = new Rows(rows, 768, 1);
        float[] x = d.x;
        float[] r = d.residual;
        LayerNorm ln = d.ln;
        RmsNorm rms = d.rms;
        for (boolean isRms : new boolean[] {false, true}) {
            String what = isRms ? "RMSNorm" : "LayerNorm";
            float[] y = new float[x.length];
            float[] h = new float[x.length];
            if (isRms) {
                rms.apply(x, 0, r, 0, y, 0, h, 0, rows);
            } else {
                ln.apply(x, 0, r, 0, y, 0, h, 0, rows);
            }
            try (Arena arena = Arena.ofConfined()) {
                long bytes = (long) x.length * Float.BYTES;
                MemorySegment xs = arena.allocate(bytes, 64);
                MemorySegment rs = arena.allocate(bytes, 64);
                MemorySegment ys = arena.allocate(bytes, 64);
                MemorySegment hs = arena.allocate(bytes, 64);
                MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_FLOAT, 0, x.length);
                MemorySegment.copy(r, 0, rs, ValueLayout.JAVA_FLOAT, 0, r.length);
                apply(isRms, ln, rms, xs, rs, ys, hs, rows);
                assertArrayEquals(y, ys.toArray(ValueLayout.JAVA_FLOAT), what + ", native, y");
                assertArrayEquals(h, hs.toArray(ValueLayout.JAVA_FLOAT), what + ", native, h");
                apply(isRms, ln, rms, xs, rs, ys, null, rows);
                assertArrayEquals(y, ys.toArray(ValueLayout.JAVA_FLOAT), what + ", native, without h");
                apply(isRms, ln, rms, xs, rs, rs, xs, rows); // y over the residual, h over x
                assertArrayEquals(y, rs.toArray(ValueLayout.JAVA_FLOAT), what + ", native, y in place");
                assertArrayEquals(h, xs.toArray(ValueLayout.JAVA_FLOAT), what + ", native, h in place");
            }
            float[] hx = x.clone();
            float[] yr = r.clone();
            apply(isRms, ln, rms, MemorySegment.ofArray(hx), MemorySegment.ofArray(yr), MemorySegment.ofArray(yr),
                    MemorySegment.ofArray(hx), rows);
            assertArrayEquals(y, yr, what + ", heap, y in place");
            assertArrayEquals(h, hx, what + ", heap, h in place");
        }
    }

    private static void apply(boolean isRms, LayerNorm ln, RmsNorm rms, MemorySegment x, MemorySegment r,
                              MemorySegment y, MemorySegment h, long rows) {
        if (isRms) {
            if (h == null) {
                rms.apply(x, r, y, rows);
            } else {
                rms.apply(x, r, y, h, rows);
            }
        } else if (h == null) {
            ln.apply(x, r, y, rows);
        } else {
            ln.apply(x, r, y, h, rows);
        }
    }

    @Test
    void badResidualSegmentsAreRejectedWithNothingWritten() {
        LayerNorm ln = LayerNorm.builder(4).build();
        RmsNorm rms = RmsNorm.builder(4).build();
        float[] y = NormalizePropertyTest.poisoned(16);
        float[] before = y.clone();
        MemorySegment ys = MemorySegment.ofArray(y);
        MemorySegment x = MemorySegment.ofArray(new float[8]);
        MemorySegment r = MemorySegment.ofArray(new float[8]);
        BadInputTest.fails(NullPointerException.class, "residual", () -> ln.apply(x, null, ys, 2));
        BadInputTest.fails(NullPointerException.class, "h", () -> rms.apply(x, r, ys, null, 2));
        BadInputTest.fails(IndexOutOfBoundsException.class, "residual",
                () -> ln.apply(x, r.asSlice(4), ys, 2));
        BadInputTest.fails(IllegalArgumentException.class, "read-only", () -> rms.apply(x, r, ys.asReadOnly(), 2));
        BadInputTest.fails(IllegalArgumentException.class, "h",
                () -> ln.apply(x, r, ys, ys.asSlice(4), 1)); // h overlaps y
        BadInputTest.fails(IllegalArgumentException.class, "h", () -> rms.apply(x, r, ys, ys, 2)); // h is y
        BadInputTest.fails(IllegalArgumentException.class, "h",
                () -> ln.apply(x, r, ys, ys.asSlice(12), 1)); // h starts at y's last float: one float shared
        try (Arena arena = Arena.ofConfined()) { // native memory: compared by address
            MemorySegment ny = arena.allocate(64, 64);
            BadInputTest.fails(IllegalArgumentException.class, "h", () -> ln.apply(x, r, ny, ny.asSlice(12), 1));
            BadInputTest.fails(IllegalArgumentException.class, "h", () -> ln.apply(x, r, ny, ny, 1));
            ln.apply(x, r, ny, ny.asSlice(16), 1); // h right after y: allowed
        }
        BadInputTest.fails(IllegalArgumentException.class, "residual",
                () -> rms.apply(x, ys.asSlice(4), ys, 2)); // the residual partially overlaps y
        BadInputTest.fails(IllegalArgumentException.class, "h",
                () -> ln.apply(x, r, ys, x.asSlice(4), 1)); // h partially overlaps x
        assertArrayEquals(before, y, "a call that threw wrote y");
    }

    /** Rows of x far from zero, a residual far on the other side, and the two layers with one γ (and β = γ). */
    private record Rows(float[] x, float[] residual, LayerNorm ln, RmsNorm rms) {
        Rows(int rows, int size, int seed) {
            this(NchwPropertyTest.gaussians(new SplittableRandom(seed), rows * size, 1e3, 3),
                    NchwPropertyTest.gaussians(new SplittableRandom(seed + 1), rows * size, -1e3, 2),
                    NchwPropertyTest.gaussians(new SplittableRandom(seed + 2), size, 1, 0.2));
        }

        private Rows(float[] x, float[] residual, float[] gamma) {
            this(x, residual, LayerNorm.builder(gamma.length).gamma(gamma).beta(gamma).build(),
                    RmsNorm.builder(gamma.length).gamma(gamma).build());
        }
    }
}
