package dev.simdnorm;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * GroupNorm and InstanceNorm: exact dyadic cases in both layouts, data near the largest float, NaN confined to its
 * group of its image, and bad input rejected with nothing written.
 */
class GroupNormTest {

    /** Channel c at position p of the dyadic image below, NCHW: {−2, 2}, {2, −2}, {2, 6}, {6, 2}. */
    private static final float[][] DYADIC = {{-2f, 2f}, {2f, -2f}, {2f, 6f}, {6f, 2f}};

    @Test
    void dyadicGroupsAreExactInBothLayouts() {
        // Two groups of two channels: means 0 and 4, variances 4 and 4; with ε = 12 the root is 4, so every step is
        // exact: y = (x − μ)/4·γ + β.
        GroupNorm gn = GroupNorm.builder(4, 2).epsilon(12f).gamma(new float[] {4f, 8f, 4f, -4f})
                .beta(new float[] {1f, 0f, 0f, 0.5f}).build();
        float[][] expected = {{-1f, 3f}, {4f, -4f}, {-2f, 2f}, {-1.5f, 2.5f}};
        float[] nchw = new float[8];
        float[] nhwc = new float[8];
        for (int c = 0; c < 4; c++) {
            for (int p = 0; p < 2; p++) {
                nchw[c * 2 + p] = DYADIC[c][p];
                nhwc[p * 4 + c] = DYADIC[c][p];
            }
        }
        float[] y = new float[8];
        gn.apply(nchw, 0, y, 0, TensorLayout.NCHW, 1, 2);
        float[] ys = new float[8];
        gn.apply(nhwc, 0, ys, 0, TensorShape.nhwc(1, 2, 4));
        for (int c = 0; c < 4; c++) {
            for (int p = 0; p < 2; p++) {
                assertEquals(expected[c][p], y[c * 2 + p], "NCHW channel " + c + " position " + p);
                assertEquals(expected[c][p], ys[p * 4 + c], "NHWC channel " + c + " position " + p);
            }
        }
        // One group: the whole image, mean 2, variance (16 + 0 + 0 + 16 + 0 + 16 + 16 + 0)/8 = 8; ε = 8 gives 4.
        GroupNorm whole = GroupNorm.builder(4, 1).epsilon(8f).build();
        whole.apply(nchw, 0, y, 0, TensorLayout.NCHW, 1, 2);
        assertArrayEquals(new float[] {-1f, 0f, 0f, -1f, 0f, 1f, 1f, 0f}, y);
    }

    @Test
    void instanceNormOfAConstantChannelGivesBeta() {
        // σ² = 0: every deviation is exactly 0, so y = β whatever ε and γ.
        GroupNorm in = GroupNorm.instanceNorm(2).gamma(new float[] {3f, 5f}).beta(new float[] {0.25f, -7f}).build();
        float[] y = new float[6];
        in.apply(new float[] {1e4f, -5f, 1e4f, -5f, 1e4f, -5f}, 0, y, 0, TensorLayout.NHWC, 1, 3);
        assertArrayEquals(new float[] {0.25f, -7f, 0.25f, -7f, 0.25f, -7f}, y);
        assertEquals(2, in.groups());
    }

    @Test
    void dataNearTheLargestFloatGiveFiniteOutputs() {
        // Values of ±3e37 about a mean of 1e37: the variance, about 9e74, exceeds the largest float; the exact y is
        // about ±1 (reliability issue, D2 and D5). The group's values spread beyond float's range (n·σ² ≥ 2²⁵⁴), and
        // such a map stays centered: the bounds of BatchNorm's training map (GroupNormPropertyTest.assertImage).
        int spatial = 1000;
        for (TensorLayout layout : TensorLayout.values()) {
            float[] x = new float[2 * spatial];
            for (int p = 0; p < spatial; p++) {
                for (int c = 0; c < 2; c++) {
                    float v = 1e37f + ((p + c) % 2 == 0 ? 3e37f : -3e37f);
                    x[layout == TensorLayout.NCHW ? c * spatial + p : p * 2 + c] = v;
                }
            }
            float[] y = new float[x.length];
            GroupNorm.builder(2, 1).build().apply(x, 0, y, 0, layout, 1, spatial);
            // In NCHW the group's planes are one run, its statistics a plane's (GroupNormPropertyTest).
            Oracle.Stats group = layout == TensorLayout.NCHW ? Oracle.planeMoments(x, 0, 1, 1, 2 * spatial)
                    : GroupNormPropertyTest.groupsOf(Oracle.moments(x, 0, spatial, 2), 1, spatial);
            double mu = group.mean()[0];
            double variance = group.variance(0);
            double s = 1 / Math.sqrt(variance + 1e-5f);
            for (int i = 0; i < x.length; i++) {
                double exact = (x[i] - mu) * s;
                double tol = group.trainingMapTolerance(0, x[i], s, exact, 1e-5f);
                assertTrue(Float.isFinite(y[i]) && Math.abs(y[i] - exact) <= tol,
                        layout + " at " + i + ": " + y[i] + ", expected " + exact);
            }
        }
    }

    @Test
    void aLayerGivesAFreshLayersBitsWhateverItsEarlierCalls() {
        // One layer's working map is refilled on every call, laid out over the period for NHWC only, its shift
        // rewritten where an image's map is folded (values near the largest float): no earlier call, of either
        // layout, folded or not, may leave anything a later call reads.
        int spatial = 40;
        for (int channels : new int[] {3, 5}) {
            for (int groups : new int[] {1, channels}) {
                float[] gamma = new float[channels];
                float[] beta = new float[channels];
                for (int c = 0; c < channels; c++) {
                    gamma[c] = 0.5f + c;
                    beta[c] = c - 1.5f;
                }
                GroupNorm layer = GroupNorm.builder(channels, groups).gamma(gamma).beta(beta).build();
                java.util.SplittableRandom random = new java.util.SplittableRandom(channels * 10 + groups);
                for (int call = 0; call < 12; call++) {
                    TensorLayout layout = random.nextBoolean() ? TensorLayout.NCHW : TensorLayout.NHWC;
                    boolean huge = random.nextInt(3) == 0;
                    float[] x = new float[channels * spatial];
                    for (int i = 0; i < x.length; i++) {
                        x[i] = huge ? 1e37f + (i % 2 == 0 ? 3e37f : -3e37f) : (float) random.nextGaussian(2, 1);
                    }
                    float[] y = new float[x.length];
                    float[] fresh = new float[x.length];
                    layer.apply(x, 0, y, 0, layout, 1, spatial);
                    GroupNorm.builder(channels, groups).gamma(gamma).beta(beta).build()
                            .apply(x, 0, fresh, 0, layout, 1, spatial);
                    assertArrayEquals(fresh, y, "C " + channels + ", groups " + groups + ", call " + call + " "
                            + layout + (huge ? " (folded)" : ""));
                }
            }
        }
    }

    @Test
    void nonFiniteValuesStayInTheirGroupOfTheirImage() {
        int c = 4;
        int spatial = 50;
        float[] x = NchwPropertyTest.gaussians(new java.util.SplittableRandom(3), 2 * c * spatial, 1, 2);
        GroupNorm gn = GroupNorm.builder(c, 2).build();
        float[] clean = new float[x.length];
        gn.apply(x, 0, clean, 0, TensorLayout.NCHW, 2, spatial);
        x[spatial + 7] = Float.NaN; // image 0, channel 1: group 0
        float[] y = new float[x.length];
        gn.apply(x, 0, y, 0, TensorLayout.NCHW, 2, spatial);
        for (int i = 0; i < x.length; i++) {
            if (i < 2 * spatial) {
                assertTrue(Float.isNaN(y[i]), "image 0 group 0 at " + i + ": " + y[i]);
            } else {
                assertEquals(clean[i], y[i], "outside the NaN's group, at " + i);
            }
        }
    }

    @Test
    void badArgumentsAreRejectedWithNothingWritten() {
        GroupNorm gn = GroupNorm.builder(4, 2).build();
        float[] x = new float[16];
        float[] y = NormalizePropertyTest.poisoned(16);
        float[] before = y.clone();
        TensorLayout nchw = TensorLayout.NCHW;
        assertThrows(NullPointerException.class, () -> gn.apply(null, 0, y, 0, nchw, 1, 4));
        assertThrows(NullPointerException.class, () -> gn.apply(x, 0, null, 0, nchw, 1, 4));
        assertThrows(NullPointerException.class, () -> gn.apply(x, 0, y, 0, null, 1, 4));
        assertThrows(NullPointerException.class, () -> gn.apply(x, 0, y, 0, nchw, 1, 4, null));
        assertThrows(IndexOutOfBoundsException.class, () -> gn.apply(x, -1, y, 0, nchw, 1, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> gn.apply(x, 1, y, 0, nchw, 1, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> gn.apply(x, 0, y, 2, TensorLayout.NHWC, 2, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> gn.apply(x, 0, y, 0, nchw, 1 << 20, 1 << 20));
        assertThrows(IllegalArgumentException.class, () -> gn.apply(x, 0, y, 0, nchw, -1, 4));
        assertThrows(IllegalArgumentException.class, () -> gn.apply(x, 0, y, 0, nchw, 1, -4));
        assertThrows(IllegalArgumentException.class, () -> gn.apply(y, 0, y, 1, nchw, 1, 2)); // partial overlap
        assertThrows(NullPointerException.class, () -> gn.apply(x, 0, y, 0, null));
        assertThrows(IllegalArgumentException.class, () -> gn.apply(x, 0, y, 0, TensorShape.nchw(1, 2, 4)));
        assertArrayEquals(before, y, "a call that threw wrote y");
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class,
                () -> gn.apply(x, 0, new float[15], 0, nchw, 1, 4));
        assertTrue(e.getMessage().contains("channels 4"), e.getMessage());
    }

    @Test
    void badParametersAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> GroupNorm.builder(0, 1));
        assertThrows(IllegalArgumentException.class, () -> GroupNorm.instanceNorm(-3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GroupNorm.builder(6, 4));
        assertTrue(e.getMessage().contains("groups") && e.getMessage().contains("6"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GroupNorm.builder(6, 0));
        assertThrows(IllegalArgumentException.class, () -> GroupNorm.builder(6, 12));
        assertThrows(IllegalArgumentException.class, () -> GroupNorm.builder(2, 1).epsilon(0f));
        assertThrows(IllegalArgumentException.class, () -> GroupNorm.builder(2, 1).gamma(new float[3]));
        assertThrows(IllegalArgumentException.class,
                () -> GroupNorm.builder(2, 1).beta(new float[] {0f, Float.NaN}));
        assertThrows(NullPointerException.class, () -> GroupNorm.builder(2, 2).gamma(null));
        // γ/√ε overflows float: a constant group would give an infinite scale (reliability issue, D5).
        GroupNormBuilder b = GroupNorm.builder(2, 1).gamma(new float[] {1f, 3e38f}).epsilon(1e-5f);
        e = assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(e.getMessage().contains("gamma[1]") && e.getMessage().contains("group variance of 0"),
                e.getMessage());
        b.epsilon(1f).build(); // 3e38/√1 is finite
    }

    @Test
    void layersCopyTheirParametersAndEmptyTensorsWriteNothing() {
        float[] gamma = {1f, 2f};
        GroupNorm gn = GroupNorm.instanceNorm(2).gamma(gamma).build();
        gamma[0] = 99f;
        assertEquals(1f, gn.gamma()[0]);
        gn.gamma()[1] = 99f;
        assertEquals(2f, gn.gamma()[1]);
        assertArrayEquals(new float[2], gn.beta());
        float[] y = NormalizePropertyTest.poisoned(4);
        gn.apply(new float[0], 0, y, 0, TensorLayout.NHWC, 0, 2);
        gn.apply(new float[0], 0, y, 0, TensorLayout.NCHW, 3, 0);
        assertTrue(Arrays.equals(NormalizePropertyTest.poisoned(4), y));
        assertEquals("GroupNorm[channels=2, groups=2, epsilon=1.0E-5]", gn.toString());
        assertFalse(gn.toString().isEmpty());
    }

    @Test
    void segmentsGiveTheArraysBits() {
        // NHWC images of 20000 rows × 64 channels (5 MiB each: their statistics merge slices) and small ones.
        for (int[] shape : new int[][] {{2, 20_000, 64}, {7, 49, 12}}) {
            int n = shape[0];
            int spatial = shape[1];
            int c = shape[2];
            float[] x = NchwPropertyTest.gaussians(new java.util.SplittableRandom(c), n * spatial * c, 50, 4);
            GroupNorm gn = GroupNorm.builder(c, 4).gamma(NchwPropertyTest.gaussians(new java.util.SplittableRandom(1),
                    c, 1, 0.3)).build();
            float[] expected = new float[x.length];
            gn.apply(x, 0, expected, 0, TensorLayout.NHWC, n, spatial);
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                java.lang.foreign.MemorySegment xs = arena.allocate((long) x.length * Float.BYTES, 64);
                java.lang.foreign.MemorySegment ys = arena.allocate((long) x.length * Float.BYTES, 64);
                java.lang.foreign.MemorySegment.copy(x, 0, xs, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, x.length);
                gn.apply(xs, ys, n, spatial);
                assertArrayEquals(expected, ys.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT), "native " + c);
                // One over an array at an offset, one native, either way round: each image found at its first row.
                float[] padded = new float[5 + x.length];
                System.arraycopy(x, 0, padded, 5, x.length);
                java.lang.foreign.MemorySegment heapX = java.lang.foreign.MemorySegment.ofArray(padded)
                        .asSlice(5L * Float.BYTES);
                java.lang.foreign.MemorySegment mixed = arena.allocate((long) x.length * Float.BYTES, 64);
                gn.apply(heapX, mixed, n, spatial);
                assertArrayEquals(expected, mixed.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT), "mixed " + c);
                float[] paddedY = new float[3 + x.length];
                gn.apply(xs, java.lang.foreign.MemorySegment.ofArray(paddedY).asSlice(3L * Float.BYTES), n, spatial);
                assertArrayEquals(expected, java.util.Arrays.copyOfRange(paddedY, 3, paddedY.length),
                        "native into an array at an offset " + c);
                gn.apply(xs, xs, n, spatial, Parallelism.commonPool());
                assertArrayEquals(expected, xs.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT), "in place " + c);
            }
            float[] heap = new float[x.length];
            gn.apply(java.lang.foreign.MemorySegment.ofArray(x), java.lang.foreign.MemorySegment.ofArray(heap), n,
                    spatial);
            assertArrayEquals(expected, heap, "heap " + c);
        }
        GroupNorm gn = GroupNorm.builder(4, 2).build();
        float[] y = NormalizePropertyTest.poisoned(16);
        java.lang.foreign.MemorySegment ys = java.lang.foreign.MemorySegment.ofArray(y);
        java.lang.foreign.MemorySegment xs = java.lang.foreign.MemorySegment.ofArray(new float[16]);
        assertThrows(IndexOutOfBoundsException.class, () -> gn.apply(xs, ys, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> gn.apply(xs, ys, -1, 2));
        assertThrows(IllegalArgumentException.class, () -> gn.apply(xs, ys.asReadOnly(), 2, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> gn.apply(xs, ys, Long.MAX_VALUE, 2));
        assertThrows(NullPointerException.class, () -> gn.apply(xs, ys, 2, 2, null));
        // A null segment is named before n or spatial here (the array overloads check n first).
        assertThrows(NullPointerException.class, () -> gn.apply(null, ys, -1, 2));
        assertThrows(NullPointerException.class, () -> gn.apply(xs, null, 2, -1));
        assertArrayEquals(NormalizePropertyTest.poisoned(16), y, "a call that threw wrote y");
    }

    /**
     * NHWC segments over threads: 16 images of 32×32 positions and 64 channels (2²⁰ floats, where a call starts to
     * spread; four images per task) give the sequential arrays' bits at 1 to 7 threads, on shared native segments
     * (the executor must have been used) and on heap segments; a confined segment keeps the call on its thread (a
     * helper touching it would throw {@link WrongThreadException}, and the executor must not be used).
     */
    @Test
    void nhwcSegmentsSpreadImagesOverThreads() throws Exception {
        int n = 16;
        int spatial = 32 * 32;
        int c = 64;
        float[] x = NchwPropertyTest.gaussians(new java.util.SplittableRandom(9), n * spatial * c, -30, 2);
        GroupNorm gn = GroupNorm.builder(c, 8).gamma(NchwPropertyTest.gaussians(new java.util.SplittableRandom(2),
                c, 1, 0.3)).build();
        float[] expected = new float[x.length];
        gn.apply(x, 0, expected, 0, TensorLayout.NHWC, n, spatial);
        long bytes = (long) x.length * Float.BYTES;
        try (java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(6)) {
            for (int threads : new int[] {1, 2, 3, 7}) {
                java.util.concurrent.atomic.AtomicInteger submitted = new java.util.concurrent.atomic.AtomicInteger();
                Parallelism p = Parallelism.of(task -> {
                    submitted.incrementAndGet();
                    pool.execute(task);
                }, threads);
                try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
                    java.lang.foreign.MemorySegment xs = arena.allocate(bytes, 64);
                    java.lang.foreign.MemorySegment ys = arena.allocate(bytes, 64);
                    java.lang.foreign.MemorySegment.copy(x, 0, xs, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0,
                            x.length);
                    gn.apply(xs, ys, n, spatial, p);
                    assertArrayEquals(expected, ys.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT),
                            threads + " threads, native");
                    gn.apply(xs, xs, TensorLayout.NHWC, n, spatial, p);
                    assertArrayEquals(expected, xs.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT),
                            threads + " threads, native, in place");
                }
                assertEquals(threads > 1, submitted.getAndSet(0) > 0, threads + " threads: executor used, native");
                float[] heap = new float[x.length];
                gn.apply(java.lang.foreign.MemorySegment.ofArray(x), java.lang.foreign.MemorySegment.ofArray(heap), n,
                        spatial, p);
                assertArrayEquals(expected, heap, threads + " threads, heap");
                assertEquals(threads > 1, submitted.get() > 0, threads + " threads: executor used, heap");
            }
            java.util.concurrent.atomic.AtomicInteger submitted = new java.util.concurrent.atomic.AtomicInteger();
            Parallelism p = Parallelism.of(task -> {
                submitted.incrementAndGet();
                pool.execute(task);
            }, 3);
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                java.lang.foreign.MemorySegment xs = arena.allocate(bytes, 64);
                java.lang.foreign.MemorySegment.copy(x, 0, xs, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, x.length);
                gn.apply(xs, xs, n, spatial, p);
                assertArrayEquals(expected, xs.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT), "confined");
            }
            assertEquals(0, submitted.get(), "a confined segment's call went to the executor");
        }
        // Empty images: valid no-ops in both layouts, even with more images than an int holds.
        java.lang.foreign.MemorySegment none = java.lang.foreign.MemorySegment.ofArray(new float[0]);
        float[] poisoned = NormalizePropertyTest.poisoned(8);
        java.lang.foreign.MemorySegment ys = java.lang.foreign.MemorySegment.ofArray(poisoned);
        for (TensorLayout layout : TensorLayout.values()) {
            gn.apply(none, none, layout, 3_000_000_000L, 0, Parallelism.commonPool());
            gn.apply(none, ys, layout, 5, 0);
        }
        assertArrayEquals(NormalizePropertyTest.poisoned(8), poisoned, "an empty tensor wrote y");
    }

    @Test
    void nchwSegmentsGiveTheArraysBits() {
        // NCHW images of 64 planes of 20000 (5 MiB each, staged whole), small ones, and instance norm on 17 channels.
        for (int[] shape : new int[][] {{2, 20_000, 64, 4}, {7, 49, 12, 3}, {3, 1000, 17, 17}}) {
            int n = shape[0];
            int spatial = shape[1];
            int c = shape[2];
            float[] x = NchwPropertyTest.gaussians(new java.util.SplittableRandom(c), n * spatial * c, 50, 4);
            GroupNorm gn = GroupNorm.builder(c, shape[3]).gamma(NchwPropertyTest.gaussians(
                    new java.util.SplittableRandom(1), c, 1, 0.3)).build();
            float[] expected = new float[x.length];
            gn.apply(x, 0, expected, 0, TensorLayout.NCHW, n, spatial);
            float[] nhwc = new float[x.length];
            gn.apply(x, 0, nhwc, 0, TensorLayout.NHWC, n, spatial);
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                java.lang.foreign.MemorySegment xs = arena.allocate((long) x.length * Float.BYTES, 64);
                java.lang.foreign.MemorySegment ys = arena.allocate((long) x.length * Float.BYTES, 64);
                java.lang.foreign.MemorySegment.copy(x, 0, xs, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, x.length);
                gn.apply(xs, ys, TensorLayout.NCHW, n, spatial);
                assertArrayEquals(expected, ys.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT), "native " + c);
                gn.apply(xs, ys, TensorLayout.NHWC, n, spatial);
                assertArrayEquals(nhwc, ys.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT), "NHWC " + c);
                gn.apply(xs, xs, TensorLayout.NCHW, n, spatial, Parallelism.commonPool());
                assertArrayEquals(expected, xs.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT), "in place " + c);
            }
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared();
                 java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3)) {
                // Shared: images spread over threads, each staged through its thread's buffer.
                java.lang.foreign.MemorySegment xs = arena.allocate((long) x.length * Float.BYTES, 64);
                java.lang.foreign.MemorySegment.copy(x, 0, xs, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, x.length);
                gn.apply(xs, xs, TensorLayout.NCHW, n, spatial, Parallelism.of(pool, 3));
                assertArrayEquals(expected, xs.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT), "shared " + c);
            }
            float[] heap = new float[x.length];
            gn.apply(java.lang.foreign.MemorySegment.ofArray(x), java.lang.foreign.MemorySegment.ofArray(heap),
                    TensorLayout.NCHW, n, spatial);
            assertArrayEquals(expected, heap, "heap " + c);
            java.lang.foreign.MemorySegment ints = java.lang.foreign.MemorySegment.ofArray(new int[x.length]);
            java.lang.foreign.MemorySegment.copy(x, 0, ints, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, x.length);
            gn.apply(ints.asReadOnly(), java.lang.foreign.MemorySegment.ofArray(heap), TensorLayout.NCHW, n,
                    spatial);
            assertArrayEquals(expected, heap, "read-only int[] " + c);
        }
        GroupNorm gn = GroupNorm.builder(4, 2).build();
        float[] y = NormalizePropertyTest.poisoned(16);
        java.lang.foreign.MemorySegment ys = java.lang.foreign.MemorySegment.ofArray(y);
        java.lang.foreign.MemorySegment xs = java.lang.foreign.MemorySegment.ofArray(new float[16]);
        TensorLayout nchw = TensorLayout.NCHW;
        assertThrows(IndexOutOfBoundsException.class, () -> gn.apply(xs, ys, nchw, 2, 3));
        assertThrows(IllegalArgumentException.class, () -> gn.apply(xs, ys, nchw, -1, 2));
        assertThrows(IllegalArgumentException.class, () -> gn.apply(xs, ys, nchw, 1, -2));
        assertThrows(IllegalArgumentException.class, () -> gn.apply(xs, ys.asReadOnly(), nchw, 2, 2));
        assertThrows(IllegalArgumentException.class, () -> gn.apply(ys, ys.asSlice(4), nchw, 1, 2));
        assertThrows(IndexOutOfBoundsException.class, () -> gn.apply(xs, ys, nchw, Long.MAX_VALUE, 2));
        assertThrows(IllegalArgumentException.class, () -> gn.apply(xs, ys, nchw, 1, Integer.MAX_VALUE / 2));
        assertThrows(NullPointerException.class, () -> gn.apply(xs, ys, null, 2, 2));
        assertThrows(NullPointerException.class, () -> gn.apply(xs, ys, nchw, 2, 2, null));
        assertThrows(NullPointerException.class, () -> gn.apply(null, ys, nchw, 2, 2));
        assertThrows(NullPointerException.class, () -> gn.apply(null, ys, nchw, -1, 2));
        assertThrows(NullPointerException.class, () -> gn.apply(xs, null, nchw, 1, Integer.MAX_VALUE / 2));
        assertArrayEquals(NormalizePropertyTest.poisoned(16), y, "a call that threw wrote y");
    }
}
