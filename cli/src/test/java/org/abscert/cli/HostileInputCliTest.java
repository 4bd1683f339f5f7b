package org.abscert.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.abscert.spi.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Inputs of issue 11 that used to end in an internal error, a library's message or a report in the wrong
 * place: each is now exit 2 with exactly one line on stderr naming the file, the JSON path and the problem in
 * the project's words, and nothing on stdout. Inputs are generated here, not stored.
 */
class HostileInputCliTest {

    static final String X2 = """
            {"format": "abscert/procedure@1", "name": "two", "parameters": [{"name": "x", "shape": [2]}],
             "nodes": [{"id": "r", "op": "relu", "args": ["x"]}, {"id": "y", "op": "mean", "args": ["r"]}],
             "output": "y"}""";

    @TempDir static Path dir;

    static String file(String name, String text) throws IOException {
        return CertifyCommandTest.file(dir, name, text);
    }

    static Stream<Arguments> badFiles() throws IOException {
        String proc = file("x2.json", X2);
        String okPoint = file("ok.point.json", "{\"parameters\": {\"x\": [0, 1]}}");
        Path latin1 = dir.resolve("latin1.point.json");
        Files.write(latin1, new byte[] {'{', '"', 'p', (byte) 0xE9, '"', ':', '1', '}'});
        return Stream.of(
                Arguments.of("exponent beyond any range",
                        List.of("eval", proc, "--point", file("e1.json", "{\"parameters\": {\"x\": [1e2147483648, 0]}}")),
                        "e1.json: $.parameters.x[0]: number 1e2147483648 is out of range"),
                Arguments.of("negative exponent beyond any range",
                        List.of("certify", proc, "--point", file("e2.json", "{\"parameters\": {\"x\": [0, -1e-2147483649]}}"), "--backend", "tape"),
                        "e2.json: $.parameters.x[1]: number -1e-2147483649 is out of range"),
                Arguments.of("beyond float64",
                        List.of("clarke", proc, "--point", file("e3.json", "{\"parameters\": {\"x\": [0, 1e400]}}")),
                        "e3.json: $.parameters.x[1]: number 1E+400 is out of the range of float64"),
                Arguments.of("attribute beyond any range",
                        List.of("analyze", file("k.json", X2.replace("\"op\": \"relu\", \"args\": [\"x\"]",
                                "\"op\": \"scale\", \"args\": [\"x\"], \"k\": 1e2147483648"))),
                        "k.json: $.nodes[0].k: number 1e2147483648 is out of range"),
                Arguments.of("gradient beyond any range",
                        List.of("certify", proc, "--point", okPoint, "--gradient", file("g.json", "{\"gradient\": {\"x\": [1e99999999999, 0]}}")),
                        "g.json: $.gradient.x[0]: number 1e99999999999 is out of range"),
                Arguments.of("NaN literal",
                        List.of("eval", proc, "--point", file("nan.json", "{\"parameters\": {\"x\": [NaN, 0]}}")),
                        "nan.json: $: malformed JSON at line 1, column 26: NaN and infinities are not JSON numbers"),
                Arguments.of("trailing content",
                        List.of("eval", proc, "--point", file("trail.json", "{\"parameters\": {\"x\": [0, 0]}} {}")),
                        "trail.json: $: malformed JSON at line 1, column 31: more text after the end of the document"),
                Arguments.of("invalid UTF-8",
                        List.of("eval", proc, "--point", latin1.toString()),
                        "latin1.point.json: $: not valid UTF-8 text (byte offset 3)"),
                Arguments.of("deep nesting",
                        List.of("analyze", file("deep.json", "[".repeat(100_000))),
                        "deep.json: $: malformed JSON: arrays and objects are nested deeper than 1000 levels"),
                Arguments.of("point is a directory",
                        List.of("eval", proc, "--point", dir.toString()),
                        ": $: is a directory, not a file"),
                Arguments.of("empty point file name",
                        List.of("eval", proc, "--point", ""),
                        "abscert eval: Invalid value for option '--point': an empty file name"),
                Arguments.of("empty procedure file name",
                        List.of("clarke", "", "--point", okPoint),
                        "abscert clarke: Invalid value for positional parameter at index 0 (PROC): an empty file name"),
                Arguments.of("blank gradient file name",
                        List.of("certify", proc, "--point", okPoint, "--gradient", " "),
                        "abscert certify: Invalid value for option '--gradient': an empty file name"),
                Arguments.of("file name with a NUL character",
                        List.of("analyze", "a\u0000b.json"),
                        "abscert analyze: Invalid value for positional parameter at index 0 (PROC): not a valid file name"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badFiles")
    void badInputIsOneLineOnStderrAndExitTwo(String label, List<String> args, String expected) {
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertEquals(2, r.exit(), label + ": " + r.err());
        assertEquals("", r.out(), label);
        assertEquals(1, r.errLines().size(), label + ": " + r.err());
        String line = r.errLines().get(0);
        assertTrue(line.contains(expected), label + ": " + line);
        for (String leak : new String[] {"internal error", "Exception", "`", "fasterxml", "Feature", "Input length"})
            assertFalse(line.contains(leak), label + " leaks '" + leak + "': " + line);
    }

    @Test
    void compareWithAnEmptyOutputDirectoryWritesNothingAnywhere() throws IOException {
        List<Path> before;
        try (Stream<Path> s = Files.list(Path.of(""))) {
            before = s.sorted().toList();
        }
        CliRun r = CliRun.of("compare", "--out", "", "--quick");
        assertEquals(2, r.exit(), r.err());
        assertEquals("", r.out());
        assertEquals(List.of("abscert compare: Invalid value for option '--out': an empty file name (see 'abscert compare --help')"),
                r.errLines());
        try (Stream<Path> s = Files.list(Path.of(""))) {
            assertEquals(before, s.sorted().toList(), "the current directory changed");
        }
    }

    @Test
    void compareIntoAnExistingFileIsRefusedBeforeAnyWork() throws IOException {
        String f = file("not-a-dir", "x");
        CliRun r = CliRun.of("compare", "--out", f, "--quick");
        assertEquals(2, r.exit(), r.err());
        assertEquals("", r.out());
        assertEquals(List.of("abscert compare: " + f + ": $: exists and is not a directory (--out names the report's directory)"),
                r.errLines());
    }

    @Test
    void analyzeOfAHundredThousandLayerMlpAnswersInsteadOfExhaustingMemory() throws IOException {
        String layers = String.join(", ", java.util.Collections.nCopies(100_000, "[1, \"relu\"]"));
        String proc = file("mlp100k.json", "{\"format\": \"abscert/procedure@1\", \"name\": \"deep\", \"mlp\": "
                + "{\"input\": 1, \"layers\": [" + layers + "], \"loss\": \"mse\"}}");
        long start = System.nanoTime();
        CliRun r = CliRun.of("analyze", proc, "--format", "json");
        assertTrue(System.nanoTime() - start < 60_000_000_000L, "took " + (System.nanoTime() - start) / 1_000_000 + " ms");
        assertEquals(3, r.exit(), r.err());
        JsonNode o = Json.MAPPER.readTree(r.out());
        assertEquals(100_000, o.get("switches").asInt());
        assertTrue(o.get("findings").get(0).asText().startsWith("not analysed: 100000 kink nodes"), r.out());
    }

    @Test
    void evalNamesTheNodeWhoseMeanOverflowed() throws IOException {
        String proc = file("mean.json", """
                {"format": "abscert/procedure@1", "name": "mean-big", "parameters": [{"name": "x", "shape": [2]}],
                 "nodes": [{"id": "m", "op": "mean", "args": ["x"]}, {"id": "y", "op": "scale", "args": ["m"], "k": 0.5}],
                 "output": "y"}""");
        // 2^1023 is exact, so no rounding note joins the overflow note
        String point = file("mean.point.json", "{\"parameters\": {\"x\": [" + new java.math.BigDecimal(0x1p1023) + ", "
                + new java.math.BigDecimal(0x1p1023) + "]}}");
        CliRun text = CliRun.of("eval", proc, "--point", point, "--backend", "tape");
        assertEquals(0, text.exit(), text.err());
        List<String> notes = text.out().lines().filter(l -> l.startsWith("note: ")).toList();
        assertEquals(1, notes.size(), text.out());
        assertTrue(notes.get(0).contains("node 'm' (mean) overflows float64"), notes.get(0));
        assertTrue(notes.get(0).contains("its exact value 8.98846567431158E307 is finite"), notes.get(0));

        CliRun json = CliRun.of("eval", proc, "--point", point, "--backend", "tape", "--format", "json");
        assertEquals(0, json.exit(), json.err());
        JsonNode o = Json.MAPPER.readTree(json.out());
        assertTrue(o.get("value").isNull(), json.out());
        assertEquals(1, o.get("notes").size(), json.out());
        assertTrue(o.get("notes").get(0).asText().contains("node 'm' (mean)"), json.out());
    }

    @Test
    void evalNamesTheNodeThatGaveNaN() throws IOException {
        String proc = file("log.json", """
                {"format": "abscert/procedure@1", "name": "log-neg", "parameters": [{"name": "x", "shape": [1]}],
                 "nodes": [{"id": "l", "op": "log", "args": ["x"]}, {"id": "y", "op": "sum", "args": ["l"]}],
                 "output": "y"}""");
        CliRun r = CliRun.of("eval", proc, "--point", file("log.point.json", "{\"parameters\": {\"x\": [-1]}}"), "--backend", "tape");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("note: the value is not finite: node 'l' (log) is NaN although its arguments are finite"), r.out());
    }

    @Test
    void evalSaysWhenOnlyTheBackwardPassOverflowed() throws IOException {
        String proc = file("logtiny.json", """
                {"format": "abscert/procedure@1", "name": "log-tiny", "parameters": [{"name": "x", "shape": [1]}],
                 "nodes": [{"id": "l", "op": "log", "args": ["x"]}, {"id": "y", "op": "sum", "args": ["l"]}],
                 "output": "y"}""");
        // log(2^-1070) ≈ -741.7 is finite, its derivative 2^1070 is not
        String point = file("tiny.point.json", "{\"parameters\": {\"x\": [" + new java.math.BigDecimal(0x1p-1070) + "]}}");
        CliRun r = CliRun.of("eval", proc, "--point", point, "--backend", "tape");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("note: the gradient is not finite, but every node's value is finite in float64 when "
                + "re-evaluated: the overflow is in the backend's backward pass"), r.out());
    }

    @Test
    void evalOfFiniteResultsHasNoOverflowNote() throws IOException {
        CliRun ok = CliRun.of("eval", file("x2b.json", X2), "--point", file("small.point.json", "{\"parameters\": {\"x\": [0.5, 1]}}"),
                "--backend", "tape", "--format", "json");
        assertEquals(0, ok.exit(), ok.err());
        assertEquals(0, Json.MAPPER.readTree(ok.out()).get("notes").size(), ok.out());
    }
}
