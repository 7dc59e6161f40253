package dev.walden.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The client must build as a GraalVM native image with no reachability metadata beyond native-image.properties:
 * no reflection, proxies, service loading, class lookup by name or resources. GraalVM is not available on our
 * machines, so this checks the compiled classes' constant pools for any reference to those APIs.
 */
class NativeImageReadinessTest {
    private static final List<String> FORBIDDEN = List.of(
            "java/lang/reflect/", "java/util/ServiceLoader", "forName", "getResource", "newProxyInstance",
            "getDeclaredMethod", "getDeclaredField", "java/lang/invoke/MethodHandles$Lookup.findVirtual");

    @Test
    void clientClassesUseNothingThatNeedsReachabilityMetadata() throws Exception {
        Path classes = Path.of(Walden.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<String> findings = new ArrayList<>();
        int scanned = 0;
        try (Stream<Path> files = Files.walk(classes)) {
            for (Path file : (Iterable<Path>) files.filter(f -> f.toString().endsWith(".class"))::iterator) {
                scanned++;
                String constants = new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1);
                for (String forbidden : FORBIDDEN) {
                    if (constants.contains(forbidden)) {
                        findings.add(classes.relativize(file) + " references " + forbidden);
                    }
                }
            }
        }
        assertTrue(scanned >= 10, "scanned the client's classes (" + scanned + ")");
        assertEquals(List.of(), findings);
    }

    @Test
    void reachabilityMetadataShipsWithTheClient() throws Exception {
        Path classes = Path.of(Walden.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path properties = classes.resolve("META-INF/native-image/dev.walden/archive-cli/native-image.properties");
        assertTrue(Files.readString(properties).contains("--no-fallback"));
    }
}
