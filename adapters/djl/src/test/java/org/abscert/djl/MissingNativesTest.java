package org.abscert.djl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.abscert.spi.Backend;
import org.abscert.spi.BackendException;
import org.abscert.spi.Backends;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Without the libtorch jars (and with an empty DJL cache) the provider fails with a clear BackendException,
 * nothing is downloaded, and the other backends keep working. Runs in a separate JVM, since this one has
 * PyTorch loaded.
 */
class MissingNativesTest {

    /** The child JVM: asks for both backends and prints what happened. */
    public static void main(String[] args) throws Exception {
        try {
            Backends.get(DjlBackend.NAME);
            System.out.println("djl: started");
        } catch (BackendException e) {
            System.out.println("djl: BackendException: " + e.getMessage());
        }
        ProcedureBuilder b = ProcedureBuilder.named("relu");
        String x = b.parameter("x", 1);
        Procedure p = b.build(b.sum(b.relu(x)));
        Backend tape = Backends.get("tape");
        double[] g = tape.evaluate(p, new Point(Map.of("x", Tensor.of(Shape.of(1), 2)), Map.of()), Precision.FLOAT64).gradient();
        System.out.println("tape: gradient " + g[0]);
    }

    @Test void withoutNativeJarsTheProviderFailsClearlyAndOtherBackendsWork(@TempDir Path cache) throws Exception {
        String cp = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.contains("pytorch-native-cpu") && !e.contains("pytorch-jni"))
                .collect(Collectors.joining(File.pathSeparator));
        Path out = cache.resolve("out.txt");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-DDJL_CACHE_DIR=" + cache, "-DENGINE_CACHE_DIR=" + cache, "-cp", cp, MissingNativesTest.class.getName())
                .redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().remove("PYTORCH_LIBRARY_PATH");
        pb.environment().remove("ai.djl.offline");
        int code = pb.start().waitFor();
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertEquals(0, code, String.join("\n", lines));
        String djl = lines.stream().filter(l -> l.startsWith("djl: ")).findFirst().orElseThrow();
        assertTrue(djl.startsWith("djl: BackendException: djl-pytorch: the PyTorch engine could not start offline"), djl);
        assertTrue(djl.contains("never downloads") && djl.contains("Offline mode is enabled"), djl);
        assertTrue(lines.contains("tape: gradient 1.0"), String.join("\n", lines));
        try (var files = Files.walk(cache)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".so")), "no native library was fetched");
        }
    }
}
