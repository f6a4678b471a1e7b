package dev.simdnorm;

import dev.simdnorm.prop.Property;
import dev.simdnorm.prop.TensorCase;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The harness itself: a false property fails, shrinks to the smallest counterexample and can be replayed. */
class PropertyHarnessTest {

    @Test
    void falsePropertyShrinksAndPrintsAReplayableSeed() {
        AssertionError e = assertThrows(AssertionError.class, () -> Property.check("fewer than 17 channels",
                TensorCase.gen(10_000), t -> assertTrue(t.channels() < 17, "channels " + t.channels())));
        String msg = e.getMessage();
        assertTrue(msg.contains("seed "), msg);
        assertTrue(msg.contains("-Dsimdnorm.seed="), msg);
        assertTrue(msg.contains("PropertyHarnessTest#falsePropertyShrinksAndPrintsAReplayableSeed"), msg);
        // Shrinking reaches the simplest failing case: 17 channels, one row, offset 0.
        assertTrue(msg.contains("rows=1, channels=17, offset=0"), msg);

        String seed = msg.replaceAll("(?s).*-Dsimdnorm.seed=([0-9a-f]+).*", "$1");
        List<Integer> first = new ArrayList<>();
        List<Integer> again = new ArrayList<>();
        System.setProperty("simdnorm.seed", seed);
        try {
            Property.check("record", 20, TensorCase.gen(10_000), t -> first.add(t.channels() * 31 + t.rows()));
            Property.check("record", 20, TensorCase.gen(10_000), t -> again.add(t.channels() * 31 + t.rows()));
        } finally {
            System.clearProperty("simdnorm.seed");
        }
        assertEquals(first, again, "the same seed replays the same cases");
    }

    @Test
    void truePropertyPasses() {
        Property.check("channels are positive", TensorCase.gen(1000), t -> assertTrue(t.channels() > 0));
    }
}
