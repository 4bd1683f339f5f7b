package org.abscert.experiments;

import java.util.List;
import java.util.Map;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.ProcedureBuilder;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;

/** The scalar test vectors of THEORY.md §10, each at its stated point. */
public final class TheoryVectors {
    private TheoryVectors() {}

    /** The six closed-form vectors, in the order of the table. */
    public static List<Case> all() {
        return List.of(
                of("abs", "|x|", "x = 0", "[−1, 1]", "any slope c ∈ [−1, 1] is correct",
                        b -> b.abs("x"), Map.of("x", 0.0)),
                of("relu-difference", "relu(x) − relu(−x)", "x = 0", "{1}",
                        "relu′(0) = 0 gives 0, outside ∂f; LIKQ fails",
                        b -> b.sub(b.relu("x"), b.relu(b.neg("x"))), Map.of("x", 0.0)),
                of("abs-minus-abs", "|x| − |x| (two abs nodes)", "x = 0", "{0}",
                        "equal slopes at both nodes are correct, unequal ones wrong",
                        b -> b.sub(b.abs("x"), b.abs("x")), Map.of("x", 0.0)),
                of("max-tie", "max(x, y)", "x = y = 0.5", "conv{(1, 0), (0, 1)}",
                        "ties split (½, ½) are correct; (1, 1) is not abs-consistent",
                        b -> b.max("x", "y"), Map.of("x", 0.5, "y", 0.5)),
                of("abs-sum", "|x| + |y|", "(x, y) = (0, 0)", "[−1, 1]²", "LIKQ holds",
                        b -> b.add(b.abs("x"), b.abs("y")), Map.of("x", 0.0, "y", 0.0)),
                of("relu-of-relu", "h = relu(x); relu(h) − h", "x = 0", "{0}",
                        "relu′(0) ∈ {0, 1} is correct, ½ gives −¼; a zero row",
                        b -> {
                            String h = b.relu("x");
                            return b.sub(b.relu(h), h);
                        }, Map.of("x", 0.0)));
    }

    private interface Body {
        String build(ProcedureBuilder b);
    }

    private static Case of(String id, String title, String pointText, String clarke, String note, Body body,
                           Map<String, Double> values) {
        ProcedureBuilder b = ProcedureBuilder.named(id);
        // parameters in a fixed order (x, then y) so gradients read as (∂/∂x, ∂/∂y)
        List<String> names = values.containsKey("y") ? List.of("x", "y") : List.of("x");
        for (String n : names) b.parameter(n, 1);
        Procedure p = b.build(b.sum(body.build(b)));
        java.util.LinkedHashMap<String, Tensor> params = new java.util.LinkedHashMap<>();
        for (String n : names) params.put(n, Tensor.of(Shape.of(1), values.get(n)));
        return new Case(id, "theory", title, pointText, clarke, note, p, new Point(params, Map.of()));
    }
}
