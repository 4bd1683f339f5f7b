package org.abscert.tape;

import java.util.LinkedHashMap;
import java.util.Map;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.json.ProcedureJson;

/** Small procedures with every convolutional op, each weighted by random data so every output element matters. */
final class CnnCases {
    private CnnCases() {}

    /**
     * A procedure whose parameters are {@code params} (JSON declarations), with node {@code n} given by
     * {@code node} and y = sum(n ⊙ w) for a data weight w of n's shape {@code out}.
     */
    static Procedure of(String name, String params, String node, String out) {
        String json = """
                {"format": "abscert/procedure@1", "name": "%s",
                 "parameters": [%s],
                 "data": [{"name": "w", "shape": %s}],
                 "nodes": [%s, {"id": "nw", "op": "mul", "args": ["n", "w"]}, {"id": "y", "op": "sum", "args": ["nw"]}],
                 "output": "y"}""".formatted(name, params, out, node);
        try {
            return ProcedureJson.parse(name, json);
        } catch (InvalidInputException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    static final String X = "{\"name\": \"x\", \"shape\": [2, 4, 5, 5]}";

    /** One case per op and attribute combination. */
    static Map<String, Procedure> all() {
        Map<String, Procedure> m = new LinkedHashMap<>();
        m.put("conv2d with bias", of("conv", X + ", {\"name\": \"k\", \"shape\": [3, 4, 3, 3]}, {\"name\": \"b\", \"shape\": [3]}",
                "{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"x\", \"k\", \"b\"]}", "[2, 3, 3, 3]"));
        m.put("conv2d stride, padding, dilation", of("conv-spd", X + ", {\"name\": \"k\", \"shape\": [3, 4, 2, 3]}",
                "{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"x\", \"k\"], \"stride\": [2, 1], \"padding\": [1, 2], \"dilation\": [2, 1]}",
                "[2, 3, 3, 7]"));
        m.put("conv2d groups", of("conv-g", X + ", {\"name\": \"k\", \"shape\": [6, 2, 2, 2]}, {\"name\": \"b\", \"shape\": [6]}",
                "{\"id\": \"n\", \"op\": \"conv2d\", \"args\": [\"x\", \"k\", \"b\"], \"groups\": 2}", "[2, 6, 4, 4]"));
        m.put("max_pool2d 2x2", of("mp", X, "{\"id\": \"n\", \"op\": \"max_pool2d\", \"args\": [\"x\"], \"kernel\": 2}", "[2, 4, 2, 2]"));
        m.put("max_pool2d overlapping, padded", of("mp-o", X,
                "{\"id\": \"n\", \"op\": \"max_pool2d\", \"args\": [\"x\"], \"kernel\": 3, \"stride\": 2, \"padding\": 1}", "[2, 4, 3, 3]"));
        m.put("avg_pool2d padded", of("ap", X,
                "{\"id\": \"n\", \"op\": \"avg_pool2d\", \"args\": [\"x\"], \"kernel\": [2, 3], \"stride\": [1, 2], \"padding\": [1, 1]}",
                "[2, 4, 6, 3]"));
        m.put("global_avg_pool2d", of("gap", X, "{\"id\": \"n\", \"op\": \"global_avg_pool2d\", \"args\": [\"x\"]}", "[2, 4]"));
        m.put("reshape", of("rs", X, "{\"id\": \"n\", \"op\": \"reshape\", \"args\": [\"x\"], \"shape\": [10, -1]}", "[10, 20]"));
        m.put("flatten", of("fl", X, "{\"id\": \"n\", \"op\": \"flatten\", \"args\": [\"x\"]}", "[2, 100]"));
        m.put("batch_norm NCHW", of("bn", X + ", {\"name\": \"g\", \"shape\": [4]}, {\"name\": \"be\", \"shape\": [4]}",
                "{\"id\": \"n\", \"op\": \"batch_norm\", \"args\": [\"x\", \"g\", \"be\"]}", "[2, 4, 5, 5]"));
        m.put("batch_norm NC", of("bn2", "{\"name\": \"x\", \"shape\": [5, 3]}, {\"name\": \"g\", \"shape\": [3]}, {\"name\": \"be\", \"shape\": [3]}",
                "{\"id\": \"n\", \"op\": \"batch_norm\", \"args\": [\"x\", \"g\", \"be\"], \"eps\": 0.01}", "[5, 3]"));
        // var enters through exp so that it stays positive at random points
        String eval = """
                {"id": "var", "op": "exp", "args": ["lv"]},
                {"id": "n", "op": "batch_norm_eval", "args": ["x", "g", "be", "mu", "var"]}""";
        m.put("batch_norm_eval", of("bne", X + ", {\"name\": \"g\", \"shape\": [4]}, {\"name\": \"be\", \"shape\": [4]}, "
                + "{\"name\": \"mu\", \"shape\": [4]}, {\"name\": \"lv\", \"shape\": [4]}", eval, "[2, 4, 5, 5]"));
        return m;
    }
}
