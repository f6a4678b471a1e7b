package dev.simdnorm.prop;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The source of every random decision a generator makes. Fresh, it draws from a seeded random and records each draw;
 * replaying, it returns recorded draws (clamped to the bound asked for) and 0 once they run out. Shrinking edits the
 * recorded list, so any generator shrinks without code of its own (the idea of Hypothesis, MacIver et al. 2019),
 * provided draw 0 means "simplest".
 */
public final class Choices {

    private final SplittableRandom random;
    private final long[] replay;
    private final List<Long> drawn = new ArrayList<>();

    private Choices(SplittableRandom random, long[] replay) {
        this.random = random;
        this.replay = replay;
    }

    static Choices fresh(long seed) {
        return new Choices(new SplittableRandom(seed), null);
    }

    static Choices replay(long[] recorded) {
        return new Choices(null, recorded);
    }

    /** A value in {@code [0, max]}; smaller is simpler. */
    public long draw(long max) {
        long v;
        if (replay == null) {
            v = max == Long.MAX_VALUE ? random.nextLong() & Long.MAX_VALUE : random.nextLong(max + 1);
        } else {
            int i = drawn.size();
            v = i < replay.length ? Math.min(replay[i], max) : 0;
        }
        drawn.add(v);
        return v;
    }

    /** An int in {@code [min, max]}; closer to min is simpler. */
    public int between(int min, int max) {
        return (int) (min + draw((long) max - min));
    }

    /** One of the given values; earlier ones are simpler. */
    @SafeVarargs
    public final <T> T oneOf(T... values) {
        return values[(int) draw(values.length - 1)];
    }

    /** True with probability about 1/n when fresh; false is simpler. */
    public boolean oneIn(int n) {
        return draw(n - 1) == n - 1;
    }

    /** A seed for bulk data: bulk data comes from a random seeded here, so it shrinks as one choice. */
    public long seed() {
        return draw(Long.MAX_VALUE);
    }

    long[] recorded() {
        long[] out = new long[drawn.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = drawn.get(i);
        }
        return out;
    }
}
