package dev.simdnorm;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The vector kernels use floats of half the width only in whole, unmasked loads converted at once: a vector of a
 * second float shape that calls {@code FloatVector}'s shared methods (an add, a store, a mask's range check) puts its
 * class in their type profiles, and C2 then compiled the kernels' adds and stores for two classes and boxed vectors at
 * the merge, in some JVMs (docs/design-log.md, 2026-12-06). A source rule, since which JVMs box depends on compile
 * order. It narrows the cause, not removes it: the half-width loads share {@code FloatVector.fromArray}'s profile
 * with the kernels' loads (2026-12-07, night).
 */
class HalfWidthFloatsTest {

    private static final Path VECTOR = Path.of("src/main/java/dev/simdnorm/internal/vector");
    private static final String LOAD = "FloatVector.fromArray(HALF_FLOATS,";

    @Test
    void halfWidthFloatsAreOnlyLoadedWholeAndConverted() throws IOException {
        List<String> misuses = new ArrayList<>();
        int loads = 0;
        try (Stream<Path> files = Files.list(VECTOR)) {
            for (Path file : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                String text = Files.readString(file);
                for (int at = text.indexOf("HALF_FLOATS"); at >= 0; at = text.indexOf("HALF_FLOATS", at + 1)) {
                    String line = text.substring(text.lastIndexOf('\n', at) + 1, text.indexOf('\n', at));
                    String code = line.trim();
                    if (line.contains("VectorSpecies<Float> HALF_FLOATS") || code.startsWith("*")
                            || code.startsWith("//")) {
                        continue; // a declaration, Javadoc or a comment
                    }
                    int call = at - "FloatVector.fromArray(".length();
                    if (call >= 0 && text.startsWith(LOAD, call) && arguments(text, at - 1) == 3
                            && text.substring(end(text, at - 1) + 1).stripLeading().startsWith(".convertShape(")) {
                        loads++;
                        continue;
                    }
                    misuses.add(file.getFileName() + ":" + (text.substring(0, at).split("\n", -1).length) + ": "
                            + line.trim());
                }
            }
        }
        assertTrue(loads > 0, "no half-width load found: the check looks in the wrong place");
        assertEquals(List.of(), misuses, "half-width floats beyond whole, unmasked loads converted at once");
    }

    /** The index of the ')' that closes the '(' at {@code open}. */
    private static int end(String text, int open) {
        int depth = 0;
        for (int i = open; i < text.length(); i++) {
            if (text.charAt(i) == '(') {
                depth++;
            } else if (text.charAt(i) == ')' && --depth == 0) {
                return i;
            }
        }
        throw new IllegalStateException("unbalanced call at " + open);
    }

    /** The number of top-level arguments of the call whose '(' is at {@code open}. */
    private static int arguments(String text, int open) {
        int depth = 0;
        int commas = 0;
        for (int i = open; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')' && --depth == 0) {
                return commas + 1;
            } else if (c == ',' && depth == 1) {
                commas++;
            }
        }
        throw new IllegalStateException("unbalanced call at " + open);
    }
}
