package org.abscert.spi.json;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.abscert.spi.InvalidInputException;
import org.abscert.spi.ir.Cnn;
import org.abscert.spi.ir.Shape;

/** Reads the {@code cnn} shorthand of a procedure file (see {@link Cnn} for its layers). */
final class CnnJson {
    private static final Set<String> KEYS = Set.of("input", "layers", "batchNorm", "loss", "batch");

    private CnnJson() {}

    static Cnn read(Json.At m) throws InvalidInputException {
        m.onlyKeys(KEYS);
        List<Integer> input = new ArrayList<>();
        for (Json.At d : m.field("input").array()) input.add(d.integer(1, Shape.MAX_ELEMENTS));
        List<Cnn.Layer> layers = new ArrayList<>();
        for (Json.At l : m.field("layers").array()) {
            List<Json.At> parts = l.array();
            if (parts.isEmpty()) throw l.error("a layer is [kind, …] with kind one of " + Cnn.KINDS);
            String kind = parts.get(0).string();
            int expected = switch (kind) {
                case "conv" -> 4;
                case "dense" -> 3;
                case "maxpool", "avgpool" -> parts.size() == 3 ? 3 : 2;
                case "globalavgpool", "flatten" -> 1;
                default -> throw parts.get(0).error("unknown layer '" + kind + "' (expected one of " + Cnn.KINDS + ")");
            };
            if (parts.size() != expected)
                throw l.error(switch (kind) {
                    case "conv" -> "a conv layer is [\"conv\", channels, kernel, activation]";
                    case "dense" -> "a dense layer is [\"dense\", width, activation]";
                    case "maxpool", "avgpool" -> "a pooling layer is [\"" + kind + "\", kernel] or [\"" + kind + "\", kernel, stride]";
                    default -> "a " + kind + " layer takes no further entries";
                });
            layers.add(switch (kind) {
                case "conv" -> new Cnn.Layer(kind, parts.get(1).integer(1, Shape.MAX_ELEMENTS), parts.get(2).integer(1, Shape.MAX_ELEMENTS),
                        parts.get(3).string());
                case "dense" -> new Cnn.Layer(kind, parts.get(1).integer(1, Shape.MAX_ELEMENTS), 0, parts.get(2).string());
                case "maxpool", "avgpool" -> new Cnn.Layer(kind, parts.get(1).integer(1, Shape.MAX_ELEMENTS),
                        expected == 3 ? parts.get(2).integer(1, Shape.MAX_ELEMENTS) : 0, null);
                default -> new Cnn.Layer(kind, 0, 0, null);
            });
        }
        boolean batchNorm = m.field("batchNorm").present() && m.field("batchNorm").bool();
        String loss = m.field("loss").string();
        int batch = m.field("batch").present() ? m.field("batch").integer(1, Shape.MAX_ELEMENTS) : 1;
        return new Cnn(input, layers, batchNorm, loss, batch);
    }
}
