package dev.simdnorm.prop;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A small seeded property-based test runner on JUnit Jupiter (we do not use jqwik; see docs/testing.md).
 *
 * <p>{@link #check} runs a property on many generated cases. On the first failure it shrinks the case by editing its
 * recorded choices (deleting runs, lowering values) while it still fails, and throws an {@link AssertionError} that
 * prints the seed, the shrunk case and the command that replays it.
 *
 * <p>System properties: {@code simdnorm.tries} (default 200) sets the tries per property; {@code simdnorm.seed}
 * replays a run.
 */
public final class Property {

    /** The tries per property that {@code -Dsimdnorm.tries} is measured against. */
    private static final int DEFAULT_TRIES = 200;
    private static final int SHRINK_BUDGET = 400;

    private Property() {
    }

    /** Runs the property on 200 cases, scaled by {@code -Dsimdnorm.tries}; see the class comment. */
    public static <T> void check(String name, Gen<T> gen, Consumer<T> property) {
        check(name, DEFAULT_TRIES, gen, property);
    }

    /**
     * Runs the property on {@code tries} cases, scaled by {@code -Dsimdnorm.tries}/200 (for costly properties that
     * run fewer cases by default).
     */
    public static <T> void check(String name, int tries, Gen<T> gen, Consumer<T> property) {
        long seed = seed();
        long scaled = (long) tries * Integer.getInteger("simdnorm.tries", DEFAULT_TRIES) / DEFAULT_TRIES;
        int n = (int) Math.max(1, Math.min(Integer.MAX_VALUE, scaled));
        SplittableRandom seeds = new SplittableRandom(seed);
        for (int t = 0; t < n; t++) {
            Choices choices = Choices.fresh(seeds.nextLong());
            T value = gen.generate(choices);
            Throwable failure = failure(property, value);
            if (failure != null) {
                throw report(name, seed, t, gen, property, choices.recorded(), value, failure);
            }
        }
    }

    private static long seed() {
        String s = System.getProperty("simdnorm.seed");
        if (s != null && !s.isBlank()) {
            return Long.parseUnsignedLong(s.trim().replaceFirst("^0x", ""), 16);
        }
        return new SplittableRandom().nextLong();
    }

    private static <T> Throwable failure(Consumer<T> property, T value) {
        try {
            property.accept(value);
            return null;
        } catch (AssertionError | RuntimeException e) {
            return e;
        }
    }

    private static <T> AssertionError report(String name, long seed, int tryIndex, Gen<T> gen, Consumer<T> property,
                                             long[] recorded, T original, Throwable originalFailure) {
        Shrunk<T> s = shrink(gen, property, recorded, original, originalFailure);
        String caller = caller();
        String msg = "Property '" + name + "' failed on try " + (tryIndex + 1) + " (seed "
                + Long.toHexString(seed) + ")\n"
                + "  shrunk in " + s.steps + " steps to: " + s.value + "\n"
                + "  failure: " + s.failure + "\n"
                + "  replay: ./mvnw verify -Dtest='" + caller + "' -Dsimdnorm.seed=" + Long.toHexString(seed);
        AssertionError e = new AssertionError(msg, s.failure);
        return e;
    }

    private record Shrunk<T>(T value, Throwable failure, int steps) {
    }

    /** Greedy shrinking over the choice list: delete runs of 8, 4, 2, 1 draws; then lower each draw. */
    private static <T> Shrunk<T> shrink(Gen<T> gen, Consumer<T> property, long[] recorded, T value,
                                        Throwable failure) {
        Attempt<T> best = new Attempt<>(recorded, value, failure);
        int budget = SHRINK_BUDGET;
        int steps = 0;
        boolean improved = true;
        while (improved && budget > 0) {
            improved = false;
            for (int run = 8; run >= 1 && budget > 0; run /= 2) {
                for (int i = 0; i + run <= best.choices.length && budget > 0; ) {
                    long[] b = best.choices;
                    long[] candidate = new long[b.length - run];
                    System.arraycopy(b, 0, candidate, 0, i);
                    System.arraycopy(b, i + run, candidate, i, b.length - i - run);
                    budget--;
                    Attempt<T> a = attempt(gen, property, candidate);
                    if (a != null) {
                        best = a;
                        steps++;
                        improved = true;
                    } else {
                        i++;
                    }
                }
            }
            for (int i = 0; i < best.choices.length && budget > 0; i++) {
                long current = best.choices[i];
                for (long lower : new long[] {0, current / 2, current - 1}) {
                    if (lower < 0 || lower >= current || budget <= 0) {
                        continue;
                    }
                    long[] candidate = best.choices.clone();
                    candidate[i] = lower;
                    budget--;
                    Attempt<T> a = attempt(gen, property, candidate);
                    if (a != null) {
                        best = a;
                        steps++;
                        improved = true;
                        break;
                    }
                }
            }
        }
        return new Shrunk<>(best.value, best.failure, steps);
    }

    private record Attempt<T>(long[] choices, T value, Throwable failure) {
    }

    private static <T> Attempt<T> attempt(Gen<T> gen, Consumer<T> property, long[] candidate) {
        Choices replay = Choices.replay(candidate);
        T value;
        try {
            value = gen.generate(replay);
        } catch (RuntimeException e) {
            return null; // the edit made an invalid case; not a failure of the property
        }
        Throwable f = failure(property, value);
        if (f == null) {
            return null;
        }
        long[] used = replay.recorded();
        return Arrays.equals(used, candidate) || used.length <= candidate.length ? new Attempt<>(used, value, f) : null;
    }

    /** The test class and method that called check, for the replay command. */
    private static String caller() {
        for (StackTraceElement e : Thread.currentThread().getStackTrace()) {
            String c = e.getClassName();
            if (!c.startsWith("dev.simdnorm.prop.") && c.startsWith("dev.simdnorm.") && c.endsWith("Test")
                    && !e.getMethodName().startsWith("lambda$")) {
                return c.substring(c.lastIndexOf('.') + 1) + "#" + e.getMethodName();
            }
        }
        return "*";
    }
}
