package dev.simdnorm;

import dev.simdnorm.prop.Property;
import dev.simdnorm.prop.TensorCase;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The binary form of {@link Moments}: the layout its Javadoc states, lossless round trips (non-finite statistics
 * included), merges after a round trip equal to merges before, and malformed forms rejected with the field named.
 */
class MomentsBytesTest {

    @Test
    void layoutIsTheDocumentedOne() {
        // Built here from the Javadoc: "SNMO", version 1, C, count, C means, C M2 values, little endian.
        Moments m = Moments.ofSums(7, new double[] {1.5, -2e300}, new double[] {0.25, 3e-320});
        ByteBuffer expected = ByteBuffer.allocate(17 + 32).order(ByteOrder.LITTLE_ENDIAN);
        expected.put((byte) 'S').put((byte) 'N').put((byte) 'M').put((byte) 'O').put((byte) 1).putInt(2).putLong(7);
        expected.putDouble(1.5).putDouble(-2e300).putDouble(0.25).putDouble(3e-320);
        assertArrayEquals(expected.array(), m.toBytes());
    }

    @Test
    void roundTripsKeepEveryBit() {
        Property.check("fromBytes(toBytes(m)) holds the same count, means and M2, bit for bit", TensorCase.gen(20_000),
                t -> {
                    Moments m = Moments.of(t.x(), t.offset(), t.rows(), t.channels());
                    byte[] bytes = m.toBytes();
                    assertEquals(17 + 16 * t.channels(), bytes.length);
                    Moments back = Moments.fromBytes(bytes);
                    assertEquals(m.count(), back.count());
                    assertEquals(m.channels(), back.channels());
                    for (int c = 0; c < m.channels(); c++) {
                        // Raw bits: NaN payloads and signed zeros too (SPECIALS data give non-finite moments).
                        assertEquals(Double.doubleToRawLongBits(m.meanAsDouble(c)),
                                Double.doubleToRawLongBits(back.meanAsDouble(c)), "mean of channel " + c);
                        assertEquals(Double.doubleToRawLongBits(m.varianceAsDouble(c)),
                                Double.doubleToRawLongBits(back.varianceAsDouble(c)), "variance of channel " + c);
                    }
                    assertArrayEquals(bytes, back.toBytes());
                    assertArrayEquals(m.merge(m).toBytes(), back.merge(Moments.fromBytes(bytes)).toBytes(),
                            "a merge after the round trip");
                });
    }

    @Test
    void malformedFormsAreRejected() {
        byte[] good = Moments.ofSums(3, new double[] {1, 2}, new double[] {4, 5}).toBytes();
        assertThrows(NullPointerException.class, () -> Moments.fromBytes(null));
        assertMessage(new byte[16], "header");
        byte[] magic = good.clone();
        magic[0] = 'X';
        assertMessage(magic, "magic");
        byte[] version = good.clone();
        version[4] = 2;
        assertMessage(version, "version 2");
        assertMessage(java.util.Arrays.copyOf(good, good.length - 1), "bytes.length must be 49");
        assertMessage(java.util.Arrays.copyOf(good, good.length + 8), "bytes.length must be 49");
        assertMessage(with(good, b -> b.putInt(5, 0)), "channels");
        assertMessage(with(good, b -> b.putInt(5, -1)), "channels");
        assertMessage(with(good, b -> b.putLong(9, 0)), "count");
        assertMessage(with(good, b -> b.putDouble(17 + 16 + 8, -1.0)), "m2[1]");
        // A finite mean with an M2 that no finite data give: before, accepted, and a map made from it gave NaN or β.
        assertMessage(with(good, b -> b.putDouble(17 + 16, Double.NaN)), "m2[0] in bytes must be finite");
        assertMessage(with(good, b -> b.putDouble(17 + 16 + 8, Double.POSITIVE_INFINITY)),
                "m2[1] in bytes must be finite");
        // Non-finite data's moments still load: a NaN mean with its NaN M2.
        Moments nonFinite = Moments.fromBytes(with(good, b -> b.putDouble(17, Double.NaN).putDouble(17 + 16,
                Double.NaN)));
        assertTrue(Double.isNaN(nonFinite.meanAsDouble(0)) && Double.isNaN(nonFinite.varianceAsDouble(0)));
    }

    private static byte[] with(byte[] bytes, java.util.function.Consumer<ByteBuffer> edit) {
        byte[] copy = bytes.clone();
        edit.accept(ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN));
        return copy;
    }

    private static void assertMessage(byte[] bytes, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Moments.fromBytes(bytes));
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }
}
