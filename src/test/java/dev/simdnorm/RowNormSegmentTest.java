package dev.simdnorm;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The {@link MemorySegment} overloads of LayerNorm and RMSNorm: the array overloads' bits on native segments (staged
 * in runs of rows), on heap segments over {@code float[]} (read directly) and in place, and bad segments rejected
 * with nothing written.
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
        assertArrayEquals(before, y, "a call that threw wrote y");
    }
}
