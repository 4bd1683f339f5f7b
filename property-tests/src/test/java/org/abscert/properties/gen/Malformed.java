package org.abscert.properties.gen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import org.abscert.spi.ir.Procedure;
import org.abscert.testkit.gen.Activation;
import org.abscert.testkit.gen.Architecture;
import org.abscert.testkit.gen.NetCase;
import org.abscert.testkit.gen.NetSpace;
import org.abscert.spi.json.Json;
import org.abscert.spi.json.PointJson;
import org.abscert.spi.json.ProcedureJson;

/**
 * Malformed procedure and point files: a valid file with one defect that makes it invalid for certain —
 * a value of the wrong JSON type, a missing or unknown key, a dangling or forward reference, a duplicate id,
 * a wrong arity or attribute, a shape mismatch, text cut short, or arbitrary text.
 */
public final class Malformed {
    private Malformed() {}

    /** A malformed document and what was done to it. */
    public record Document(String defect, String text) {
        @Override public String toString() { return defect + ":\n" + text; }
    }

    /** A malformed point file for a valid procedure. */
    public record PointDocument(Procedure procedure, String defect, String text) {
        @Override public String toString() {
            return defect + ":\n" + text + "\nfor procedure:\n" + ProcedureJson.write(procedure);
        }
    }

    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    /** Keys whose absence is valid: replacing them with null would not be a defect. */
    private static final Set<String> OPTIONAL = Set.of("data", "bias", "batch");

    // ---- valid starting points ----

    /** Small valid procedures (nets, through the shorthand or node by node). */
    static Arbitrary<Procedure> validProcedures() {
        return NetSpace.denseNets().depthUpTo(2).widthsUpTo(3).batchBetween(1, 2).activations(Activation.values())
                .architectures().map(Architecture::procedure);
    }

    /** The tree of a valid procedure, in the {@code nodes} form or (for shorthand nets) the {@code mlp} form. */
    static Arbitrary<ObjectNode> validProcedureTrees() {
        Arbitrary<ObjectNode> nodesForm = validProcedures().map(ProcedureJson::toTree);
        Arbitrary<ObjectNode> mlpForm = NetSpace.denseNets().depthUpTo(2).widthsUpTo(3).batchBetween(1, 2)
                .architectures().filter(a -> a.hidden().stream().allMatch(h -> h.activation().inMlpShorthand()))
                .map(Malformed::mlpTree);
        return Arbitraries.oneOf(nodesForm, mlpForm);
    }

    static ObjectNode mlpTree(Architecture a) {
        ObjectNode root = F.objectNode();
        root.put("format", ProcedureJson.FORMAT);
        root.put("name", a.name());
        ObjectNode mlp = root.putObject("mlp");
        mlp.put("input", a.input());
        ArrayNode layers = mlp.putArray("layers");
        for (Architecture.Hidden h : a.hidden()) {
            ArrayNode l = layers.addArray().add(h.width()).add(h.activation().mlpName());
            if (h.activation() == Activation.LEAKY_RELU) l.add(Activation.LEAKY_ALPHA);
        }
        layers.addArray().add(a.output()).add("identity");
        mlp.put("bias", a.bias());
        mlp.put("loss", a.loss().mlpName());
        mlp.put("batch", a.batch());
        return root;
    }

    // ---- defects ----

    /** Every value in the tree with its path, the root first. */
    record Site(String path, JsonNode parent, String key, int index, JsonNode value) {}

    static List<Site> sites(JsonNode root) {
        List<Site> out = new ArrayList<>();
        out.add(new Site("$", null, null, -1, root));
        walk("$", root, out);
        return out;
    }

    private static void walk(String path, JsonNode n, List<Site> out) {
        if (n.isObject()) {
            var it = n.fields();
            while (it.hasNext()) {
                var e = it.next();
                String p = path + "." + e.getKey();
                out.add(new Site(p, n, e.getKey(), -1, e.getValue()));
                walk(p, e.getValue(), out);
            }
        } else if (n.isArray()) {
            for (int i = 0; i < n.size(); i++) {
                String p = path + "[" + i + "]";
                out.add(new Site(p, n, null, i, n.get(i)));
                walk(p, n.get(i), out);
            }
        }
    }

    /** Values of every JSON type; a replacement is drawn from those of another type than the original. */
    static List<JsonNode> replacementsFor(JsonNode original, String key) {
        List<JsonNode> all = new ArrayList<>(List.of(F.textNode("oops"), F.numberNode(7), F.booleanNode(true),
                F.arrayNode(), F.objectNode()));
        if (key == null || !OPTIONAL.contains(key)) all.add(F.nullNode());
        all.removeIf(r -> r.getNodeType() == original.getNodeType());
        return all;
    }

    static void replace(Site s, JsonNode value) {
        if (s.key() != null) ((ObjectNode) s.parent()).set(s.key(), value);
        else ((ArrayNode) s.parent()).set(s.index(), value);
    }

    /** One value anywhere in the tree replaced by a value of another JSON type. */
    static Arbitrary<Document> wrongType(ObjectNode tree) {
        List<Site> sites = sites(tree);
        return Arbitraries.integers().between(0, sites.size() - 1).flatMap(i -> {
            Site s = sites.get(i);
            List<JsonNode> rs = replacementsFor(s.value(), s.key());
            return Arbitraries.integers().between(0, rs.size() - 1).map(r -> {
                JsonNode v = rs.get(r);
                if (s.parent() == null) return new Document("the whole document replaced by " + v, text(v));
                ObjectNode copy = tree.deepCopy();
                Site t = sites(copy).get(i);
                replace(t, v);
                return new Document(s.path() + " replaced by " + v, text(copy));
            });
        });
    }

    /** A required key of the root removed. */
    static Arbitrary<Document> missingKey(ObjectNode tree) {
        List<String> required = new ArrayList<>();
        tree.fieldNames().forEachRemaining(k -> { if (!OPTIONAL.contains(k)) required.add(k); });
        return Arbitraries.of(required).map(k -> {
            ObjectNode copy = tree.deepCopy();
            copy.remove(k);
            return new Document("key '" + k + "' removed", text(copy));
        });
    }

    /** An unknown key added to the root, a declaration, a node or the shorthand. */
    static Arbitrary<Document> unknownKey(ObjectNode tree) {
        List<Site> objects = sites(tree).stream().filter(s -> s.value().isObject()).toList();
        return Arbitraries.integers().between(0, objects.size() - 1).map(i -> {
            ObjectNode copy = tree.deepCopy();
            ObjectNode o = (ObjectNode) sites(copy).stream().filter(s -> s.value().isObject()).toList().get(i).value();
            o.put("surplus", 1);
            return new Document("unknown key 'surplus' added at " + objects.get(i).path(), text(copy));
        });
    }

    /** In the nodes form: a node's op, an argument, an id, the output or an attribute made inconsistent. */
    static Arbitrary<Document> brokenNode(ObjectNode tree) {
        if (!tree.has("nodes")) return unknownKey(tree);
        int n = tree.get("nodes").size();
        return Combinators.combine(Arbitraries.integers().between(0, n - 1), Arbitraries.integers().between(0, 6))
                .as((i, kind) -> {
                    ObjectNode copy = tree.deepCopy();
                    ArrayNode nodes = (ArrayNode) copy.get("nodes");
                    ObjectNode node = (ObjectNode) nodes.get(i);
                    ArrayNode args = (ArrayNode) node.get("args");
                    String at = "$.nodes[" + i + "]";
                    switch (kind) {
                        case 0 -> {
                            node.put("op", "relu6");
                            return new Document(at + ".op set to the unknown op relu6", text(copy));
                        }
                        case 1 -> {
                            args.set(0, F.textNode("undefined_id"));
                            return new Document(at + ".args[0] names an undefined id", text(copy));
                        }
                        case 2 -> {
                            if (i + 1 < n) {
                                args.set(0, nodes.get(n - 1).get("id"));
                                return new Document(at + ".args[0] names a later node", text(copy));
                            }
                            node.put("id", copy.get("parameters").get(0).get("name").asText());
                            return new Document(at + ".id repeats a parameter name", text(copy));
                        }
                        case 3 -> {
                            args.add(args.get(0));
                            return new Document(at + ".args has one argument too many", text(copy));
                        }
                        case 4 -> {
                            copy.put("output", copy.get("parameters").get(0).get("name").asText());
                            return new Document("$.output names a parameter", text(copy));
                        }
                        case 5 -> {
                            node.put("alpha", 2.0);
                            return new Document(at + ".alpha = 2 (not an attribute of its op, or out of [0, 1))", text(copy));
                        }
                        default -> {
                            ArrayNode shape = (ArrayNode) copy.get("parameters").get(0).get("shape");
                            shape.add(-1);
                            return new Document("$.parameters[0].shape gets a negative dimension", text(copy));
                        }
                    }
                });
    }

    /** The text cut short before its closing brace. */
    static Arbitrary<Document> truncated(ObjectNode tree) {
        String full = text(tree);
        return Arbitraries.integers().between(0, full.length() - 2)
                .map(cut -> new Document("text cut after " + cut + " characters", full.substring(0, cut)));
    }

    /** A key repeated in the root object (rejected by the strict reader). */
    static Arbitrary<Document> duplicateKey(ObjectNode tree) {
        String full = text(tree);
        return Arbitraries.just(new Document("key 'format' given twice",
                "{\"format\": \"" + ProcedureJson.FORMAT + "\", " + full.substring(full.indexOf('{') + 1)));
    }

    /** Arbitrary text, mostly made of JSON punctuation and keywords: never a valid procedure or point. */
    public static Arbitrary<Document> arbitraryText() {
        Arbitrary<String> tokens = Arbitraries.of("{", "}", "[", "]", ":", ",", "\"format\"", "\"name\"", "\"x\"", "1",
                "-0.5", "1e400", "true", "null", " ", "\"", "\\", "nodes", "NaN").list().ofMaxSize(30)
                .map(l -> String.join("", l));
        return Arbitraries.oneOf(tokens, Arbitraries.strings().ofMaxLength(40)).map(t -> new Document("arbitrary text", t));
    }

    /** Malformed procedure files. */
    public static Arbitrary<Document> procedures() {
        return Arbitraries.oneOf(
                validProcedureTrees().flatMap(Malformed::wrongType),
                validProcedureTrees().flatMap(Malformed::missingKey),
                validProcedureTrees().flatMap(Malformed::unknownKey),
                validProcedureTrees().flatMap(Malformed::brokenNode),
                validProcedureTrees().flatMap(Malformed::truncated),
                validProcedureTrees().flatMap(Malformed::duplicateKey),
                arbitraryText());
    }

    /** Malformed point files, each for a valid procedure. */
    public static Arbitrary<PointDocument> points() {
        Arbitrary<NetCase> cases = NetSpace.denseNets().depthUpTo(2).widthsUpTo(3).batchBetween(1, 2)
                .activations(Activation.values()).withKinksForced(0, 1).arbitrary();
        return cases.flatMap(c -> {
            ObjectNode tree = PointJson.toTree(c.procedure(), c.point());
            Arbitrary<Document> defect = Arbitraries.oneOf(wrongType(tree), missingKey(tree), unknownKey(tree),
                    wrongLength(tree), truncated(tree), arbitraryText(), outOfRange(tree));
            return defect.map(d -> new PointDocument(c.procedure(), d.defect(), d.text()));
        });
    }

    /** One tensor given one value too many or too few. */
    static Arbitrary<Document> wrongLength(ObjectNode tree) {
        List<Site> tensors = sites(tree).stream().filter(s -> s.value().isArray()).toList();
        return Combinators.combine(Arbitraries.integers().between(0, tensors.size() - 1), Arbitraries.of(true, false))
                .as((i, longer) -> {
                    ObjectNode copy = tree.deepCopy();
                    ArrayNode arr = (ArrayNode) sites(copy).stream().filter(s -> s.value().isArray()).toList().get(i).value();
                    if (longer || arr.size() == 0) arr.add(0.5);
                    else arr.remove(arr.size() - 1);
                    return new Document(tensors.get(i).path() + (longer ? " has one value too many" : " lacks a value"), text(copy));
                });
    }

    /** One value beyond the range of float64. */
    static Arbitrary<Document> outOfRange(ObjectNode tree) {
        List<Site> numbers = sites(tree).stream().filter(s -> s.value().isNumber()).toList();
        if (numbers.isEmpty()) return arbitraryText();
        return Arbitraries.integers().between(0, numbers.size() - 1).map(i -> {
            ObjectNode copy = tree.deepCopy();
            Site s = sites(copy).stream().filter(x -> x.value().isNumber()).toList().get(i);
            ((ArrayNode) s.parent()).set(s.index(), F.numberNode(new java.math.BigDecimal("1e400")));
            return new Document(numbers.get(i).path() + " set to 1e400", text(copy));
        });
    }

    static String text(JsonNode n) {
        try {
            return Json.MAPPER.writeValueAsString(n);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
