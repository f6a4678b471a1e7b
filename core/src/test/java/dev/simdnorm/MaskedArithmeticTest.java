package dev.simdnorm;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The vector kernels write masked arithmetic as {@code v.lanewise(op, w, m)}, never through the Vector API's masked
 * conveniences ({@code v.add(w, m)}, {@code v.sub(w, m)}, ...). Those call {@code lanewise} from inside the JDK, where
 * C2 reads the receiver's type from the JDK method's own profile, shared by every caller and seldom warm: in 6 of
 * about 95 JVMs C2 found it empty, left the call virtual and every vector of the loop boxed, and the double statistics'
 * NCHW tails ran 3.7 times slower than the scalar kernel for good (the warm-up then waited its 30 s on them). Called
 * from our own code, {@code lanewise} is profiled at our call site. A source scan, as no test can make C2 choose.
 */
class MaskedArithmeticTest {

    private static final Path VECTOR = Path.of("src/main/java/dev/simdnorm/internal/vector");
    private static final Pattern MASK_DECLARATION = Pattern.compile("VectorMask<\\w+> (\\w+)");
    /** The masked binary conveniences of {@code FloatVector} and {@code DoubleVector}. */
    private static final String CONVENIENCES = "add|sub|mul|div";
    /** Comments, which may show the very calls the scan looks for. */
    private static final Pattern COMMENTS = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);
    /** Arguments with parentheses nested two deep at most, so that a match stays inside one call. */
    private static final String ARGUMENTS = "((?:[^;()]|\\((?:[^;()]|\\([^;()]*\\))*\\))*)";

    @Test
    void vectorKernelsCallLanewiseForMaskedArithmetic() throws IOException {
        List<Path> files;
        try (Stream<Path> walk = Files.list(VECTOR)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
        assertTrue(files.size() > 5, "the scan looks in the wrong place: " + files);
        List<String> found = new ArrayList<>();
        int masks = 0;
        for (Path file : files) {
            String source = COMMENTS.matcher(Files.readString(file)).replaceAll(" ");
            Set<String> names = new LinkedHashSet<>();
            Matcher declared = MASK_DECLARATION.matcher(source);
            while (declared.find()) {
                names.add(declared.group(1));
            }
            masks += names.size();
            for (String name : names) {
                // A convenience call whose last argument is the mask: ".sub(arguments, m)".
                Matcher call = convenienceCall(name).matcher(source);
                while (call.find()) {
                    found.add(file.getFileName() + ": ." + call.group(1) + "(…, " + name + ")");
                }
            }
        }
        assertTrue(masks > 10, "no masks declared: the scan reads the files wrongly");
        assertEquals(List.of(), found, "masked arithmetic through a convenience method; write lanewise(op, v, m)");
    }

    @Test
    void theScanFindsAConvenienceCall() {
        // The pattern the test above relies on, on a line as the kernels wrote it before.
        Pattern call = convenienceCall("m");
        assertTrue(call.matcher("r = r.add(d, m);").find());
        assertTrue(call.matcher("x.sub(DoubleVector.fromArray(DOUBLES, center, off), m);").find());
        assertTrue(call.matcher("x\n        .sub(FloatVector.fromArray(FLOATS, f.center(), off), m);").find());
        assertFalse(call.matcher("r = r.lanewise(VectorOperators.ADD, d, m);").find());
        assertFalse(call.matcher("x.add(y).lanewise(VectorOperators.SUB, z, m);").find());
        assertFalse(call.matcher("x.add(y).intoArray(a, i, m);").find());
        assertTrue(call.matcher("r = r.add(d,\n        m\n);").find());
        String commented = "// r.add(d, m) would box\nr = r.lanewise(VectorOperators.ADD, d, m);";
        assertFalse(call.matcher(COMMENTS.matcher(commented).replaceAll(" ")).find());
    }

    private static Pattern convenienceCall(String mask) {
        return Pattern.compile("\\.(" + CONVENIENCES + ")\\(" + ARGUMENTS + ",\\s*" + mask + "\\s*\\)");
    }
}
