package org.abscert.spi.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every class of invalid procedure file is rejected with one message of the form {@code FILE: PATH: PROBLEM}
 * that names the file, the JSON path of the offending value and what is wrong with it.
 */
class ProcedureValidationTest {

    /** A procedure file with one parameter x [2,3] (plus v [2]) and the given nodes and output. */
    static String withNodes(String nodes, String output) {
        return """
                {"format": "abscert/procedure@1", "name": "t",
                 "parameters": [{"name": "x", "shape": [2, 3]}, {"name": "v", "shape": [2]}],
                 "data": [{"name": "d", "shape": [3]}],
                 "nodes": [%s],
                 "output": "%s"}""".formatted(nodes, output);
    }

    static Stream<Arguments> invalid() {
        String sum = "{\"id\": \"y\", \"op\": \"sum\", \"args\": [\"r\"]}";
        return Stream.of(
                Arguments.of("malformed JSON", "{\"format\": ", "$", "malformed JSON at line 1"),
                Arguments.of("trailing content", "{} {}", "$", "malformed JSON"),
                Arguments.of("duplicate key", "{\"name\": \"a\", \"name\": \"b\"}", "$.name", "duplicate key 'name'"),
                Arguments.of("NaN literal", withNodes("{\"id\": \"r\", \"op\": \"scale\", \"args\": [\"x\"], \"k\": NaN}", "r"),
                        "$", "malformed JSON"),
                Arguments.of("empty document", "", "$", "empty document"),
                Arguments.of("not an object", "[1, 2]", "$", "expected an object, got an array"),
                Arguments.of("wrong format", withNodes(sum, "y").replace("procedure@1", "procedure@9"), "$.format",
                        "unsupported format 'abscert/procedure@9'"),
                Arguments.of("unknown top-level key", withNodes(sum, "y").replace("\"name\": \"t\",", "\"name\": \"t\", \"extra\": 1,"),
                        "$.extra", "unknown key 'extra'"),
                Arguments.of("unknown declaration key", withNodes(sum, "y").replace("\"shape\": [2]}", "\"shape\": [2], \"dtype\": \"f\"}"),
                        "$.parameters[1].dtype", "unknown key 'dtype'"),
                Arguments.of("missing nodes", "{\"format\": \"abscert/procedure@1\", \"name\": \"t\", \"parameters\": [], \"output\": \"y\"}",
                        "$", "missing key 'nodes'"),
                Arguments.of("missing args", withNodes("{\"id\": \"r\", \"op\": \"relu\"}", "r"), "$.nodes[0]", "missing key 'args'"),
                Arguments.of("unknown op", withNodes("{\"id\": \"r\", \"op\": \"gelu\", \"args\": [\"x\"]}", "r"),
                        "$.nodes[0].op", "unknown op 'gelu'"),
                Arguments.of("wrong arity", withNodes("{\"id\": \"r\", \"op\": \"relu\", \"args\": [\"x\", \"x\"]}", "r"),
                        "$.nodes[0].args", "op 'relu' takes 1 argument, got 2"),
                Arguments.of("wrong arity binary", withNodes("{\"id\": \"r\", \"op\": \"add\", \"args\": [\"x\"]}", "r"),
                        "$.nodes[0].args", "op 'add' takes 2 arguments, got 1"),
                Arguments.of("missing attribute", withNodes("{\"id\": \"r\", \"op\": \"leaky_relu\", \"args\": [\"x\"]}", "r"),
                        "$.nodes[0]", "op 'leaky_relu' needs attribute 'alpha'"),
                Arguments.of("unknown attribute", withNodes("{\"id\": \"r\", \"op\": \"relu\", \"args\": [\"x\"], \"alpha\": 0.1}", "r"),
                        "$.nodes[0].alpha", "op 'relu' has no attribute 'alpha'"),
                Arguments.of("attribute not a number", withNodes("{\"id\": \"r\", \"op\": \"scale\", \"args\": [\"x\"], \"k\": \"2\"}", "r"),
                        "$.nodes[0].k", "expected a number, got a string"),
                Arguments.of("attribute out of float64 range", withNodes("{\"id\": \"r\", \"op\": \"scale\", \"args\": [\"x\"], \"k\": 1e400}", "r"),
                        "$.nodes[0].k", "out of the range of float64"),
                Arguments.of("alpha out of range", withNodes("{\"id\": \"r\", \"op\": \"leaky_relu\", \"args\": [\"x\"], \"alpha\": 1.5}", "r"),
                        "$.nodes[0].alpha", "alpha must be in [0, 1)"),
                Arguments.of("undefined id", withNodes("{\"id\": \"r\", \"op\": \"relu\", \"args\": [\"q\"]}", "r"),
                        "$.nodes[0].args[0]", "undefined id 'q'"),
                Arguments.of("forward reference", withNodes("{\"id\": \"r\", \"op\": \"relu\", \"args\": [\"s\"]}, "
                        + "{\"id\": \"s\", \"op\": \"neg\", \"args\": [\"x\"]}", "r"),
                        "$.nodes[0].args[0]", "'s' is defined later (nodes[1])"),
                Arguments.of("self reference", withNodes("{\"id\": \"r\", \"op\": \"relu\", \"args\": [\"r\"]}", "r"),
                        "$.nodes[0].args[0]", "node 'r' cannot use itself"),
                Arguments.of("duplicate node id", withNodes("{\"id\": \"r\", \"op\": \"relu\", \"args\": [\"x\"]}, "
                        + "{\"id\": \"r\", \"op\": \"neg\", \"args\": [\"x\"]}", "r"),
                        "$.nodes[1].id", "duplicate id 'r' (already a node)"),
                Arguments.of("node id equal to a parameter", withNodes("{\"id\": \"x\", \"op\": \"relu\", \"args\": [\"x\"]}", "x"),
                        "$.nodes[0].id", "duplicate id 'x' (already a parameter)"),
                Arguments.of("duplicate parameter", withNodes(sum, "y").replace("\"name\": \"v\"", "\"name\": \"x\""),
                        "$.parameters[1].name", "duplicate name 'x' (already a parameter)"),
                Arguments.of("broadcast mismatch", withNodes("{\"id\": \"r\", \"op\": \"add\", \"args\": [\"x\", \"v\"]}", "r"),
                        "$.nodes[0]", "shape mismatch: cannot broadcast [2, 3] with [2]"),
                Arguments.of("matmul inner dimensions", withNodes("{\"id\": \"r\", \"op\": \"matmul\", \"args\": [\"x\", \"x\"]}", "r"),
                        "$.nodes[0]", "inner dimensions 3 ≠ 2"),
                Arguments.of("matmul ranks", withNodes("{\"id\": \"r\", \"op\": \"matmul\", \"args\": [\"v\", \"x\"]}", "r"),
                        "$.nodes[0]", "matmul takes 2-D × 2-D or 2-D × 1-D, got [2] × [2, 3]"),
                Arguments.of("mse shapes", withNodes("{\"id\": \"r\", \"op\": \"mse\", \"args\": [\"x\", \"d\"]}", "r"),
                        "$.nodes[0]", "mse needs equal shapes"),
                Arguments.of("non-scalar output", withNodes("{\"id\": \"r\", \"op\": \"relu\", \"args\": [\"x\"]}", "r"),
                        "$.output", "output 'r' must be a scalar, has shape [2, 3]"),
                Arguments.of("output not a node", withNodes("{\"id\": \"r\", \"op\": \"relu\", \"args\": [\"x\"]}", "x"),
                        "$.output", "output 'x' must be a node, not a parameter"),
                Arguments.of("undefined output", withNodes("{\"id\": \"r\", \"op\": \"relu\", \"args\": [\"x\"]}", "zz"),
                        "$.output", "undefined id 'zz'"),
                Arguments.of("negative dimension", withNodes(sum, "y").replace("[2, 3]", "[2, -3]"),
                        "$.parameters[0].shape[1]", "out of range"),
                Arguments.of("tensor exceeding the per-tensor cap", withNodes(sum, "y").replace("[2, 3]", "[100000, 100000]"),
                        "$.parameters[0].shape", "more than " + Shape.MAX_ELEMENTS + " elements"),
                Arguments.of("procedure exceeding the total cap", totalCap(), "$.nodes[6]",
                        "exceed the cap of " + Procedure.MAX_TOTAL_ELEMENTS + " elements"),
                Arguments.of("no parameters", "{\"format\": \"abscert/procedure@1\", \"name\": \"t\", \"parameters\": [], "
                        + "\"nodes\": [], \"output\": \"y\"}", "$.parameters", "at least one parameter"),
                Arguments.of("mlp unknown activation", mlp("[[4, \"gelu\"]]", "mse"), "$.mlp.layers[0][1]", "unknown activation 'gelu'"),
                Arguments.of("mlp unknown loss", mlp("[[4, \"relu\"]]", "hinge"), "$.mlp.loss", "unknown loss 'hinge'"),
                Arguments.of("mlp zero width", mlp("[[0, \"relu\"]]", "mse"), "$.mlp.layers[0][0]", "out of range"),
                Arguments.of("mlp alpha on relu", mlp("[[4, \"relu\", 0.1]]", "mse"), "$.mlp.layers[0][2]", "only leaky_relu"),
                Arguments.of("mlp unknown key", mlp("[[4, \"relu\"]]", "mse").replace("\"batch\"", "\"batches\""),
                        "$.mlp.batches", "unknown key 'batches'"),
                Arguments.of("mlp together with nodes", mlp("[[4, \"relu\"]]", "mse").replace("\"name\": \"m\",", "\"name\": \"m\", \"nodes\": [],"),
                        "$.nodes", "cannot be given together with 'mlp'"));
    }

    static String mlp(String layers, String loss) {
        return "{\"format\": \"abscert/procedure@1\", \"name\": \"m\", \"mlp\": {\"input\": 3, \"layers\": " + layers
                + ", \"loss\": \"" + loss + "\", \"batch\": 2}}";
    }

    /** Nodes of 2^22 elements each after a 2^22-element parameter: the seventh passes the 2^25 total cap. */
    static String totalCap() {
        StringBuilder nodes = new StringBuilder();
        String prev = "x";
        for (int i = 0; i < 8; i++) {
            nodes.append(i == 0 ? "" : ", ").append("{\"id\": \"n").append(i).append("\", \"op\": \"neg\", \"args\": [\"")
                    .append(prev).append("\"]}");
            prev = "n" + i;
        }
        return withNodes(nodes.toString(), prev).replace("[2, 3]", "[2048, 2048]");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalid")
    void rejectedWithFilePathAndProblem(String label, String text, String path, String problem) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ProcedureJson.parse("bad.json", text));
        assertEquals("bad.json", e.source(), label);
        assertEquals(path, e.path(), label + ": " + e.getMessage());
        assertTrue(e.problem().contains(problem), label + ": " + e.getMessage());
        assertEquals("bad.json: " + path + ": " + e.problem(), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }
}
