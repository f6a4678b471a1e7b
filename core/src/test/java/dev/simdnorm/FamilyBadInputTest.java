package dev.simdnorm;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static dev.simdnorm.BadInputTest.fails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The normalization family's rejections that other tests do not reach: each names the argument, and a call that
 * throws writes nothing (every caller array is compared with its copy after each failed call).
 */
class FamilyBadInputTest {

    @Test
    void rowNormsRejectAliasesOverlapsAndOverflowAndChangeNothing() {
        LayerNorm ln = LayerNorm.builder(4).build();
        RmsNorm rms = RmsNorm.builder(4).build();
        float[] x = values(8, 1);
        float[] y = values(8, 2);
        float[] r = values(8, 3);
        float[] mean = values(2, 4);
        float[] inv = values(2, 5);
        float[][] all = {x, y, r, mean, inv};
        float[][] before = copies(all);
        // ONNX's Mean and InvStdDev outputs must be arrays of their own.
        fails(IllegalArgumentException.class, "mean", () -> ln.apply(x, 0, y, 0, 2, y, inv));
        fails(IllegalArgumentException.class, "invStdDev", () -> ln.apply(x, 0, y, 0, 2, mean, x));
        assertUnchanged(before, all);
        // h partly over x or the residual: the sum would be read after it was written.
        fails(IllegalArgumentException.class, "h", () -> ln.apply(x, 0, r, 0, y, 0, x, 1, 1));
        fails(IllegalArgumentException.class, "h", () -> rms.apply(x, 0, r, 0, y, 0, r, 2, 1));
        assertUnchanged(before, all);
        // rows·size past an int: out of range, never wrapped into it.
        fails(IndexOutOfBoundsException.class, "x.length", () -> ln.apply(x, 0, y, 0, Integer.MAX_VALUE));
        fails(IndexOutOfBoundsException.class, "x.length", () -> rms.apply(x, 0, y, 0, Integer.MAX_VALUE / 2));
        assertUnchanged(before, all);
    }

    @Test
    void rowNormSegmentsRejectReadOnlyAndOverlappingOutputs() {
        RmsNorm rms = RmsNorm.builder(4).build();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = floats(arena, 8, 1);
            MemorySegment r = floats(arena, 8, 2);
            MemorySegment y = floats(arena, 8, 3);
            MemorySegment h = floats(arena, 12, 4);
            float[][] before = {x.toArray(ValueLayout.JAVA_FLOAT), r.toArray(ValueLayout.JAVA_FLOAT),
                y.toArray(ValueLayout.JAVA_FLOAT), h.toArray(ValueLayout.JAVA_FLOAT)};
            fails(IllegalArgumentException.class, "read-only", () -> rms.apply(x, r, y, h.asReadOnly(), 2));
            // h one float into the residual: partly the same bytes, the sum read after it was written.
            fails(IllegalArgumentException.class, "h", () -> rms.apply(x, r, y, r.asSlice(4), 1));
            assertArrayEquals(before[0], x.toArray(ValueLayout.JAVA_FLOAT));
            assertArrayEquals(before[1], r.toArray(ValueLayout.JAVA_FLOAT));
            assertArrayEquals(before[2], y.toArray(ValueLayout.JAVA_FLOAT));
            assertArrayEquals(before[3], h.toArray(ValueLayout.JAVA_FLOAT));
        }
    }

    @Test
    void groupNormSegmentsRejectBadSegmentsAndChangeNothing() throws Exception {
        GroupNorm gn = GroupNorm.builder(4, 2).build();
        MemorySegment kept;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = floats(arena, 16, 1);
            MemorySegment y = floats(arena, 16, 2);
            float[] yBefore = y.toArray(ValueLayout.JAVA_FLOAT);
            fails(IllegalArgumentException.class, "overlap", () -> gn.apply(y, y.asSlice(4, 48), 1, 2));
            fails(IllegalArgumentException.class, "aligned", () -> gn.apply(x.asSlice(2, 32), y, 1, 2));
            fails(IllegalArgumentException.class, "read-only", () -> gn.apply(x, y.asReadOnly(), 1, 2));
            fails(IndexOutOfBoundsException.class, "x", () -> gn.apply(x, y, 3, 2));
            assertArrayEquals(yBefore, y.toArray(ValueLayout.JAVA_FLOAT));
            // Confined to this thread: another thread is told so, before anything is read.
            try (ExecutorService other = Executors.newSingleThreadExecutor()) {
                Future<?> call = other.submit(() -> gn.apply(x, y, 1, 2));
                Exception e = assertThrows(Exception.class, call::get);
                assertInstanceOf(WrongThreadException.class, e.getCause());
            }
            kept = x;
        }
        fails(IllegalStateException.class, "closed", () -> gn.apply(kept, kept, 1, 2));
        GroupNorm wide = GroupNorm.instanceNorm(Check.MAX_SEGMENT_CHANNELS + 1).build();
        MemorySegment row = Arena.ofAuto().allocate(4L * (Check.MAX_SEGMENT_CHANNELS + 1), 4);
        MemorySegment out = Arena.ofAuto().allocate(4L * (Check.MAX_SEGMENT_CHANNELS + 1), 4);
        fails(IllegalArgumentException.class, "channels", () -> wide.apply(row, out, 1, 1));
    }

    @Test
    void groupNormSegmentsOfNoImagesAreANoOpInEveryLayout() {
        // n = 0 with an image too large to stage: nothing to do, as the array overloads and NHWC segments take it.
        GroupNorm gn = GroupNorm.builder(4, 2).build();
        MemorySegment none = MemorySegment.ofArray(new float[0]);
        assertDoesNotThrow(() -> gn.apply(none, none, TensorLayout.NCHW, 0, Integer.MAX_VALUE));
        assertDoesNotThrow(() -> gn.apply(none, none, TensorLayout.NHWC, 0, Integer.MAX_VALUE));
        float[] empty = new float[0];
        assertDoesNotThrow(() -> gn.apply(empty, 0, empty, 0, TensorLayout.NCHW, 0, Integer.MAX_VALUE));
    }

    private static float[] values(int n, int seed) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = seed + i * 0.25f;
        }
        return a;
    }

    private static MemorySegment floats(Arena arena, int n, int seed) {
        MemorySegment s = arena.allocate(4L * n, 64);
        s.copyFrom(MemorySegment.ofArray(values(n, seed)));
        return s;
    }

    private static float[][] copies(float[][] arrays) {
        float[][] c = new float[arrays.length][];
        for (int i = 0; i < arrays.length; i++) {
            c[i] = arrays[i].clone();
        }
        return c;
    }

    private static void assertUnchanged(float[][] before, float[][] now) {
        for (int i = 0; i < now.length; i++) {
            assertArrayEquals(before[i], now[i], "array " + i + " was written by a call that threw");
        }
    }
}
