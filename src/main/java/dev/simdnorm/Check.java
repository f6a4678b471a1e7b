package dev.simdnorm;

/** Argument checks shared by the public API; each message names the argument. */
final class Check {

    private Check() {
    }

    static <T> T notNull(T value, String name) {
        if (value == null) {
            throw new NullPointerException(name + " must not be null");
        }
        return value;
    }

    static int channels(int channels) {
        if (channels <= 0) {
            throw new IllegalArgumentException("channels must be > 0, got " + channels);
        }
        return channels;
    }

    /**
     * Checks that {@code array[offset, offset + rows·channels)} lies inside the array. The product is taken in long,
     * so an int overflow is reported as out of range, never wrapped.
     */
    static void range(float[] array, String name, int offset, int rows, int channels) {
        notNull(array, name);
        if (offset < 0) {
            throw new IndexOutOfBoundsException(name + "Offset must be >= 0, got " + offset);
        }
        if (rows < 0) {
            throw new IllegalArgumentException("rows must be >= 0, got " + rows);
        }
        long end = offset + (long) rows * channels;
        if (end > array.length) {
            throw new IndexOutOfBoundsException(name + ": offset " + offset + " + rows " + rows + " × channels "
                    + channels + " = " + end + " exceeds " + name + ".length " + array.length);
        }
    }

    static void positiveRows(int rows) {
        if (rows <= 0) {
            throw new IllegalArgumentException("rows must be > 0 for statistics, got " + rows);
        }
    }

    /** x and y may be the same range (in place) or disjoint; a partial overlap would read values already written. */
    static void noPartialOverlap(float[] x, int xOffset, float[] y, int yOffset, int length) {
        noPartialOverlap(x, "x", xOffset, y, "y", yOffset, length);
    }

    /** As {@link #noPartialOverlap(float[], int, float[], int, int)}, for an input and an output of other names. */
    static void noPartialOverlap(float[] in, String inName, int inOffset, float[] out, String outName, int outOffset,
                                 int length) {
        if (in == out && inOffset != outOffset && length > 0) {
            long gap = Math.abs((long) inOffset - outOffset);
            if (gap < length) {
                throw new IllegalArgumentException(inName + " and " + outName
                        + " overlap without being the same range (" + inName + "Offset " + inOffset + ", " + outName
                        + "Offset " + outOffset + ", length " + length + "); use the same offset for in place");
            }
        }
    }

    static float[] copyOfLength(float[] values, String name, int channels) {
        notNull(values, name);
        if (values.length != channels) {
            throw new IllegalArgumentException(name + ".length must be " + channels + " (channels), got "
                    + values.length);
        }
        return values.clone();
    }

    static float[] finite(float[] values, String name) {
        for (int c = 0; c < values.length; c++) {
            if (!Float.isFinite(values[c])) {
                throw new IllegalArgumentException(name + "[" + c + "] must be finite, got " + values[c]);
            }
        }
        return values;
    }

    static float[] nonNegativeFinite(float[] values, String name) {
        finite(values, name);
        for (int c = 0; c < values.length; c++) {
            if (values[c] < 0f) {
                throw new IllegalArgumentException(name + "[" + c + "] must be >= 0 (a variance), got " + values[c]);
            }
        }
        return values;
    }

    static float epsilon(float epsilon) {
        if (!(epsilon > 0f) || !Float.isFinite(epsilon)) {
            throw new IllegalArgumentException("epsilon must be finite and > 0, got " + epsilon);
        }
        return epsilon;
    }

    static float momentum(float momentum) {
        if (!(momentum >= 0f && momentum <= 1f)) {
            throw new IllegalArgumentException("momentum must be in [0, 1], got " + momentum);
        }
        return momentum;
    }
}
