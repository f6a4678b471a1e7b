package dev.simdnorm;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The statistics keep their working arrays per thread. A call after a call with another channel count (a longer or
 * shorter period, padded or not) must give the same bits as the same call on a thread that never ran one.
 */
class ScratchReuseTest {

    /** Channel counts whose periods differ in length and padding (1000 and 2000 are not multiples of 16). */
    private static final int[] CHANNELS = {1000, 3, 2000, 17, 1, 4096, 100, 5000, 1000};

    @Test
    void aCallGivesTheSameBitsWhateverRanBeforeItOnTheThread() throws Exception {
        for (int i = 0; i < CHANNELS.length; i++) {
            int channels = CHANNELS[i];
            int rows = 300 + i;
            float[] x = data(channels * rows, i);
            Moments afterOthers = Moments.of(x, 0, rows, channels);
            // A thread of its own has fresh scratch.
            Moments fresh = CompletableFuture.supplyAsync(() -> Moments.of(x, 0, rows, channels),
                    r -> Thread.ofPlatform().start(r)).get();
            for (int c = 0; c < channels; c++) {
                assertEquals(Double.doubleToLongBits(fresh.meanAsDouble(c)),
                        Double.doubleToLongBits(afterOthers.meanAsDouble(c)), "C = " + channels + ", mean " + c);
                assertEquals(Double.doubleToLongBits(fresh.varianceAsDouble(c)),
                        Double.doubleToLongBits(afterOthers.varianceAsDouble(c)), "C = " + channels + ", var " + c);
            }
        }
    }

    private static float[] data(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (1e3 + random.nextGaussian());
        }
        return x;
    }
}
