package dev.simdnorm.prop;

/** Makes a test case from choices. Draws of 0 must lead toward the simplest case, so that shrinking works. */
@FunctionalInterface
public interface Gen<T> {
    /** Builds one case. */
    T generate(Choices choices);
}
