package org.abscert.spi.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.abscert.spi.InvalidInputException;

/** Shared Jackson set-up and typed access to a JSON tree with path-carrying errors. */
public final class Json {
    private Json() {}

    /** Strict reader: duplicate keys rejected, floats read as exact decimals, trailing content rejected. */
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** Reads a file into a tree, turning I/O and syntax errors into one-line messages. */
    public static JsonNode readTree(Path file) throws InvalidInputException {
        String src = file.toString();
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(src, "$", "file not found");
        } catch (IOException e) {
            throw new InvalidInputException(src, "$", "cannot read file: " + e.getMessage());
        }
        return parse(src, text);
    }

    /** Parses text into a tree; {@code source} names it in errors. */
    public static JsonNode parse(String source, String text) throws InvalidInputException {
        try {
            JsonNode n = MAPPER.readTree(text);
            if (n == null || n.isMissingNode()) throw new InvalidInputException(source, "$", "empty document");
            return n;
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            String where = loc == null ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
            throw new InvalidInputException(source, "$", "malformed JSON" + where + ": " + e.getOriginalMessage());
        }
    }

    /** Typed view of one JSON value together with its path, for precise error messages. */
    public record At(String source, String path, JsonNode node) {

        public InvalidInputException error(String problem) { return new InvalidInputException(source, path, problem); }

        public At field(String name) { return new At(source, path + "." + name, node.get(name)); }

        public At index(int i) { return new At(source, path + "[" + i + "]", node.get(i)); }

        public boolean present() { return node != null && !node.isNull(); }

        public At require() throws InvalidInputException {
            if (!present()) {
                int dot = path.lastIndexOf('.');
                String parent = dot > 0 ? path.substring(0, dot) : "$";
                throw new InvalidInputException(source, parent, "missing key '" + path.substring(dot + 1) + "'");
            }
            return this;
        }

        public At object() throws InvalidInputException {
            require();
            if (!node.isObject()) throw error("expected an object, got " + describe(node));
            return this;
        }

        public List<At> array() throws InvalidInputException {
            require();
            if (!node.isArray()) throw error("expected an array, got " + describe(node));
            List<At> out = new ArrayList<>(node.size());
            for (int i = 0; i < node.size(); i++) out.add(index(i));
            return out;
        }

        public String string() throws InvalidInputException {
            require();
            if (!node.isTextual()) throw error("expected a string, got " + describe(node));
            return node.textValue();
        }

        public boolean bool() throws InvalidInputException {
            require();
            if (!node.isBoolean()) throw error("expected true or false, got " + describe(node));
            return node.booleanValue();
        }

        /** An integer in [min, max]. */
        public int integer(int min, int max) throws InvalidInputException {
            require();
            if (!node.isIntegralNumber()) throw error("expected an integer, got " + describe(node));
            BigDecimal v = node.decimalValue();
            if (v.compareTo(BigDecimal.valueOf(min)) < 0 || v.compareTo(BigDecimal.valueOf(max)) > 0)
                throw error("integer " + v + " out of range [" + min + ", " + max + "]");
            return v.intValueExact();
        }

        /** The exact decimal value of a JSON number. */
        public BigDecimal decimal() throws InvalidInputException {
            require();
            if (!node.isNumber()) throw error("expected a number, got " + describe(node));
            return node.decimalValue();
        }

        /** A finite double (the nearest double to the decimal). */
        public double finite() throws InvalidInputException {
            BigDecimal d = decimal();
            double v = d.doubleValue();
            if (!Double.isFinite(v)) throw error("number " + d + " is out of the range of float64");
            return v;
        }

        /** Rejects keys outside the allowed set, so that nothing in the input is silently ignored. */
        public void onlyKeys(Set<String> allowed) throws InvalidInputException {
            object();
            Iterator<String> it = node.fieldNames();
            while (it.hasNext()) {
                String k = it.next();
                if (!allowed.contains(k)) throw new InvalidInputException(source, path + "." + k, "unknown key '" + k + "'");
            }
        }
    }

    public static At root(String source, JsonNode node) { return new At(source, "$", node); }

    static String describe(JsonNode n) {
        if (n == null || n.isNull()) return "null";
        if (n.isObject()) return "an object";
        if (n.isArray()) return "an array";
        if (n.isTextual()) return "a string";
        if (n.isBoolean()) return "a boolean";
        if (n.isNumber()) return "the number " + n.asText();
        return n.getNodeType().toString().toLowerCase();
    }
}
