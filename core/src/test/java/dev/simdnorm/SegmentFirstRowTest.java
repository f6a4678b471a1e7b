package dev.simdnorm;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The segment paths of {@link Engine} from a first row (GroupNorm's images, without a slice per image) read and write
 * the rows a slice from that row would: the same bits, on segments over a {@code float[]} (themselves at an offset)
 * and native ones, in float and in double, the statistics' first center and origin included.
 */
class SegmentFirstRowTest {

    @Test
    void fromAFirstRowAsFromASlice() {
        SplittableRandom r = new SplittableRandom(5);
        int c = 19;
        int rows = 700; // more than one block of 256 rows
        int first = 300;
        int lead = 3; // floats before the tensor in the array under the heap segment
        float[] data = new float[lead + (first + rows) * c];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (r.nextGaussian() * 2 + 1e4 * (i % 7)); // far from zero: origins and centers matter
        }
        ChannelAffine map = ChannelAffine.of(NchwPropertyTest.gaussians(r, c, 1, 0.5),
                NchwPropertyTest.gaussians(r, c, 0, 1));
        long sliceBytes = (long) first * c * Float.BYTES;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment nativeX = arena.allocate((long) (data.length - lead) * Float.BYTES, 64);
            MemorySegment.copy(data, lead, nativeX, ValueLayout.JAVA_FLOAT, 0, data.length - lead);
            MemorySegment heapX = MemorySegment.ofArray(data).asSlice((long) lead * Float.BYTES);
            for (MemorySegment x : new MemorySegment[] {heapX, nativeX}) {
                for (Precision precision : Precision.values()) {
                    double[] mean = new double[c];
                    double[] m2 = new double[c];
                    double[] sliceMean = new double[c];
                    double[] sliceM2 = new double[c];
                    Engine.moments(x, first, rows, c, precision, Parallelism.sequential(), mean, m2);
                    Engine.moments(x.asSlice(sliceBytes), rows, c, precision, Parallelism.sequential(), sliceMean,
                            sliceM2);
                    String what = (x.isNative() ? "native " : "heap ") + precision;
                    assertArrayEquals(sliceMean, mean, "mean, " + what);
                    assertArrayEquals(sliceM2, m2, "M2, " + what);
                }
                // The map into a heap y (both over arrays: the array path) and into a native y (staged).
                long bytes = (long) (first + rows) * c * Float.BYTES;
                MemorySegment[] outputs = {MemorySegment.ofArray(new float[(first + rows) * c]),
                        arena.allocate(bytes, 64)};
                for (MemorySegment y : outputs) {
                    float[] expected = new float[rows * c];
                    Engine.normalize(x.asSlice(sliceBytes), MemorySegment.ofArray(expected), rows, map.params(),
                            true, Parallelism.sequential());
                    Engine.normalize(x, y, first, rows, map.params(), true, Parallelism.sequential());
                    assertArrayEquals(expected, y.asSlice(sliceBytes).toArray(ValueLayout.JAVA_FLOAT),
                            "y from row " + first + (y.isNative() ? ", native" : ", heap"));
                    assertArrayEquals(new float[first * c], y.asSlice(0, sliceBytes).toArray(ValueLayout.JAVA_FLOAT),
                            "nothing written before the first row");
                }
            }
        }
    }
}
