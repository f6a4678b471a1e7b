package dev.simdnorm;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Only {@code dev.simdnorm.internal.vector} imports {@code jdk.incubator.vector}: the provider loads it by name after
 * checking that the module is readable, so no other class can fail to load without it.
 */
class ImportBoundaryTest {

    @Test
    void onlyTheVectorPackageImportsTheVectorApi() throws IOException {
        Path main = Path.of("src/main/java");
        List<Path> importers;
        try (Stream<Path> files = Files.walk(main)) {
            importers = files.filter(p -> p.toString().endsWith(".java")).filter(ImportBoundaryTest::importsVectorApi)
                    .toList();
        }
        assertFalse(importers.isEmpty(), "no file imports the Vector API: the check looks in the wrong place");
        for (Path p : importers) {
            assertEquals(main.resolve("dev/simdnorm/internal/vector"), p.getParent(), p + " imports the Vector API");
        }
    }

    private static boolean importsVectorApi(Path file) {
        try {
            return Files.readString(file).contains("import jdk.incubator.vector");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
