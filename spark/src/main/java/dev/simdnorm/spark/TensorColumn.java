package dev.simdnorm.spark;

import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;

import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.expressions.UnsafeRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.Platform;

/**
 * A column of NHWC float32 tensors, one per record, as Spark stores it: {@code array<float>} or {@code binary} of
 * little-endian float32. It checks the column's type on the driver, once, and on the executors copies each record's
 * floats out of Spark's internal row into a float array, checking that the record holds whole rows of C channels.
 * Stateless after construction, so one instance is shared by every task that deserializes it.
 */
final class TensorColumn implements Serializable {

    /** float32 in little-endian order, the binary columns' layout. */
    static final ValueLayout.OfFloat LITTLE_ENDIAN_FLOAT =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final boolean NATIVE_LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    /**
     * Core's limit on channels: 2²⁸ (BatchNorm.builder, Moments), and below it 134,217,726, the most whose
     * {@code Moments.toBytes} fits in one array, which the aggregator and the partials of {@link SparkMoments} use.
     */
    static final int MAX_CHANNELS = (Integer.MAX_VALUE - 8 - 17) / 16;

    final String name;
    final int ordinal;
    final int channels;
    final boolean binary;
    /** Whether the array's type allows null elements, which then have to be looked for. */
    private final boolean elementsNullable;

    private TensorColumn(String name, int ordinal, int channels, boolean binary, boolean elementsNullable) {
        this.name = name;
        this.ordinal = ordinal;
        this.channels = channels;
        this.binary = binary;
        this.elementsNullable = elementsNullable;
    }

    /**
     * The column {@code name} of {@code schema}, found as Spark finds it ({@link #fieldIndex}).
     *
     * @param caseSensitive Spark's {@code spark.sql.caseSensitive} ({@link #caseSensitive})
     * @throws IllegalArgumentException if there is no such column, if it is neither {@code array<float>} nor
     *                                  {@code binary}, or if {@code channels} is not positive
     */
    static TensorColumn of(StructType schema, String name, int channels, boolean caseSensitive) {
        if (name == null) {
            throw new NullPointerException("column must not be null");
        }
        checkChannels(channels);
        int ordinal = fieldIndex(schema, name, caseSensitive);
        if (ordinal < 0) {
            throw new IllegalArgumentException("no column \"" + name + "\" in " + schema.simpleString());
        }
        StructField field = schema.fields()[ordinal];
        name = field.name();
        DataType type = field.dataType();
        if (type instanceof BinaryType) {
            return new TensorColumn(name, ordinal, channels, true, false);
        }
        if (type instanceof ArrayType array && array.elementType() instanceof FloatType) {
            return new TensorColumn(name, ordinal, channels, false, array.containsNull());
        }
        throw new IllegalArgumentException("column \"" + name + "\" must be array<float> or binary (little-endian "
                + "float32), got " + type.simpleString());
    }

    /**
     * The index of the field {@code name} in {@code schema}, or −1: the field of that exact name where Spark compares
     * names with their case, else (its default) the one field whose name equals it ignoring case, an exact match
     * included: with fields {@code x} and {@code X}, Spark's resolution calls {@code x} ambiguous, and so does this.
     *
     * @throws IllegalArgumentException if several fields have that exact name (after a join, say), or, without case,
     *                                  several equal it ignoring case: ambiguous, as Spark's own resolution says
     */
    static int fieldIndex(StructType schema, String name, boolean caseSensitive) {
        String[] names = schema.fieldNames();
        int exact = Arrays.asList(names).indexOf(name);
        if (exact >= 0 && Arrays.asList(names).lastIndexOf(name) != exact) {
            throw new IllegalArgumentException("column \"" + name + "\" is ambiguous: the schema has several columns of"
                    + " that name");
        }
        if (caseSensitive) {
            return exact;
        }
        int found = -1;
        for (int i = 0; i < names.length; i++) {
            if (names[i].equalsIgnoreCase(name)) {
                if (found >= 0) {
                    throw new IllegalArgumentException("column \"" + name + "\" is ambiguous: \"" + names[found]
                            + "\" and \"" + names[i] + "\" (spark.sql.caseSensitive is false)");
                }
                found = i;
            }
        }
        return found;
    }

    /** Whether the session compares column names with their case ({@code spark.sql.caseSensitive}). */
    static boolean caseSensitive(org.apache.spark.sql.SparkSession session) {
        return Boolean.parseBoolean(session.conf().get("spark.sql.caseSensitive", "false"));
    }

    /** Checks C against core's limits, on the driver, before any task runs. */
    static int checkChannels(int channels) {
        if (channels <= 0 || channels > MAX_CHANNELS) {
            throw new IllegalArgumentException("channels must be in [1, " + MAX_CHANNELS + "] (Moments.toBytes' limit),"
                    + " got " + channels);
        }
        return channels;
    }

    /** How exceptions name the column. */
    String source() {
        return "column \"" + name + "\"";
    }

    /** This column at another position, as after a projection that keeps only it. */
    TensorColumn at(int newOrdinal) {
        return new TensorColumn(name, newOrdinal, channels, binary, elementsNullable);
    }

    /**
     * The number of floats in the record's tensor, or −1 if the value is null.
     *
     * @throws MalformedTensorException if the length is not a whole number of rows of C channels
     */
    int length(InternalRow row, int partition, long record) {
        if (row.isNullAt(ordinal)) {
            return -1;
        }
        long floats;
        if (binary) {
            int bytes = binaryLength(row);
            if (bytes % Float.BYTES != 0) {
                throw new MalformedTensorException(source(), partition, record, bytes + " bytes, not a whole number of "
                        + "float32 values");
            }
            floats = bytes / Float.BYTES;
        } else {
            floats = row.getArray(ordinal).numElements();
        }
        if (floats % channels != 0) {
            throw new MalformedTensorException(source(), partition, record, floats + " floats, not a whole number of rows"
                    + " of " + channels + " channels");
        }
        return (int) floats;
    }

    /** A binary value's length in bytes, without copying it out of an {@link UnsafeRow}. */
    private int binaryLength(InternalRow row) {
        return row instanceof UnsafeRow unsafe ? (int) unsafe.getLong(ordinal) : row.getBinary(ordinal).length;
    }

    /**
     * Copies the record's floats, {@link #length} of them, into {@code into} from {@code at}.
     *
     * @throws MalformedTensorException if an element of the array is null
     */
    void read(InternalRow row, float[] into, int at, int partition, long record) {
        if (binary) {
            if (row instanceof UnsafeRow unsafe && NATIVE_LITTLE_ENDIAN) {
                // The value in the row's own memory (offset and size packed in its slot, as getBinary reads them):
                // one copy, not two; little-endian floats are native floats here.
                long offsetAndSize = unsafe.getLong(ordinal);
                Platform.copyMemory(unsafe.getBaseObject(), unsafe.getBaseOffset() + (offsetAndSize >> 32), into,
                        Platform.FLOAT_ARRAY_OFFSET + (long) at * 4, (int) offsetAndSize);
                return;
            }
            byte[] bytes = row.getBinary(ordinal);
            MemorySegment.copy(MemorySegment.ofArray(bytes), LITTLE_ENDIAN_FLOAT, 0, into, at,
                    bytes.length / Float.BYTES);
            return;
        }
        ArrayData array = row.getArray(ordinal);
        int n = array.numElements();
        if (elementsNullable) {
            for (int i = 0; i < n; i++) {
                if (array.isNullAt(i)) {
                    throw new MalformedTensorException(source(), partition, record, "a null element at index " + i);
                }
            }
        }
        if (array instanceof UnsafeArrayData unsafe) {
            // The elements follow the header (element count and null bits): one bulk copy, as toFloatArray() does.
            long from = unsafe.getBaseOffset() + UnsafeArrayData.calculateHeaderPortionInBytes(n);
            Platform.copyMemory(unsafe.getBaseObject(), from, into, Platform.FLOAT_ARRAY_OFFSET + (long) at * 4,
                    (long) n * 4);
        } else {
            for (int i = 0; i < n; i++) {
                into[at + i] = array.getFloat(i);
            }
        }
    }
}
