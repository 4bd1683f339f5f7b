package org.abscert.properties.cnn;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.abscert.certifier.anf.Forward;
import org.abscert.certifier.anf.Program;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Point;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.json.PointJson;
import org.abscert.spi.json.ProcedureJson;

/**
 * A generated convolutional network and a point: 1–3 conv layers (bias, or batch norm with β), ReLU, max pooling
 * with and without overlapping windows, a residual add, a dropout mask, a dense head and an MSE loss. All values
 * are small dyadic rationals, so every backend computes the same zeros. {@link #forceReluKink} moves the first
 * conv bias (or β) so that one pre-activation is exactly zero.
 *
 * @param procedure the network
 * @param point     its parameters and data
 * @param layers    what was generated, for failure messages
 */
record CnnCase(Procedure procedure, Point point, String layers) {

    /** Dyadic values k/8 with |k| ≤ 16. */
    static double dyadic(Random r) { return (r.nextInt(33) - 16) / 8.0; }

    static CnnCase generate(long seed) {
        Random r = new Random(seed);
        int batch = 1 + r.nextInt(3), channels = 1 + r.nextInt(2), size = 6 + r.nextInt(4);
        int convs = 1 + r.nextInt(3);
        boolean batchNorm = r.nextInt(3) == 0;
        List<String> params = new ArrayList<>(), data = new ArrayList<>(), nodes = new ArrayList<>();
        StringBuilder what = new StringBuilder("batch " + batch + ", " + channels + "x" + size + "x" + size);
        data.add(decl("X", batch, channels, size, size));
        String h = "X";
        int c = channels, s = size;
        for (int l = 1; l <= convs; l++) {
            boolean residual = l > 1 && r.nextBoolean();
            int out = residual ? c : 1 + r.nextInt(3), k = residual ? 3 : 2 + r.nextInt(2), pad = residual ? 1 : 0;
            params.add(decl("K" + l, out, c, k, k));
            String conv = "{\"id\": \"conv" + l + "\", \"op\": \"conv2d\", \"args\": [\"" + h + "\", \"K" + l + "\""
                    + (batchNorm ? "" : ", \"c" + l + "\"") + "], \"padding\": " + pad + "}";
            nodes.add(conv);
            String pre = "conv" + l;
            if (batchNorm) {
                params.add(decl("gamma" + l, out));
                params.add(decl("beta" + l, out));
                nodes.add("{\"id\": \"bn" + l + "\", \"op\": \"batch_norm\", \"args\": [\"conv" + l + "\", \"gamma" + l + "\", \"beta" + l + "\"]}");
                pre = "bn" + l;
            } else {
                params.add(decl("c" + l, out));
            }
            nodes.add("{\"id\": \"h" + l + "\", \"op\": \"relu\", \"args\": [\"" + pre + "\"]}");
            String next = "h" + l;
            if (residual) {
                nodes.add("{\"id\": \"res" + l + "\", \"op\": \"add\", \"args\": [\"h" + l + "\", \"" + h + "\"]}");
                next = "res" + l;
            }
            c = out;
            s = s - k + 1 + 2 * pad;
            what.append(", conv ").append(out).append('@').append(k).append(batchNorm ? "+bn" : "").append(residual ? "+residual" : "");
            if (s >= 2 && r.nextBoolean()) {
                boolean overlap = s >= 3 && r.nextBoolean();
                int stride = overlap ? 1 : 2;
                nodes.add("{\"id\": \"pool" + l + "\", \"op\": \"max_pool2d\", \"args\": [\"" + next + "\"], \"kernel\": 2, \"stride\": " + stride + "}");
                next = "pool" + l;
                s = (s - 2) / stride + 1;
                what.append(", maxpool 2/").append(stride);
            }
            h = next;
            if (s < 3) break;
        }
        nodes.add("{\"id\": \"flat\", \"op\": \"flatten\", \"args\": [\"" + h + "\"]}");
        int features = c * s * s;
        if (r.nextBoolean()) {
            data.add(decl("mask", batch, features));
            nodes.add("{\"id\": \"drop\", \"op\": \"mul\", \"args\": [\"flat\", \"mask\"]}");
            h = "drop";
            what.append(", dropout");
        } else {
            h = "flat";
        }
        params.add(decl("W", features, 2));
        params.add(decl("b", 2));
        data.add(decl("Y", batch, 2));
        nodes.add("{\"id\": \"xw\", \"op\": \"matmul\", \"args\": [\"" + h + "\", \"W\"]}");
        nodes.add("{\"id\": \"z\", \"op\": \"add\", \"args\": [\"xw\", \"b\"]}");
        nodes.add("{\"id\": \"loss\", \"op\": \"mse\", \"args\": [\"z\", \"Y\"]}");
        String json = "{\"format\": \"abscert/procedure@1\", \"name\": \"cnn-" + seed + "\", \"parameters\": [" + String.join(", ", params)
                + "], \"data\": [" + String.join(", ", data) + "], \"nodes\": [" + String.join(", ", nodes) + "], \"output\": \"loss\"}";
        Procedure p;
        try {
            p = ProcedureJson.parse("cnn-" + seed, json);
        } catch (InvalidInputException e) {
            throw new IllegalStateException(e.getMessage() + "\n" + json, e);
        }
        Map<String, Tensor> ps = new LinkedHashMap<>(), ds = new LinkedHashMap<>();
        for (var d : p.parameters()) ps.put(d.name(), fill(d.shape(), r, d.name().startsWith("gamma")));
        for (var d : p.data()) {
            Tensor t = fill(d.shape(), r, false);
            if (d.name().equals("mask")) {
                double[] v = t.values();
                for (int i = 0; i < v.length; i++) v[i] = r.nextBoolean() ? 2 : 0;
            }
            ds.put(d.name(), t);
        }
        return new CnnCase(p, new Point(ps, ds), what.toString());
    }

    static String decl(String name, int... shape) {
        return "{\"name\": \"" + name + "\", \"shape\": " + java.util.Arrays.toString(shape) + "}";
    }

    static Tensor fill(Shape s, Random r, boolean positive) {
        double[] v = new double[s.size()];
        for (int i = 0; i < v.length; i++) v[i] = positive ? (1 + r.nextInt(8)) / 4.0 : dyadic(r);
        return new Tensor(s, v);
    }

    /**
     * The case with the first conv layer's bias (or β) shifted so that the ReLU argument of its first element is
     * exactly zero: a forced kink whose row carries that bias with coefficient 1.
     */
    CnnCase forceReluKink() {
        Program prog = Program.of(procedure);
        int relu = -1;
        for (int i = 0; i < prog.nNodes; i++) if (prog.op[i] == Op.RELU) { relu = i; break; }
        double z = Forward.run(prog, point).z[prog.switchOffset[relu]];
        String bias = procedure.parameterOffset("c1") >= 0 ? "c1" : "beta1";
        double[] b = point.parameters().get(bias).values().clone();
        b[0] -= z;
        Map<String, Tensor> ps = new LinkedHashMap<>(point.parameters());
        ps.put(bias, new Tensor(procedure.shape(bias), b));
        return new CnnCase(procedure, new Point(ps, point.data()), layers + ", ReLU kink forced");
    }

    @Override public String toString() {
        return layers + "\n" + ProcedureJson.write(procedure) + "\n" + PointJson.write(procedure, point);
    }
}
