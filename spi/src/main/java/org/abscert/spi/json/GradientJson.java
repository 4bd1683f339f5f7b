package org.abscert.spi.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Procedure;
import org.abscert.spi.ir.Tensor;
import org.abscert.spi.ir.TensorDecl;

/** Reads and writes gradient files: {@code {"gradient": {"x": [1.0]}}}, keyed and laid out like parameters. */
public final class GradientJson {
    private GradientJson() {}

    /** Reads a gradient and returns it flat in parameter order. */
    public static double[] read(Path file, Procedure procedure) throws InvalidInputException {
        return fromTree(file.toString(), Json.readTree(file), procedure);
    }

    public static double[] parse(String source, String text, Procedure procedure) throws InvalidInputException {
        return fromTree(source, Json.parse(source, text), procedure);
    }

    public static double[] fromTree(String source, JsonNode tree, Procedure procedure) throws InvalidInputException {
        Json.At root = Json.root(source, tree);
        root.onlyKeys(Set.of("gradient"));
        Map<String, Tensor> g = PointJson.section(root.field("gradient"), procedure.parameters(), new int[1]);
        double[] flat = new double[procedure.parameterSize()];
        for (TensorDecl d : procedure.parameters()) {
            double[] v = g.get(d.name()).values();
            for (int i = 0; i < v.length; i++) {
                if (!Double.isFinite(v[i]))
                    throw new InvalidInputException(source, "$.gradient." + d.name() + "[" + i + "]", "value is not finite");
            }
            System.arraycopy(v, 0, flat, procedure.parameterOffset(d.name()), v.length);
        }
        return flat;
    }

    public static ObjectNode toTree(Procedure procedure, double[] gradient) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ObjectNode g = root.putObject("gradient");
        for (TensorDecl d : procedure.parameters()) {
            int off = procedure.parameterOffset(d.name());
            var arr = g.putArray(d.name());
            for (int i = 0; i < d.shape().size(); i++) arr.add(gradient[off + i]);
        }
        return root;
    }

    public static String write(Procedure procedure, double[] gradient) {
        try {
            return Json.MAPPER.writeValueAsString(toTree(procedure, gradient));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
