package dev.simdnorm;

import dev.simdnorm.internal.AffineParams;
import dev.simdnorm.internal.Kernel;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * How the {@link MemorySegment} overloads reach the kernels, which work on {@code float[]}: a segment over a
 * {@code float[]} is handed over as that array, without a copy; any other segment (native, mapped, over another array
 * type) is staged through a heap buffer a slice or a chunk at a time, a copy that stays in cache. Either way the
 * kernels see the same floats in the same slices as the array overloads, so the results are the same bits.
 */
final class SegmentStaging {

    /** Floats of the normalize buffer: one row of the most channels a segment may have (Check). */
    static final int CHUNK_FLOATS = 16 * 1024;

    /** Floats per normalize step: in, normalized in place, out again, within L1 (48 KiB here). */
    private static final int STEP_FLOATS = 4 * 1024;

    /** A thread that is never started, hence owns no segment: asks whether a segment is shared between threads. */
    private static final Thread NOT_AN_OWNER = Thread.ofPlatform().unstarted(() -> { });

    /** The normalize buffer of each thread, reused so that inference on segments needs no buffer per call. */
    private static final ThreadLocal<float[]> CHUNK = ThreadLocal.withInitial(() -> new float[CHUNK_FLOATS]);

    private SegmentStaging() {
    }

    /** A segment confined to one thread can be read on that thread only: such calls stay sequential. */
    static Parallelism parallelismFor(MemorySegment x, Parallelism parallelism) {
        return x.isAccessibleBy(NOT_AN_OWNER) ? parallelism : Parallelism.sequential();
    }

    /** The class of heap segments over a {@code float[]} (slices and read-only views included). */
    private static final Class<?> FLOATS_ON_HEAP = MemorySegment.ofArray(new float[0]).getClass();

    /**
     * The {@code float[]} under a writable heap segment over one, else null. The class is compared first, which tells
     * C2 the implementation at {@code heapBase} however many kinds of segment the JVM has seen, so that it can inline
     * the call and drop its {@code Optional}; where it still does not inline it (some JVMs of the test suite), the
     * {@code Optional} is 16 B a call.
     */
    static float[] array(MemorySegment s) {
        return s.getClass() == FLOATS_ON_HEAP && s.heapBase().orElse(null) instanceof float[] a ? a : null;
    }

    /** The array index of a heap segment's first float: its address is the byte offset into the array. */
    static int arrayOffset(MemorySegment s) {
        return (int) (s.address() / Float.BYTES);
    }

    /**
     * The statistics buffer of each thread: one slice, about 1 MiB (C KiB above 1024 channels; in double, up to 4 MiB
     * above 256 channels, {@code Slices.rowsPerSliceInDouble}), reused.
     */
    private static final ThreadLocal<float[]> SLICE = ThreadLocal.withInitial(() -> new float[Slices.SLICE_FLOATS]);

    /** A second slice buffer of each thread, for calls with two staged inputs (the residual forms). */
    private static final ThreadLocal<float[]> ASIDE = ThreadLocal.withInitial(() -> new float[Slices.SLICE_FLOATS]);

    /** The length of this thread's slice buffer (for tests: what a thread keeps). */
    static int sliceBufferFloats() {
        return SLICE.get().length;
    }

    /** {@link #read}, into this thread's second slice buffer. */
    static float[] readAside(MemorySegment x, long from, int floats) {
        return read(ASIDE, x, from, floats);
    }

    /**
     * Copies {@code floats} floats from float index {@code from} of {@code x} into this thread's slice buffer, from
     * index 0, and returns the buffer; valid until this thread's next call.
     */
    static float[] read(MemorySegment x, long from, int floats) {
        return read(SLICE, x, from, floats);
    }

    /** Copies {@code floats} floats from index 0 of {@code staged} to float index {@code to} of {@code y}. */
    static void write(float[] staged, MemorySegment y, long to, int floats) {
        MemorySegment.copy(staged, 0, y, ValueLayout.JAVA_FLOAT, to * Float.BYTES, floats);
    }

    /**
     * The longest buffer a thread keeps: a slice of the statistics at their largest (16 MiB, 2¹⁴ channels). Longer
     * stagings (a LayerNorm row above 2²² floats, a GroupNorm NCHW image) get an array of their own for the call: a
     * buffer of gigabytes kept by every thread that ever ran a task would outlive the call by the thread's life.
     */
    static final int RETAINED_FLOATS = 1 << 22;

    /**
     * Copies the floats into the given per-thread buffer, grown first if it is too short (or into a new array, not
     * kept, above {@link #RETAINED_FLOATS}).
     */
    private static float[] read(ThreadLocal<float[]> buffer, MemorySegment x, long from, int floats) {
        float[] staged = buffer(buffer, floats);
        MemorySegment.copy(x, ValueLayout.JAVA_FLOAT, from * Float.BYTES, staged, 0, floats);
        return staged;
    }

    /**
     * This thread's slice buffer, at least {@code floats} long, as {@link #read} grows it; valid until this thread's
     * next call. The NCHW backward pass stages its slices here ({@link PlaneGradients}).
     */
    static float[] sliceBuffer(int floats) {
        return buffer(SLICE, floats);
    }

    /** This thread's second slice buffer, at least {@code floats} long, as {@link #sliceBuffer}. */
    static float[] asideBuffer(int floats) {
        return buffer(ASIDE, floats);
    }

    /** The given per-thread buffer, grown first if shorter than {@code floats} (not kept above the retained size). */
    private static float[] buffer(ThreadLocal<float[]> buffer, int floats) {
        float[] staged = buffer.get();
        if (staged.length < floats) {
            staged = new float[floats];
            if (floats <= RETAINED_FLOATS) {
                buffer.set(staged);
            }
        }
        return staged;
    }

    /**
     * Normalizes {@code rows} rows of x from row {@code row} into the same rows of y, chunk by chunk of whole rows
     * through this thread's buffer: one of the segments is not over a {@code float[]}.
     */
    static void normalize(Kernel kernel, MemorySegment x, long row, MemorySegment y, int rows, AffineParams params,
                          boolean relu) {
        int channels = params.channels();
        float[] chunk = CHUNK.get();
        int chunkRows = Math.max(1, STEP_FLOATS / channels); // one row fits: at most CHUNK_FLOATS channels (Check)
        for (int done = 0, n; done < rows; done += n) {
            n = Math.min(chunkRows, rows - done);
            long from = (row + done) * channels * Float.BYTES;
            int floats = n * channels;
            MemorySegment.copy(x, ValueLayout.JAVA_FLOAT, from, chunk, 0, floats);
            if (!params.wideCenter() || !DeviationOverflow.planes(chunk, 0, chunk, 0, n, 1, params, relu)) {
                kernel.normalize(chunk, 0, chunk, 0, n, params, relu);
            }
            MemorySegment.copy(chunk, 0, y, ValueLayout.JAVA_FLOAT, from, floats);
        }
    }
}
