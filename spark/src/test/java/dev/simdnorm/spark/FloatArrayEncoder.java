package dev.simdnorm.spark;

import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.catalyst.JavaTypeInference;
import org.apache.spark.sql.catalyst.encoders.ExpressionEncoder;

/**
 * Spark's encoder of {@code float[]} as {@code array<float>}, the one Scala derives for {@code Array[Float]}: it
 * copies the values in one bulk copy. Java's public {@code Encoders} has none; the row encoder would box every float.
 * For making the benchmark's data only: reading, it copies an array's raw slots, where a null element would read as 0.
 */
final class FloatArrayEncoder {

    private FloatArrayEncoder() {
    }

    static Encoder<float[]> encoder() {
        return ExpressionEncoder.apply(JavaTypeInference.encoderFor(float[].class));
    }
}
