package dev.simdnorm.internal;

import java.util.function.IntFunction;
import java.util.function.ToIntFunction;

/**
 * A call's working arrays for a lane period, kept per thread: made at a thread's first call for at least
 * {@code first}, and again only for a period longer than any before on that thread, so that calls allocate nothing
 * once a thread has seen its widest C. A thread keeps the arrays of its widest period.
 *
 * @param <S> the arrays
 */
final class ThreadScratch<S> {

    private final IntFunction<S> make;
    private final ToIntFunction<S> period;
    private final ThreadLocal<S> local;

    /**
     * @param first  the period of a thread's first arrays
     * @param make   arrays for a period
     * @param period the longest period arrays hold
     */
    ThreadScratch(int first, IntFunction<S> make, ToIntFunction<S> period) {
        this.make = make;
        this.period = period;
        this.local = ThreadLocal.withInitial(() -> make.apply(first));
    }

    /** This thread's arrays, for a period of at most {@code period}. */
    S of(int period) {
        S s = local.get();
        if (this.period.applyAsInt(s) < period) {
            s = make.apply(period);
            local.set(s);
        }
        return s;
    }
}
