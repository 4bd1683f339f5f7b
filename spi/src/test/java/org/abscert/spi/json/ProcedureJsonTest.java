package org.abscert.spi.json;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.TensorDecl;
import org.junit.jupiter.api.Test;

/** Reading and writing procedure files: explicit nodes and the mlp shorthand survive a round trip. */
class ProcedureJsonTest {
    static final String RELU_DIFFERENCE = """
            {"format": "abscert/procedure@1", "name": "relu-difference",
             "parameters": [{"name": "x", "shape": [1]}],
             "data": [],
             "nodes": [
               {"id": "a",  "op": "relu", "args": ["x"]},
               {"id": "nx", "op": "neg",  "args": ["x"]},
               {"id": "b",  "op": "relu", "args": ["nx"]},
               {"id": "d",  "op": "sub",  "args": ["a", "b"]},
               {"id": "y",  "op": "sum",  "args": ["d"]}],
             "output": "y"}""";

    @Test
    void explicitNodesAreReadAsWritten() throws InvalidInputException {
        Procedure p = ProcedureJson.parse("f.json", RELU_DIFFERENCE);
        assertEquals("relu-difference", p.name());
        assertEquals(List.of(new TensorDecl("x", Shape.of(1))), p.parameters());
        assertEquals(new Node("d", Op.SUB, "a", "b"), p.nodes().get(3));
        assertEquals("y", p.output());
        assertEquals(Shape.SCALAR, p.shape("y"));
        assertEquals(2, p.switchCount());
        assertEquals(1, p.parameterSize());
    }

    @Test
    void writeThenReadGivesTheSameProcedure() throws InvalidInputException {
        String withAttributes = """
                {"format": "abscert/procedure@1", "name": "attrs",
                 "parameters": [{"name": "w", "shape": [2, 3]}, {"name": "s", "shape": []}],
                 "data": [{"name": "X", "shape": [4, 2]}],
                 "nodes": [
                   {"id": "z", "op": "matmul", "args": ["X", "w"]},
                   {"id": "h", "op": "leaky_relu", "args": ["z"], "alpha": 0.125},
                   {"id": "k", "op": "scale", "args": ["h"], "k": -2.5},
                   {"id": "m", "op": "mul", "args": ["k", "s"]},
                   {"id": "y", "op": "mean", "args": ["m"]}],
                 "output": "y"}""";
        for (String text : List.of(RELU_DIFFERENCE, withAttributes)) {
            Procedure p = ProcedureJson.parse("f.json", text);
            String written = ProcedureJson.write(p);
            Procedure q = ProcedureJson.parse("written.json", written);
            assertEquals(p.name(), q.name());
            assertEquals(p.parameters(), q.parameters());
            assertEquals(p.data(), q.data());
            assertEquals(p.nodes(), q.nodes());
            assertEquals(p.output(), q.output());
            assertEquals(written, ProcedureJson.write(q));
        }
    }

    @Test
    void mlpShorthandExpandsToParametersDataAndNodes() throws InvalidInputException {
        Procedure p = ProcedureJson.parse("m.json", """
                {"format": "abscert/procedure@1", "name": "net",
                 "mlp": {"input": 64, "layers": [[128, "relu"], [10, "identity"]], "bias": true,
                         "loss": "softmax_cross_entropy", "batch": 32}}""");
        assertEquals(List.of(new TensorDecl("W1", Shape.of(64, 128)), new TensorDecl("b1", Shape.of(128)),
                new TensorDecl("W2", Shape.of(128, 10)), new TensorDecl("b2", Shape.of(10))), p.parameters());
        assertEquals(List.of(new TensorDecl("X", Shape.of(32, 64)), new TensorDecl("Y", Shape.of(32, 10))), p.data());
        assertEquals(List.of("xw1", "z1", "h1", "xw2", "z2", "loss"), p.nodes().stream().map(Node::id).toList());
        assertEquals(new Node("z1", Op.ADD, "xw1", "b1"), p.nodes().get(1));
        assertEquals(Op.SOFTMAX_CROSS_ENTROPY, p.nodes().get(5).op());
        assertEquals("loss", p.output());
        assertEquals(32 * 128, p.switchCount());
        assertEquals(64 * 128 + 128 + 128 * 10 + 10, p.parameterSize());
        // the written form is the expansion; it reads back to the same procedure
        Procedure q = ProcedureJson.parse("w.json", ProcedureJson.write(p));
        assertEquals(p.nodes(), q.nodes());
        assertEquals(p.parameters(), q.parameters());
        assertEquals(p.data(), q.data());
    }

    @Test
    void mlpShorthandWithoutBiasAndWithLeakyAlpha() throws InvalidInputException {
        Procedure p = ProcedureJson.parse("m.json", """
                {"format": "abscert/procedure@1", "name": "net",
                 "mlp": {"input": 3, "layers": [[4, "leaky_relu", 0.2], [2, "identity"]], "bias": false, "loss": "l1"}}""");
        assertEquals(List.of("W1", "W2"), p.parameters().stream().map(TensorDecl::name).toList());
        assertEquals(new Node("z1", Op.MATMUL, "X", "W1"), p.nodes().get(0));
        assertEquals(0.2, p.nodes().get(1).attribute("alpha"));
        assertEquals(Shape.of(1, 3), p.shape("X"), "batch defaults to 1");
        // l1 loss: mean of |h − Y|, adding 2 switches after the 4 of layer 1
        assertEquals(List.of(Op.MATMUL, Op.LEAKY_RELU, Op.MATMUL, Op.SUB, Op.ABS, Op.MEAN),
                p.nodes().stream().map(Node::op).toList());
        assertEquals(6, p.switchCount());
        assertEquals(4, p.switchOffset(4));
    }
}
