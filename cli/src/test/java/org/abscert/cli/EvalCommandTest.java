package org.abscert.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.abscert.spi.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code abscert eval}: output in both formats, rounding notes, and one-line errors with exit 2. */
class EvalCommandTest {
    static final String RELU_DIFFERENCE = """
            {"format": "abscert/procedure@1", "name": "relu-difference",
             "parameters": [{"name": "x", "shape": [1]}], "data": [],
             "nodes": [{"id": "a", "op": "relu", "args": ["x"]}, {"id": "nx", "op": "neg", "args": ["x"]},
                       {"id": "b", "op": "relu", "args": ["nx"]}, {"id": "d", "op": "sub", "args": ["a", "b"]},
                       {"id": "y", "op": "sum", "args": ["d"]}],
             "output": "y"}""";

    @TempDir static Path dir;

    static String file(String name, String text) throws IOException {
        return CertifyCommandTest.file(dir, name, text);
    }

    @Test
    void jsonOutputHasValueGradientSwitchesAndSlopes() throws IOException {
        String proc = file("rd.json", RELU_DIFFERENCE);
        String point = file("rd.point.json", "{\"parameters\": {\"x\": [0.0]}}");
        CliRun r = CliRun.of("eval", proc, "--point", point, "--backend", "tape", "--format", "json");
        assertEquals(0, r.exit(), r.err());
        JsonNode o = Json.MAPPER.readTree(r.out());
        assertEquals("tape", o.get("backend").asText());
        assertEquals("float64", o.get("precision").asText());
        assertEquals(0.0, o.get("value").asDouble());
        assertEquals(List.of(0.0), doubles(o.get("gradient")));
        assertEquals(List.of(0.0, 0.0), doubles(o.get("switches")));
        assertEquals(List.of(-1.0, -1.0), doubles(o.get("kinkSlopes")));
        assertEquals("[{\"name\":\"x\",\"shape\":[1],\"offset\":0}]", o.get("parameters").toString());
    }

    @Test
    void textOutputShowsTheGradientPerParameter() throws IOException {
        String proc = file("rd.json", RELU_DIFFERENCE);
        String point = file("rd-half.point.json", "{\"parameters\": {\"x\": [0.5]}}");
        CliRun r = CliRun.of("eval", proc, "--point", point, "--backend", "tape");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("value      0.5"), r.out());
        assertTrue(r.out().matches("(?s).*\\n  x +\\[1\\] +\\[1\\]\\n.*"), r.out());
        assertTrue(r.out().contains("(0 at zero)"), r.out());
    }

    @Test
    void roundingToTheDtypeIsReported() throws IOException {
        String proc = file("rd.json", RELU_DIFFERENCE);
        String point = file("rd-tenth.point.json", "{\"parameters\": {\"x\": [0.1]}}");
        CliRun r = CliRun.of("eval", proc, "--point", point, "--backend", "tape", "--dtype", "float32", "--format", "json");
        assertEquals(0, r.exit(), r.err());
        JsonNode o = Json.MAPPER.readTree(r.out());
        assertEquals(1, o.get("rounding").get("inexactDecimals").asInt());
        assertEquals(1, o.get("rounding").get("changedByPrecision").asInt());
        assertEquals((double) 0.1f, o.get("value").asDouble());
        CliRun text = CliRun.of("eval", proc, "--point", point, "--backend", "tape", "--dtype", "float32");
        assertTrue(text.out().contains("note: 1 value(s) changed when rounded to float32"), text.out());
    }

    static Stream<Arguments> badInvocations() throws IOException {
        String proc = file("ok.json", RELU_DIFFERENCE);
        String point = file("ok.point.json", "{\"parameters\": {\"x\": [0.0]}}");
        String malformed = file("malformed.json", RELU_DIFFERENCE.replace("\"relu\",", "\"relu\""));
        String unknownOp = file("unknown-op.json", RELU_DIFFERENCE.replace("\"neg\"", "\"negate\""));
        String badPoint = file("bad.point.json", "{\"parameters\": {\"x\": [0.0, 1.0]}}");
        return Stream.of(
                Arguments.of(List.of("eval", malformed, "--point", point, "--backend", "tape"), "malformed.json: $: malformed JSON"),
                Arguments.of(List.of("eval", unknownOp, "--point", point, "--backend", "tape"),
                        "unknown-op.json: $.nodes[1].op: unknown op 'negate'"),
                Arguments.of(List.of("eval", proc, "--point", badPoint, "--backend", "tape"),
                        "bad.point.json: $.parameters.x: 2 values, but shape [1] needs 1"),
                Arguments.of(List.of("eval", dir.resolve("missing.json").toString(), "--point", point), "missing.json: $: file not found"),
                Arguments.of(List.of("eval", proc, "--point", point, "--backend", "nosuch"), "no backend named 'nosuch'"),
                Arguments.of(List.of("eval", proc, "--point", point, "--backend", "tape", "--dtype", "float8"),
                        "unknown precision 'float8'"),
                Arguments.of(List.of("eval", proc, "--backend", "tape"), "Missing required option: '--point=P'"),
                Arguments.of(List.of("eval", proc, "--point", point, "--format", "xml"), "--format"),
                Arguments.of(List.of("eval", proc, "--point", point, "--bogus"), "Unknown option: '--bogus'"));
    }

    @ParameterizedTest
    @MethodSource("badInvocations")
    void badInputExitsTwoWithOneLineAndNoStackTrace(List<String> args, String expected) {
        CliRun r = CliRun.of(args.toArray(String[]::new));
        assertEquals(2, r.exit(), r.err());
        assertEquals(1, r.errLines().size(), "exactly one line on stderr: " + r.err());
        String line = r.errLines().get(0);
        assertTrue(line.startsWith("abscert eval: "), line);
        assertTrue(line.contains(expected), line);
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat "), r.err());
        assertEquals("", r.out(), "no partial result on stdout");
    }

    private static List<Double> doubles(JsonNode arr) {
        return java.util.stream.StreamSupport.stream(arr.spliterator(), false).map(JsonNode::asDouble).toList();
    }
}
