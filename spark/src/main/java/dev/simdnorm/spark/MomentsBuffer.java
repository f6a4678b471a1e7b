package dev.simdnorm.spark;

import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serial;
import java.io.Serializable;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.spark.TaskContext;

import dev.simdnorm.Moments;

/**
 * The aggregation buffer of {@link MomentsAggregator}, opaque to its users: the moments of a group's values, kept
 * per input partition so that they are merged in partition order at the end, whatever order Spark merges buffers in.
 * Serialized by Java serialization, as the moments' binary form ({@link Moments#toBytes()}) of each partition. Not
 * thread-safe; Spark gives each task its own.
 */
public final class MomentsBuffer implements Serializable {

    @Serial
    private static final long serialVersionUID = 1L;

    /** C. */
    private final int channels;
    /** Finished partials: input partition → the binary form of its moments. */
    private final TreeMap<Integer, byte[]> partials = new TreeMap<>();
    /** The records of the current task, not yet reduced to moments; null before the first one. */
    private transient MomentsAccumulator current;
    private transient int currentPartition;
    private transient long records;

    MomentsBuffer(int channels) {
        this.channels = channels;
    }

    /** Adds a record: a Float[] of NHWC values (nulls rejected), or a byte[] of little-endian float32. */
    void add(Object tensor) {
        if (tensor == null) {
            records++; // a record all the same, as SparkMoments counts it: the indices in errors agree
            return;
        }
        if (current == null) {
            currentPartition = TaskContext.getPartitionId();
            current = new MomentsAccumulator("the aggregate's input", channels, currentPartition);
        }
        long record = records++;
        if (tensor instanceof Float[] x) {
            int at = current.reserve(x.length, record);
            float[] batch = current.batch();
            for (int i = 0; i < x.length; i++) {
                Float v = x[i];
                if (v == null) {
                    throw new MalformedTensorException("the aggregate's input", currentPartition, record,
                            "a null element at index " + i);
                }
                batch[at + i] = v;
            }
        } else {
            byte[] bytes = (byte[]) tensor;
            if (bytes.length % Float.BYTES != 0) {
                throw new MalformedTensorException("the aggregate's input", currentPartition, record, bytes.length
                        + " bytes, not a whole number of float32 values");
            }
            int floats = bytes.length / Float.BYTES;
            int at = current.reserve(floats, record);
            MemorySegment.copy(MemorySegment.ofArray(bytes), TensorColumn.LITTLE_ENDIAN_FLOAT, 0, current.batch(), at, floats);
        }
    }

    /** Adds the other buffer's partials; for a partition both hold (a spill), this one's come first. */
    MomentsBuffer merge(MomentsBuffer other) {
        settle();
        other.settle();
        for (Map.Entry<Integer, byte[]> e : other.partials.entrySet()) {
            partials.merge(e.getKey(), e.getValue(), MomentsBuffer::mergedBytes);
        }
        return this;
    }

    /** The moments of everything added, merged in partition order in {@link MergeOrder}'s tree; null if none. */
    Moments result() {
        settle();
        List<Moments> inOrder = new ArrayList<>(partials.size());
        for (byte[] bytes : partials.values()) {
            inOrder.add(Moments.fromBytes(bytes));
        }
        return MergeOrder.tree(inOrder);
    }

    /** Two partials of one partition, merged in the order given: this buffer's first. */
    private static byte[] mergedBytes(byte[] mine, byte[] theirs) {
        return Moments.fromBytes(mine).merge(Moments.fromBytes(theirs)).toBytes();
    }

    /** Moves the current task's records into the partials. */
    private void settle() {
        if (current == null) {
            return;
        }
        Moments m = current.result();
        current = null;
        if (m != null) {
            partials.merge(currentPartition, m.toBytes(), MomentsBuffer::mergedBytes);
        }
    }

    /**
     * Reduces the current task's records first: they are not serialized, their moments are.
     *
     * @param out the stream
     * @throws IOException if the stream fails
     */
    @Serial
    private void writeObject(ObjectOutputStream out) throws IOException {
        settle();
        out.defaultWriteObject();
    }
}
