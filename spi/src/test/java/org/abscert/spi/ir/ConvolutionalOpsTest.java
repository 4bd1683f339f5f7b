package org.abscert.spi.ir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.stream.Stream;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.json.ProcedureJson;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Shapes, switch counts and input errors of the convolutional ops (DESIGN.md "Convolutional ops and more"):
 * every shape follows PyTorch's formulas, max_pool2d owns m − 1 switches per output element, and every
 * inconsistent shape or attribute is one {@code FILE: PATH: PROBLEM} line.
 */
class ConvolutionalOpsTest {

    /** A procedure with image x [2,3,8,8], kernel k [4,3,3,3], bias b [4], per-channel g [3], and the given node n. */
    static String with(String node) {
        return """
                {"format": "abscert/procedure@1", "name": "t",
                 "parameters": [{"name": "x", "shape": [2, 3, 8, 8]}, {"name": "k", "shape": [4, 3, 3, 3]},
                                {"name": "b", "shape": [4]}, {"name": "g", "shape": [3]}, {"name": "m", "shape": [2, 3]}],
                 "nodes": [%s, {"id": "y", "op": "sum", "args": ["n"]}],
                 "output": "y"}""".formatted(node);
    }

    static Procedure parse(String node) throws InvalidInputException {
        return ProcedureJson.parse("t.json", with(node));
    }

    static Stream<Arguments> shapes() {
        return Stream.of(
                Arguments.of("{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"x\", \"k\", \"b\"]}", new int[] {2, 4, 6, 6}),
                Arguments.of("{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"x\", \"k\"], \"stride\": [2, 1], \"padding\": 1}",
                        new int[] {2, 4, 4, 8}),
                // H' = ⌊(8 + 2·0 − 2·(3−1) − 1)/1⌋ + 1 = 4
                Arguments.of("{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"x\", \"k\"], \"dilation\": [2, 2]}", new int[] {2, 4, 4, 4}),
                Arguments.of("{\"id\": \"n\", \"op\": \"max_pool2d\", \"args\": [\"x\"], \"kernel\": [2, 2]}", new int[] {2, 3, 4, 4}),
                Arguments.of("{\"id\": \"n\", \"op\": \"max_pool2d\", \"args\": [\"x\"], \"kernel\": 3, \"stride\": 2, \"padding\": 1}",
                        new int[] {2, 3, 4, 4}),
                Arguments.of("{\"id\": \"n\", \"op\": \"avg_pool2d\", \"args\": [\"x\"], \"kernel\": [3, 3], \"stride\": [1, 1]}",
                        new int[] {2, 3, 6, 6}),
                Arguments.of("{\"id\": \"n\", \"op\": \"global_avg_pool2d\", \"args\": [\"x\"]}", new int[] {2, 3}),
                Arguments.of("{\"id\": \"n\", \"op\": \"flatten\", \"args\": [\"x\"]}", new int[] {2, 192}),
                Arguments.of("{\"id\": \"n\", \"op\": \"reshape\", \"args\": [\"x\"], \"shape\": [-1, 64]}", new int[] {6, 64}),
                Arguments.of("{\"id\": \"n\", \"op\": \"batch_norm\", \"args\": [\"x\", \"g\", \"g\"], \"eps\": 0.001}", new int[] {2, 3, 8, 8}),
                Arguments.of("{\"id\": \"n\", \"op\": \"batch_norm\", \"args\": [\"m\", \"g\", \"g\"]}", new int[] {2, 3}),
                Arguments.of("{\"id\": \"n\", \"op\": \"batch_norm_eval\", \"args\": [\"x\", \"g\", \"g\", \"g\", \"g\"]}", new int[] {2, 3, 8, 8}));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void shapesFollowPyTorchFormulas(String node, int[] expected) throws InvalidInputException {
        assertArrayEquals(expected, parse(node).shape("n").dims());
    }

    @Test
    void groupedConvolutionNeedsChannelsPerGroup() throws InvalidInputException {
        String json = """
                {"format": "abscert/procedure@1", "name": "t",
                 "parameters": [{"name": "x", "shape": [1, 4, 5, 5]}, {"name": "k", "shape": [6, 2, 3, 3]}],
                 "nodes": [{"id": "n", "op": "conv2d", "args": ["x", "k"], "groups": 2}, {"id": "y", "op": "sum", "args": ["n"]}],
                 "output": "y"}""";
        assertArrayEquals(new int[] {1, 6, 3, 3}, ProcedureJson.parse("t.json", json).shape("n").dims());
    }

    @Test
    void maxPoolOwnsOneSwitchFewerThanItsCellsInsideTheInput() throws InvalidInputException {
        // 2×2 windows, no padding: 4 cells, 3 switches per output element, 2·3·4·4 elements
        assertEquals(2 * 3 * 16 * 3, parse("{\"id\": \"n\", \"op\": \"max_pool2d\", \"args\": [\"x\"], \"kernel\": 2}").switchCount());
        // 3×3 windows, stride 2, padding 1 on 8×8: output rows/cols 0 have 2 cells inside per axis, the others 3
        int perPlane = 0;
        for (int oy = 0; oy < 4; oy++) for (int ox = 0; ox < 4; ox++) perPlane += (oy == 0 ? 2 : 3) * (ox == 0 ? 2 : 3) - 1;
        Procedure p = parse("{\"id\": \"n\", \"op\": \"max_pool2d\", \"args\": [\"x\"], \"kernel\": 3, \"stride\": 2, \"padding\": 1}");
        assertEquals(2 * 3 * perPlane, p.switchCount());
        assertEquals(2 * 3 * perPlane, p.switchesOf(0));
        Window2d w = Window2d.of(p, 0);
        // the first window's inside cells in row-major order: (0,0), (0,1), (1,0), (1,1)
        assertArrayEquals(new int[] {0, 1, 8, 9}, w.inside(0));
        for (int k = 0; k < w.planeSwitches; k++) {
            int pos = w.positionOfSwitch(k);
            assertTrue(w.switchStart(pos) <= k && k < w.switchStart(pos) + w.inside(pos).length - 1, "switch " + k);
        }
    }

    @Test
    void noOtherOpHasSwitches() throws InvalidInputException {
        for (String node : new String[] {"{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"x\", \"k\", \"b\"]}",
                "{\"id\": \"n\", \"op\": \"avg_pool2d\", \"args\": [\"x\"], \"kernel\": 2}",
                "{\"id\": \"n\", \"op\": \"batch_norm\", \"args\": [\"x\", \"g\", \"g\"]}"})
            assertEquals(0, parse(node).switchCount(), node);
    }

    @Test
    void attributesSurviveWritingAndReading() throws InvalidInputException {
        Procedure p = parse("{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"x\", \"k\"], \"stride\": [2, 1], \"padding\": 1, \"groups\": 1}");
        Procedure q = ProcedureJson.parse("again.json", ProcedureJson.write(p));
        assertEquals(p.nodes(), q.nodes());
        assertArrayEquals(new int[] {2, 1}, q.node(0).pair("stride", new int[] {1, 1}));
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"x\"]}", "$.nodes[0].args", "takes 2 or 3 arguments, got 1"),
                Arguments.of("{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"m\", \"k\"]}", "$.nodes[0]", "NCHW input"),
                Arguments.of("{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"x\", \"g\"]}", "$.nodes[0]", "weight [O,C/groups,kh,kw]"),
                Arguments.of("{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"x\", \"k\", \"g\"]}", "$.nodes[0]", "bias must have shape [4]"),
                Arguments.of("{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"x\", \"k\"], \"groups\": 2}", "$.nodes[0].groups",
                        "does not divide the 3 input channels"),
                Arguments.of("{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"x\", \"k\"], \"groups\": 1.5}", "$.nodes[0].groups",
                        "positive integer"),
                Arguments.of("{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"x\", \"k\"], \"stride\": [0, 1]}", "$.nodes[0].stride[0]",
                        "at least 1"),
                Arguments.of("{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"x\", \"k\"], \"padding\": [1, 1, 1]}", "$.nodes[0].padding",
                        "must be [rows, cols]"),
                Arguments.of("{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"x\", \"k\"], \"dilation\": 5}", "$.nodes[0]", "does not fit the input"),
                Arguments.of("{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"x\", \"k\"], \"stride\": \"2\"}", "$.nodes[0].stride",
                        "expected an array"),
                Arguments.of("{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"x\", \"k\"], \"kernel\": 2}", "$.nodes[0].kernel",
                        "has no attribute 'kernel'"),
                Arguments.of("{\"id\": \"n\", \"op\": \"max_pool2d\", \"args\": [\"x\"]}", "$.nodes[0]", "needs attribute 'kernel'"),
                Arguments.of("{\"id\": \"n\", \"op\": \"max_pool2d\", \"args\": [\"x\"], \"kernel\": 2, \"padding\": 2}", "$.nodes[0].padding",
                        "exceeds half the kernel"),
                Arguments.of("{\"id\": \"n\", \"op\": \"max_pool2d\", \"args\": [\"x\"], \"kernel\": 9}", "$.nodes[0].kernel", "does not fit"),
                Arguments.of("{\"id\": \"n\", \"op\": \"avg_pool2d\", \"args\": [\"m\"], \"kernel\": 1}", "$.nodes[0]", "NCHW input"),
                Arguments.of("{\"id\": \"n\", \"op\": \"global_avg_pool2d\", \"args\": [\"m\"]}", "$.nodes[0]", "NCHW input"),
                Arguments.of("{\"id\": \"n\", \"op\": \"flatten\", \"args\": [\"g\"]}", "$.nodes[0]", "rank 2 or more"),
                Arguments.of("{\"id\": \"n\", \"op\": \"reshape\", \"args\": [\"x\"]}", "$.nodes[0]", "needs attribute 'shape'"),
                Arguments.of("{\"id\": \"n\", \"op\": \"reshape\", \"args\": [\"x\"], \"shape\": [-1, -1]}", "$.nodes[0].shape[1]",
                        "only one entry"),
                Arguments.of("{\"id\": \"n\", \"op\": \"reshape\", \"args\": [\"x\"], \"shape\": [5, -1]}", "$.nodes[0].shape",
                        "cannot reshape [2, 3, 8, 8] (384 elements)"),
                Arguments.of("{\"id\": \"n\", \"op\": \"reshape\", \"args\": [\"x\"], \"shape\": [0, 384]}", "$.nodes[0].shape[0]",
                        "must be positive"),
                Arguments.of("{\"id\": \"n\", \"op\": \"reshape\", \"args\": [\"x\"], \"shape\": [2, 3]}", "$.nodes[0].shape",
                        "(6 elements)"),
                Arguments.of("{\"id\": \"n\", \"op\": \"batch_norm\", \"args\": [\"x\", \"b\", \"g\"]}", "$.nodes[0]",
                        "needs gamma of shape [3]"),
                Arguments.of("{\"id\": \"n\", \"op\": \"batch_norm\", \"args\": [\"g\", \"g\", \"g\"]}", "$.nodes[0]", "[N,C] or [N,C,H,W]"),
                Arguments.of("{\"id\": \"n\", \"op\": \"batch_norm\", \"args\": [\"x\", \"g\", \"g\"], \"eps\": 0}", "$.nodes[0].eps",
                        "eps must be positive"),
                Arguments.of("{\"id\": \"n\", \"op\": \"batch_norm_eval\", \"args\": [\"x\", \"g\", \"g\", \"g\", \"b\"]}", "$.nodes[0]",
                        "needs var of shape [3]"),
                Arguments.of("{\"id\": \"n\", \"op\": \"batch_norm_eval\", \"args\": [\"x\", \"g\", \"g\"]}", "$.nodes[0].args",
                        "takes 5 arguments, got 3"));
    }

    @ParameterizedTest(name = "{2}")
    @MethodSource("invalid")
    void everyInconsistentShapeOrAttributeIsOneLine(String node, String path, String problem) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> parse(node));
        assertEquals("t.json", e.source());
        assertEquals(path, e.path());
        assertTrue(e.problem().contains(problem), e.getMessage());
        assertEquals(1, e.getMessage().lines().count());
    }

    static final String LENET = """
            {"format": "abscert/procedure@1", "name": "lenet",
             "cnn": {"input": [1, 28, 28], "layers": [["conv", 6, 5, "relu"], ["maxpool", 2], ["conv", 16, 5, "relu"],
                     ["maxpool", 2], ["flatten"], ["dense", 120, "relu"], ["dense", 10, "identity"]],
                     "batchNorm": false, "loss": "softmax_cross_entropy", "batch": 32}}""";

    @Test
    void cnnShorthandExpandsLeNet() throws InvalidInputException {
        Procedure p = ProcedureJson.parse("lenet.json", LENET);
        assertArrayEquals(new int[] {32, 6, 24, 24}, p.shape("conv1").dims());
        assertArrayEquals(new int[] {32, 6, 12, 12}, p.shape("pool2").dims());
        assertArrayEquals(new int[] {32, 16, 4, 4}, p.shape("pool4").dims());
        assertArrayEquals(new int[] {32, 256}, p.shape("flat5").dims());
        assertArrayEquals(new int[] {256, 120}, p.shape("W6").dims());
        assertArrayEquals(new int[] {32, 10}, p.shape("Y").dims());
        // ReLU switches of both convs and the dense layer, plus 3 per 2×2 pooling output
        long relu = 32L * (6 * 24 * 24 + 16 * 8 * 8 + 120), pool = 3L * 32 * (6 * 12 * 12 + 16 * 4 * 4);
        assertEquals(relu + pool, p.switchCount());
    }

    @Test
    void cnnShorthandWithBatchNormDropsTheConvBias() throws InvalidInputException {
        Procedure p = ProcedureJson.parse("bn.json", LENET.replace("\"batchNorm\": false", "\"batchNorm\": true"));
        assertEquals(-1, p.parameterOffset("c1"));
        assertEquals(Op.BATCH_NORM, p.node(p.nodeIndex("bn1")).op());
        assertArrayEquals(new int[] {6}, p.shape("beta1").dims());
    }

    static Stream<Arguments> invalidCnn() {
        return Stream.of(
                Arguments.of("\"input\": [1, 28]", "$.cnn.input", "[channels, height, width]"),
                Arguments.of("[\"conv\", 6, 5]", "$.cnn.layers[0]", "[\"conv\", channels, kernel, activation]"),
                Arguments.of("[\"conv\", 6, 40, \"relu\"]", "$.cnn.layers[0][2]", "does not fit"),
                Arguments.of("[\"conv\", 6, 5, \"gelu\"]", "$.cnn.layers[0][3]", "unknown activation 'gelu'"),
                Arguments.of("[\"pool\", 2]", "$.cnn.layers[0][0]", "unknown layer 'pool'"),
                Arguments.of("[\"dense\", 10, \"relu\"]", "$.cnn.layers[0]", "add [\"flatten\"]"),
                Arguments.of("[\"maxpool\", 30]", "$.cnn.layers[0][1]", "does not fit"),
                Arguments.of("[\"flatten\"], [\"flatten\"]", "$.cnn.layers[1]", "flatten needs an image input"),
                Arguments.of("[\"conv\", 2, 3, \"relu\"]", "$.cnn.layers", "flat output"));
    }

    @ParameterizedTest(name = "{2}")
    @MethodSource("invalidCnn")
    void cnnShorthandErrorsPointIntoIt(String layers, String path, String problem) {
        String spec = layers.startsWith("\"input\"")
                ? "{" + layers + ", \"layers\": [[\"flatten\"]], \"loss\": \"mse\"}"
                : "{\"input\": [1, 28, 28], \"layers\": [" + layers + "], \"loss\": \"mse\"}";
        String json = "{\"format\": \"abscert/procedure@1\", \"name\": \"c\", \"cnn\": " + spec + "}";
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ProcedureJson.parse("c.json", json));
        assertEquals(path, e.path(), e.getMessage());
        assertTrue(e.problem().contains(problem), e.getMessage());
    }
}
