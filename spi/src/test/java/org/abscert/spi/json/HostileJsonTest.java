package org.abscert.spi.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile input files: number literals out of every range, text that is not UTF-8, deep nesting, oversized
 * files. Each fails with one {@link InvalidInputException} naming file, JSON path and problem, in the
 * project's words (no parser class or switch names), and never with another exception.
 */
class HostileJsonTest {

    static Procedure scalarX() {
        var b = ProcedureBuilder.named("p");
        String x = b.parameter("x", 2);
        return b.build(b.sum(x));
    }

    static String procedureWithK(String k) {
        return """
                {"format": "abscert/procedure@1", "name": "t", "parameters": [{"name": "x", "shape": [1]}],
                 "nodes": [{"id": "r", "op": "scale", "args": ["x"], "k": %s}, {"id": "y", "op": "sum", "args": ["r"]}],
                 "output": "y"}""".formatted(k);
    }

    static Stream<Arguments> pointLiterals() {
        return Stream.of(
                Arguments.of("1e2147483648", "$.parameters.x[1]", "is out of range"),
                Arguments.of("-1e2147483648", "$.parameters.x[1]", "is out of range"),
                Arguments.of("1e-2147483649", "$.parameters.x[1]", "is out of range"),
                Arguments.of("1e99999999999", "$.parameters.x[1]", "is out of range"),
                Arguments.of("1e400", "$.parameters.x[1]", "out of the range of float64"),
                Arguments.of("-1.7976931348623159e308", "$.parameters.x[1]", "out of the range of float64"),
                Arguments.of("NaN", "$", "NaN and infinities are not JSON numbers"),
                Arguments.of("-Infinity", "$", "NaN and infinities are not JSON numbers"),
                Arguments.of("1" + "0".repeat(1200), "$", "longer than 1000 characters"),
                Arguments.of("0.5} {", "$", "malformed JSON"),
                Arguments.of("0.5]}} []", "$", "more text after the end of the document"),
                Arguments.of("007", "$", "leading zero"));
    }

    @ParameterizedTest(name = "point value {0}")
    @MethodSource("pointLiterals")
    void pointLiteralsOutOfRangeNameTheirPath(String literal, String path, String problem) {
        String text = "{\"parameters\": {\"x\": [0, " + literal + "]}}";
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> PointJson.parse("pt.json", text, scalarX()));
        assertProjectWords(e, "pt.json", path, problem);
    }

    @ParameterizedTest(name = "attribute {0}")
    @MethodSource("pointLiterals")
    void attributeLiteralsOutOfRangeNameTheirPath(String literal, String path, String problem) {
        String text = procedureWithK(literal);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ProcedureJson.parse("p.json", text));
        // a syntax error reads differently inside a procedure; the out-of-range literals do not
        assertProjectWords(e, "p.json", path.equals("$") ? "$" : "$.nodes[0].k", path.equals("$") ? "malformed JSON" : problem);
    }

    @Test
    void shapeAndShorthandIntegersOutOfRangeNameTheirPath() {
        String shape = procedureWithK("1").replace("\"shape\": [1]", "\"shape\": [1e2147483648]");
        assertProjectWords(assertThrows(InvalidInputException.class, () -> ProcedureJson.parse("p.json", shape)),
                "p.json", "$.parameters[0].shape[0]", "is out of range");
        String mlp = "{\"format\": \"abscert/procedure@1\", \"name\": \"m\", \"mlp\": {\"input\": 1e2147483648, "
                + "\"layers\": [[2, \"relu\"]], \"loss\": \"mse\"}}";
        assertProjectWords(assertThrows(InvalidInputException.class, () -> ProcedureJson.parse("m.json", mlp)),
                "m.json", "$.mlp.input", "is out of range");
        String huge = procedureWithK("1").replace("\"shape\": [1]", "\"shape\": [123456789012345678901234567890]");
        assertProjectWords(assertThrows(InvalidInputException.class, () -> ProcedureJson.parse("p.json", huge)),
                "p.json", "$.parameters[0].shape[0]", "out of range");
    }

    @Test
    void anMlpThatWouldExpandBeyondTheNodeCapIsRefusedAtItsLayers() {
        String layers = String.join(", ", java.util.Collections.nCopies(Procedure.MAX_NODES / 3, "[1, \"relu\"]"));
        String mlp = "{\"format\": \"abscert/procedure@1\", \"name\": \"m\", \"mlp\": {\"input\": 1, "
                + "\"layers\": [" + layers + "], \"loss\": \"mse\"}}";
        assertProjectWords(assertThrows(InvalidInputException.class, () -> ProcedureJson.parse("m.json", mlp)),
                "m.json", "$.mlp.layers", "expand to more than the cap of " + Procedure.MAX_NODES + " nodes");
    }

    @Test
    void tinyLiteralsRoundToZeroAndAreCountedAsInexact() throws InvalidInputException {
        PointJson.Parsed p = PointJson.parse("pt.json", "{\"parameters\": {\"x\": [1e-400, 0.5]}}", scalarX());
        assertEquals(0.0, p.point().parameters().get("x").get(0));
        assertEquals(1, p.inexactValues());
    }

    @Test
    void theQuickExactnessTestAgreesWithExactExpansion() {
        java.util.Random rnd = new java.util.Random(3);
        for (int k = 0; k < 5_000; k++) {
            // short decimals (the fast path) and dyadic values written out exactly
            String text = switch (k % 3) {
                case 0 -> (rnd.nextInt(2_000_001) - 1_000_000) + "e-" + rnd.nextInt(30);
                case 1 -> new java.math.BigDecimal(Math.scalb((double) rnd.nextInt(1 << 20), -rnd.nextInt(40))).toPlainString();
                default -> rnd.nextInt(1000) + "." + rnd.nextInt(1000) + "0";
            };
            java.math.BigDecimal d = new java.math.BigDecimal(text);
            double v = d.doubleValue();
            assertEquals(new java.math.BigDecimal(v).compareTo(d) == 0, PointJson.exactDouble(d, v), text);
        }
    }

    @Test
    void invalidUtf8IsReportedWithItsByteOffset(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("latin1.json");
        byte[] head = "{\"name\": \"".getBytes(StandardCharsets.US_ASCII);
        byte[] bytes = new byte[head.length + 3];
        System.arraycopy(head, 0, bytes, 0, head.length);
        bytes[head.length] = (byte) 0xE9; // 'é' in Latin-1: not a UTF-8 sequence
        bytes[head.length + 1] = '"';
        bytes[head.length + 2] = '}';
        Files.write(f, bytes);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ProcedureJson.read(f));
        assertProjectWords(e, f.toString(), "$", "not valid UTF-8 text (byte offset " + head.length + ")");
    }

    @Test
    void aUtf8ByteOrderMarkIsSkipped(@TempDir Path dir) throws IOException, InvalidInputException {
        Path f = dir.resolve("bom.json");
        byte[] body = "{\"parameters\": {\"x\": [1, 2]}}".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[body.length + 3];
        bytes[0] = (byte) 0xEF;
        bytes[1] = (byte) 0xBB;
        bytes[2] = (byte) 0xBF;
        System.arraycopy(body, 0, bytes, 3, body.length);
        Files.write(f, bytes);
        assertEquals(2.0, PointJson.read(f, scalarX()).point().parameters().get("x").get(1));
    }

    @Test
    void deepNestingIsRejectedWithoutExhaustingTheStack() {
        for (String open : new String[] {"[", "{\"a\":"}) {
            String text = open.repeat(50_000);
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> ProcedureJson.parse("deep.json", text));
            assertProjectWords(e, "deep.json", "$", "nested deeper than " + Json.MAX_NESTING + " levels");
        }
    }

    @Test
    void nestingUpToTheCapIsBuiltIteratively() throws InvalidInputException {
        int depth = Json.MAX_NESTING;
        String text = "[".repeat(depth) + "]".repeat(depth);
        var node = Json.parse("ok.json", text);
        int seen = 0;
        while (node.isArray() && node.size() > 0) {
            node = node.get(0);
            seen++;
        }
        assertEquals(depth - 1, seen);
    }

    @Test
    void aFileWithMoreValuesThanTheCapIsRefusedWhileParsing() {
        StringBuilder text = new StringBuilder(2 * Json.MAX_VALUES + 40).append("{\"parameters\": {\"x\": [");
        for (int i = 0; i < Json.MAX_VALUES; i++) text.append(i == 0 ? "0" : ",0");
        text.append("]}}");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> PointJson.parse("many.json", text.toString(), scalarX()));
        // the root object, "parameters" and "x" count too: the cap is passed inside the array
        assertProjectWords(e, "many.json", "$.parameters.x[" + (Json.MAX_VALUES - 3) + "]", "more than " + Json.MAX_VALUES + " JSON values");
    }

    @Test
    void duplicateKeysAreNamed() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> PointJson.parse("pt.json", "{\"parameters\": {\"x\": [1, 2], \"x\": [3, 4]}}", scalarX()));
        assertProjectWords(e, "pt.json", "$.parameters.x", "duplicate key 'x'");
    }

    @Test
    void directoriesEmptyNamesAndOversizedFilesAreRejectedBeforeReading(@TempDir Path dir) throws IOException {
        assertProjectWords(assertThrows(InvalidInputException.class, () -> ProcedureJson.read(dir)),
                dir.toString(), "$", "is a directory, not a file");
        assertTrue(assertThrows(InvalidInputException.class, () -> ProcedureJson.read(Path.of("")))
                .getMessage().contains("no file name given"));
        Path big = dir.resolve("big.json");
        try (RandomAccessFile raf = new RandomAccessFile(big.toFile(), "rw")) {
            raf.setLength(Json.MAX_FILE_BYTES + 1); // sparse: nothing is written
        }
        assertProjectWords(assertThrows(InvalidInputException.class, () -> ProcedureJson.read(big)),
                big.toString(), "$", "larger than 128 MiB");
    }

    /** One line, {@code SOURCE: PATH: PROBLEM}, and nothing from the JSON library's vocabulary. */
    static void assertProjectWords(InvalidInputException e, String source, String path, String problem) {
        String m = e.getMessage();
        assertEquals(source, e.source(), m);
        assertEquals(path, e.path(), m);
        assertTrue(e.problem().contains(problem), m);
        assertEquals(source + ": " + path + ": " + e.problem(), m);
        assertFalse(m.contains("\n"), m);
        for (String leak : new String[] {"`", "fasterxml", "jackson", "Feature", "Constraints", "BigDecimal",
                "NumberFormatException", "Input length", "[Source", "REDACTED"})
            assertFalse(m.toLowerCase().contains(leak.toLowerCase()), "leaks '" + leak + "': " + m);
    }
}
