package org.abscert.spi.json;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.Precision;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Point and gradient files: flat and nested layouts, exact decimals, round trips and every error class. */
class PointJsonTest {

    /** W [2,3], b [3], s [] as parameters; X [2,2] as data. */
    static Procedure procedure() {
        var b = ProcedureBuilder.named("p");
        String w = b.parameter("W", 2, 3);
        String bias = b.parameter("b", 3);
        String s = b.parameter("s");
        String x = b.data("X", 2, 2);
        return b.build(b.sum(b.mul(b.add(b.matmul(x, w), bias), s)));
    }

    static final String FLAT = """
            {"parameters": {"W": [1, 2, 3, 4, 5, 6], "b": [0.5, -0.25, 0], "s": 2},
             "data": {"X": [1, 0, 0, 1]}}""";

    @Test
    void flatAndNestedLayoutsGiveTheSameRowMajorValues() throws InvalidInputException {
        Procedure p = procedure();
        Point flat = PointJson.parse("f.json", FLAT, p).point();
        Point nested = PointJson.parse("n.json", """
                {"parameters": {"W": [[1, 2, 3], [4, 5, 6]], "b": [0.5, -0.25, 0], "s": [2]},
                 "data": {"X": [[1, 0], [0, 1]]}}""", p).point();
        assertEquals(flat, nested);
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6, 0.5, -0.25, 0, 2}, flat.flatParameters(p));
        assertArrayEquals(new double[] {1, 0, 0, 1}, flat.data().get("X").values());
    }

    @Test
    void writeThenReadGivesTheSamePoint() throws InvalidInputException {
        Procedure p = procedure();
        Point x = PointJson.parse("f.json", FLAT, p).point();
        Point y = PointJson.parse("w.json", PointJson.write(p, x), p).point();
        assertEquals(x, y);
    }

    @Test
    void decimalsThatAreNotDoublesAreCountedAndFloat32RoundingIsReported() throws InvalidInputException {
        Procedure p = procedure();
        PointJson.Parsed parsed = PointJson.parse("f.json", FLAT.replace("0.5", "0.1"), p);
        assertEquals(1, parsed.inexactValues(), "0.1 is not a double; 1, 2, 0.5, -0.25 are");
        assertEquals(0.1, parsed.point().parameters().get("b").values()[0]);
        assertEquals(1, parsed.point().roundingChanges(Precision.FLOAT32));
        assertEquals(0, parsed.point().roundingChanges(Precision.FLOAT64));
        assertEquals((double) 0.1f, parsed.point().rounded(Precision.FLOAT32).parameters().get("b").values()[0]);
        assertEquals(0, PointJson.parse("f.json", FLAT, p).inexactValues());
    }

    @Test
    void gradientRoundTripsFlatInParameterOrder() throws InvalidInputException {
        Procedure p = procedure();
        double[] g = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        String text = GradientJson.write(p, g);
        assertArrayEquals(g, GradientJson.parse("g.json", text, p));
        assertArrayEquals(g, GradientJson.parse("g.json", """
                {"gradient": {"W": [[1, 2, 3], [4, 5, 6]], "b": [7, 8, 9], "s": 10}}""", p));
    }

    static Stream<Arguments> invalidPoints() {
        return Stream.of(
                Arguments.of("too many values", FLAT.replace("[0.5, -0.25, 0]", "[0.5, -0.25, 0, 1]"), "$.parameters.b",
                        "4 values, but shape [3] needs 3"),
                Arguments.of("too few values", FLAT.replace("[1, 2, 3, 4, 5, 6]", "[1, 2, 3]"), "$.parameters.W",
                        "3 values, but shape [2, 3] needs 6"),
                Arguments.of("ragged nesting", FLAT.replace("[1, 2, 3, 4, 5, 6]", "[[1, 2, 3], [4, 5]]"), "$.parameters.W[1]",
                        "2 entries along axis 1, but shape [2, 3] needs 3"),
                Arguments.of("string for a number", FLAT.replace("0.5", "\"NaN\""), "$.parameters.b[0]",
                        "expected a number, got a string"),
                Arguments.of("NaN literal", FLAT.replace("0.5", "NaN"), "$", "malformed JSON"),
                Arguments.of("Infinity literal", FLAT.replace("0.5", "Infinity"), "$", "malformed JSON"),
                Arguments.of("out of float64 range", FLAT.replace("0.5", "1e400"), "$.parameters.b[0]",
                        "out of the range of float64"),
                Arguments.of("missing parameter", FLAT.replace("\"s\": 2", "\"t\": 2"), "$.parameters.t",
                        "the procedure declares no 't' here"),
                Arguments.of("missing data section", "{\"parameters\": {\"W\": [1, 2, 3, 4, 5, 6], \"b\": [0, 0, 0], \"s\": 1}}",
                        "$", "missing key 'data'"),
                Arguments.of("missing tensor", FLAT.replace(", \"s\": 2", ""), "$.parameters", "missing 's' (shape [])"),
                Arguments.of("unknown top-level key", FLAT.replace("\"data\"", "\"extra\": 1, \"data\""), "$.extra",
                        "unknown key 'extra'"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidPoints")
    void invalidPointsNameFilePathAndProblem(String label, String text, String path, String problem) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> PointJson.parse("pt.json", text, procedure()));
        assertEquals("pt.json", e.source());
        assertEquals(path, e.path(), label + ": " + e.getMessage());
        assertTrue(e.problem().contains(problem), label + ": " + e.getMessage());
    }

    @Test
    void invalidGradientsNameFilePathAndProblem() {
        Procedure p = procedure();
        InvalidInputException missing = assertThrows(InvalidInputException.class,
                () -> GradientJson.parse("g.json", "{\"grad\": {}}", p));
        assertEquals("$.grad", missing.path());
        InvalidInputException count = assertThrows(InvalidInputException.class,
                () -> GradientJson.parse("g.json", "{\"gradient\": {\"W\": [1], \"b\": [0, 0, 0], \"s\": 1}}", p));
        assertEquals("g.json: $.gradient.W: 1 values, but shape [2, 3] needs 6", count.getMessage());
    }
}
