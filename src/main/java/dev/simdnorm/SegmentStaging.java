package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.KernelProvider;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * How the {@link MemorySegment} overloads reach the kernels, which work on {@code float[]}: a segment over a
 * {@code float[]} is handed over as that array, without a copy; any other segment (native, mapped, over another array
 * type) is staged through a heap buffer a slice or a chunk at a time, a copy that stays in cache. Either way the
 * kernels see the same floats in the same slices as the array overloads, so the results are the same bits.
 */
final class SegmentStaging {

    /** Floats per normalize chunk: one chunk in, normalized in place, out again, all within L1/L2. */
    static final int CHUNK_FLOATS = 16 * 1024;

    /** A thread that is never started, hence owns no segment: asks whether a segment is shared between threads. */
    private static final Thread NOT_AN_OWNER = Thread.ofPlatform().unstarted(() -> { });

    /** The normalize buffer of each thread, reused so that inference on segments allocates nothing per call. */
    private static final ThreadLocal<float[]> CHUNK = ThreadLocal.withInitial(() -> new float[CHUNK_FLOATS]);

    private SegmentStaging() {
    }

    /** A segment confined to one thread can be read on that thread only: such calls stay sequential. */
    static Parallelism parallelismFor(MemorySegment x, Parallelism parallelism) {
        return x.isAccessibleBy(NOT_AN_OWNER) ? parallelism : Parallelism.sequential();
    }

    /** The {@code float[]} under a writable heap segment over one, else null. */
    static float[] array(MemorySegment s) {
        return s.heapBase().orElse(null) instanceof float[] a ? a : null;
    }

    /** The array index of a heap segment's first float: its address is the byte offset into the array. */
    static int arrayOffset(MemorySegment s) {
        return (int) (s.address() / Float.BYTES);
    }

    /** Copies {@code floats} floats from float index {@code from} of {@code x} into a new array. */
    static float[] read(MemorySegment x, long from, int floats) {
        float[] staged = new float[floats];
        MemorySegment.copy(x, ValueLayout.JAVA_FLOAT, from * Float.BYTES, staged, 0, floats);
        return staged;
    }

    /**
     * Normalizes {@code rows} rows of x into y by the kernel: directly where both are over float arrays, otherwise
     * chunk by chunk of whole rows through this thread's buffer.
     */
    static void normalize(MemorySegment x, long xRow, MemorySegment y, int rows, int channels, AffineParams params,
                          boolean relu) {
        float[] xa = array(x);
        float[] ya = array(y);
        if (xa != null && ya != null) {
            KernelProvider.kernel().normalize(xa, arrayOffset(x) + (int) xRow * channels, ya,
                    arrayOffset(y) + (int) xRow * channels, rows, params, relu);
            return;
        }
        float[] chunk = CHUNK.get();
        if (chunk.length < channels) {
            chunk = new float[channels];
            CHUNK.set(chunk);
        }
        int chunkRows = chunk.length / channels;
        for (int done = 0, n; done < rows; done += n) {
            n = Math.min(chunkRows, rows - done);
            long from = (xRow + done) * channels * Float.BYTES;
            int floats = n * channels;
            MemorySegment.copy(x, ValueLayout.JAVA_FLOAT, from, chunk, 0, floats);
            KernelProvider.kernel().normalize(chunk, 0, chunk, 0, n, params, relu);
            MemorySegment.copy(chunk, 0, y, ValueLayout.JAVA_FLOAT, from, floats);
        }
    }
}
