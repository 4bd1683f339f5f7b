package org.abscert.spi.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Mlp;
import org.abscert.spi.ir.Node;
import org.abscert.spi.ir.Op;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Shape;
import org.abscert.spi.ir.TensorDecl;

/** Reads and writes procedure files ({@code abscert/procedure@1}). */
public final class ProcedureJson {
    public static final String FORMAT = "abscert/procedure@1";
    private static final Set<String> TOP_KEYS = Set.of("format", "name", "parameters", "data", "nodes", "mlp", "cnn", "output");
    private static final Set<String> MLP_KEYS = Set.of("input", "layers", "bias", "loss", "batch");

    private ProcedureJson() {}

    public static Procedure read(Path file) throws InvalidInputException {
        return fromTree(file.toString(), Json.readTree(file));
    }

    public static Procedure parse(String source, String text) throws InvalidInputException {
        return fromTree(source, Json.parse(source, text));
    }

    public static Procedure fromTree(String source, JsonNode tree) throws InvalidInputException {
        Json.At root = Json.root(source, tree);
        root.onlyKeys(TOP_KEYS);
        String format = root.field("format").string();
        if (!FORMAT.equals(format))
            throw root.field("format").error("unsupported format '" + format + "' (expected " + FORMAT + ")");
        String name = root.field("name").string();
        Json.At cnn = root.field("cnn");
        if (cnn.present()) {
            for (String k : List.of("nodes", "parameters", "data", "output", "mlp"))
                if (root.field(k).present())
                    throw root.field(k).error("'" + k + "' cannot be given together with 'cnn' (the shorthand defines it)");
            return CnnJson.read(cnn).expand(source, name);
        }
        Json.At mlp = root.field("mlp");
        if (mlp.present()) {
            for (String k : List.of("nodes", "parameters", "data", "output"))
                if (root.field(k).present())
                    throw root.field(k).error("'" + k + "' cannot be given together with 'mlp' (the shorthand defines it)");
            return readMlp(mlp).expand(source, name);
        }
        if (!root.field("nodes").present()) throw root.error("missing key 'nodes' (or the 'mlp' or 'cnn' shorthand)");
        List<TensorDecl> params = decls(root.field("parameters"));
        List<TensorDecl> data = root.field("data").present() ? decls(root.field("data")) : List.of();
        List<Node> nodes = new ArrayList<>();
        for (Json.At n : root.field("nodes").array()) nodes.add(node(n));
        String output = root.field("output").string();
        return Procedure.create(source, name, params, data, nodes, output);
    }

    private static List<TensorDecl> decls(Json.At at) throws InvalidInputException {
        List<TensorDecl> out = new ArrayList<>();
        for (Json.At d : at.array()) {
            d.onlyKeys(Set.of("name", "shape"));
            String name = d.field("name").string();
            out.add(new TensorDecl(name, shape(d.field("shape"))));
        }
        return out;
    }

    private static Shape shape(Json.At at) throws InvalidInputException {
        List<Json.At> dims = at.array();
        if (dims.size() > Shape.MAX_RANK)
            throw at.error("shape has " + dims.size() + " dimensions; at most " + Shape.MAX_RANK + " are allowed");
        int[] d = new int[dims.size()];
        long size = 1;
        for (int i = 0; i < d.length; i++) {
            d[i] = dims.get(i).integer(0, Shape.MAX_ELEMENTS);
            size *= d[i];
            if (size > Shape.MAX_ELEMENTS)
                throw at.error("shape has more than " + Shape.MAX_ELEMENTS + " elements (the per-tensor cap)");
        }
        return Shape.of(d);
    }

    private static Node node(Json.At n) throws InvalidInputException {
        n.object();
        String id = n.field("id").string();
        String opName = n.field("op").string();
        Op op = Op.byJsonName(opName).orElseThrow(() -> n.field("op").error("unknown op '" + opName + "'"));
        List<String> args = new ArrayList<>();
        for (Json.At a : n.field("args").array()) args.add(a.string());
        Map<String, Double> attrs = new LinkedHashMap<>();
        Map<String, List<Integer>> lists = new LinkedHashMap<>();
        Iterator<String> keys = n.node().fieldNames();
        while (keys.hasNext()) {
            String k = keys.next();
            if (k.equals("id") || k.equals("op") || k.equals("args")) continue;
            Op.Attribute spec = op.attributeSpec(k)
                    .orElseThrow(() -> n.field(k).error("op '" + opName + "' has no attribute '" + k + "'"));
            Json.At a = n.field(k);
            switch (spec.type()) {
                case NUMBER, COUNT -> attrs.put(k, a.finite());
                case PAIR -> {
                    // a single integer n stands for [n, n], as PyTorch accepts
                    if (a.node() != null && a.node().isNumber()) {
                        int v = a.integer(-Shape.MAX_ELEMENTS, Shape.MAX_ELEMENTS);
                        lists.put(k, List.of(v, v));
                    } else {
                        lists.put(k, integers(a));
                    }
                }
                case SHAPE -> lists.put(k, integers(a));
            }
        }
        return new Node(id, op, args, attrs, lists);
    }

    private static List<Integer> integers(Json.At a) throws InvalidInputException {
        List<Integer> out = new ArrayList<>();
        for (Json.At x : a.array()) out.add(x.integer(-Shape.MAX_ELEMENTS, Shape.MAX_ELEMENTS));
        return out;
    }

    private static Mlp readMlp(Json.At m) throws InvalidInputException {
        m.onlyKeys(MLP_KEYS);
        int input = m.field("input").integer(1, Shape.MAX_ELEMENTS);
        List<Mlp.Layer> layers = new ArrayList<>();
        for (Json.At l : m.field("layers").array()) {
            List<Json.At> parts = l.array();
            if (parts.size() < 2 || parts.size() > 3)
                throw l.error("a layer is [width, activation] or [width, \"leaky_relu\", alpha]");
            int width = parts.get(0).integer(1, Shape.MAX_ELEMENTS);
            String act = parts.get(1).string();
            if (parts.size() == 3) {
                if (!act.equals("leaky_relu")) throw parts.get(2).error("only leaky_relu takes a third entry (alpha)");
                double alpha = parts.get(2).finite();
                if (!(alpha >= 0 && alpha < 1)) throw parts.get(2).error("alpha must be in [0, 1), got " + alpha);
                layers.add(new Mlp.Layer(width, act, alpha));
            } else {
                layers.add(new Mlp.Layer(width, act));
            }
        }
        boolean bias = !m.field("bias").present() || m.field("bias").bool();
        String loss = m.field("loss").string();
        int batch = m.field("batch").present() ? m.field("batch").integer(1, Shape.MAX_ELEMENTS) : 1;
        return new Mlp(input, layers, bias, loss, batch);
    }

    /** The procedure as a JSON tree (always in the expanded {@code nodes} form). */
    public static ObjectNode toTree(Procedure p) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("format", FORMAT);
        root.put("name", p.name());
        root.set("parameters", declsTree(p.parameters()));
        root.set("data", declsTree(p.data()));
        ArrayNode nodes = root.putArray("nodes");
        for (Node n : p.nodes()) {
            ObjectNode o = nodes.addObject();
            o.put("id", n.id());
            o.put("op", n.op().jsonName());
            ArrayNode args = o.putArray("args");
            n.args().forEach(args::add);
            for (Op.Attribute a : n.op().attributeSpecs()) {
                if (n.attributes().containsKey(a.name())) o.put(a.name(), n.attribute(a.name()));
                if (n.lists().containsKey(a.name())) {
                    ArrayNode l = o.putArray(a.name());
                    n.list(a.name()).forEach(l::add);
                }
            }
        }
        root.put("output", p.output());
        return root;
    }

    private static ArrayNode declsTree(List<TensorDecl> decls) {
        ArrayNode arr = Json.MAPPER.createArrayNode();
        for (TensorDecl d : decls) {
            ObjectNode o = arr.addObject();
            o.put("name", d.name());
            ArrayNode s = o.putArray("shape");
            for (int x : d.shape().dims()) s.add(x);
        }
        return arr;
    }

    /** The procedure as pretty-printed JSON text. */
    public static String write(Procedure p) {
        try {
            return Json.MAPPER.writeValueAsString(toTree(p));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
