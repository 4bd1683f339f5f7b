package org.abscert.spi.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ContainerNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
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

    /**
     * Jackson set-up for writing (and for tests reading our own output). Input files are read with
     * {@link #readTree}/{@link #parse}: strict, iterative, and with errors in the project's words.
     */
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * Largest procedure, point or gradient file read (bytes): the text is held in memory while its tree is
     * built.
     */
    public static final long MAX_FILE_BYTES = 128L << 20;

    /**
     * Most JSON values (numbers, strings, arrays, objects …) one document may hold: a tree node takes up to
     * about 60 bytes, so the tree of an accepted file stays under about 500 MiB.
     */
    public static final int MAX_VALUES = 1 << 23;

    /** Deepest nesting of arrays and objects accepted (the formats need at most a tensor's rank plus 3). */
    public static final int MAX_NESTING = 1000;

    /** Longest number literal accepted, in characters. */
    public static final int MAX_NUMBER_LENGTH = 1000;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_NESTING).maxNumberLength(MAX_NUMBER_LENGTH).build())
            .build();

    /**
     * Reads a file into a tree, turning I/O, encoding and syntax errors into one-line messages. A leading
     * UTF-8 byte order mark is skipped (RFC 8259 allows a reader to ignore it).
     */
    public static JsonNode readTree(Path file) throws InvalidInputException {
        String src = file.toString();
        if (src.isEmpty()) throw new InvalidInputException("(empty file name)", "$", "no file name given");
        byte[] bytes = bytes(src, file);
        int start = utf8(src, bytes);
        try (JsonParser p = FACTORY.createParser(bytes, start, bytes.length - start)) {
            return parse(src, p);
        } catch (IOException e) {
            throw new InvalidInputException(src, "$", "cannot read: " + ioProblem(e));
        }
    }

    private static byte[] bytes(String src, Path file) throws InvalidInputException {
        try {
            if (Files.isDirectory(file)) throw new InvalidInputException(src, "$", "is a directory, not a file");
            if (Files.size(file) > MAX_FILE_BYTES)
                throw new InvalidInputException(src, "$", "file is larger than " + (MAX_FILE_BYTES >> 20) + " MiB (the input size cap)");
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(src, "$", "file not found");
        } catch (IOException e) {
            throw new InvalidInputException(src, "$", "cannot read file: " + ioProblem(e));
        } catch (OutOfMemoryError e) {
            throw new InvalidInputException(src, "$", "file is too large to read into memory");
        }
    }

    /** An I/O failure in words: the JDK's file exceptions carry only the path as their message. */
    public static String ioProblem(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        if (e instanceof NoSuchFileException) return "no such file or directory";
        if (e instanceof java.nio.file.FileAlreadyExistsException) return "a file of that name already exists";
        if (e instanceof java.nio.file.NotDirectoryException) return "a part of the path is not a directory";
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) return f.getReason();
        String m = e.getMessage();
        return m == null || m.isBlank() ? "input/output error" : m;
    }

    /**
     * Checks that the bytes are strict UTF-8 and returns where the text starts (after a byte order mark); the
     * first invalid byte sequence is reported with its offset. Decodes in small chunks, so no second copy of
     * a large file is made.
     */
    static int utf8(String source, byte[] bytes) throws InvalidInputException {
        int start = bytes.length >= 3 && (bytes[0] & 0xff) == 0xEF && (bytes[1] & 0xff) == 0xBB && (bytes[2] & 0xff) == 0xBF ? 3 : 0;
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes, start, bytes.length - start);
        CharBuffer out = CharBuffer.allocate(8192);
        while (true) {
            CoderResult r = dec.decode(in, out, true);
            if (r.isOverflow()) {
                out.clear();
                continue;
            }
            if (!r.isError()) r = dec.flush(out);
            if (r.isError())
                throw new InvalidInputException(source, "$", "not valid UTF-8 text (byte offset " + in.position() + ")");
            return start;
        }
    }

    /**
     * Parses text into a tree; {@code source} names it in errors. The tree is built with an explicit stack,
     * so deep nesting cannot overflow the Java stack; each number literal is checked where it stands, so one
     * whose exponent is out of range is reported with its JSON path.
     */
    public static JsonNode parse(String source, String text) throws InvalidInputException {
        try (JsonParser p = FACTORY.createParser(text)) {
            return parse(source, p);
        } catch (IOException e) {
            throw new InvalidInputException(source, "$", "cannot read: " + ioProblem(e));
        }
    }

    private static JsonNode parse(String source, JsonParser p) throws InvalidInputException {
        try {
            JsonToken t = p.nextToken();
            if (t == null) throw new InvalidInputException(source, "$", "empty document");
            JsonNode root = build(source, p, t);
            if (p.nextToken() != null) throw new InvalidInputException(source, "$", "malformed JSON" + where(p.currentTokenLocation())
                    + ": more text after the end of the document");
            return root;
        } catch (JsonProcessingException e) {
            String problem = syntaxProblem(e);
            // a repeated key is well-formed text: name where it is, like any other content problem
            if (problem.startsWith("duplicate key")) throw new InvalidInputException(source, path(p.getParsingContext()), problem);
            throw new InvalidInputException(source, "$", "malformed JSON" + where(e.getLocation()) + ": " + problem);
        } catch (IOException e) {
            throw new InvalidInputException(source, "$", "cannot read: " + ioProblem(e));
        }
    }

    private static JsonNode build(String source, JsonParser p, JsonToken first) throws IOException, InvalidInputException {
        // exact decimals: normalising would rescale (and could overflow) literals with extreme exponents
        JsonNodeFactory f = JsonNodeFactory.withExactBigDecimals(true);
        Deque<ContainerNode<?>> open = new ArrayDeque<>();
        JsonToken t = first;
        int values = 0;
        while (true) {
            if (t != JsonToken.FIELD_NAME && t != JsonToken.END_OBJECT && t != JsonToken.END_ARRAY && ++values > MAX_VALUES)
                throw new InvalidInputException(source, path(t.isStructStart() ? p.getParsingContext().getParent() : p.getParsingContext()),
                        "more than " + MAX_VALUES + " JSON values in one file (the input cap)");
            JsonNode value;
            switch (t) {
                case START_OBJECT -> value = f.objectNode();
                case START_ARRAY -> value = f.arrayNode();
                case END_OBJECT, END_ARRAY -> {
                    JsonNode done = open.pop();
                    if (open.isEmpty()) return done;
                    t = p.nextToken();
                    continue;
                }
                case FIELD_NAME -> {
                    t = p.nextToken();
                    continue;
                }
                case VALUE_STRING -> value = f.textNode(p.getText());
                case VALUE_NUMBER_INT -> value = switch (p.getNumberType()) {
                    case INT -> f.numberNode(p.getIntValue());
                    case LONG -> f.numberNode(p.getLongValue());
                    default -> f.numberNode(p.getBigIntegerValue());
                };
                case VALUE_NUMBER_FLOAT -> value = f.numberNode(decimal(source, p));
                case VALUE_TRUE -> value = f.booleanNode(true);
                case VALUE_FALSE -> value = f.booleanNode(false);
                case VALUE_NULL -> value = f.nullNode();
                default -> throw new InvalidInputException(source, "$", "malformed JSON" + where(p.currentTokenLocation())
                        + ": unexpected " + t);
            }
            ContainerNode<?> parent = open.peek();
            if (parent instanceof ObjectNode o) o.set(p.currentName(), value);
            else if (parent instanceof ArrayNode a) a.add(value);
            if (value instanceof ContainerNode<?> c) open.push(c);
            else if (parent == null) return value;
            t = p.nextToken();
        }
    }

    /** The exact value of a decimal literal; one whose exponent exceeds BigDecimal's range is bad input. */
    private static BigDecimal decimal(String source, JsonParser p) throws IOException, InvalidInputException {
        String literal = p.getText();
        try {
            return new BigDecimal(literal);
        } catch (NumberFormatException | ArithmeticException e) {
            String shown = literal.length() > 40 ? literal.substring(0, 37) + "..." : literal;
            throw new InvalidInputException(source, path(p.getParsingContext()), "number " + shown
                    + " is out of range (its exponent is too large in magnitude)");
        }
    }

    /** The JSON path ({@code $.a[2].b}) of the value the parser is at. */
    static String path(JsonStreamContext ctx) {
        Deque<String> parts = new ArrayDeque<>();
        for (JsonStreamContext c = ctx; c != null && !c.inRoot(); c = c.getParent()) {
            if (c.inArray()) parts.push("[" + Math.max(0, c.getCurrentIndex()) + "]");
            else if (c.inObject() && c.getCurrentName() != null) parts.push("." + c.getCurrentName());
        }
        return "$" + String.join("", parts);
    }

    private static String where(JsonLocation loc) {
        return loc == null || loc.getLineNr() < 0 ? "" : " at line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    }

    /**
     * The parser's complaint in our words: its messages name its own configuration switches and classes,
     * which mean nothing to someone editing a procedure file.
     */
    static String syntaxProblem(JsonProcessingException e) {
        String m = e.getOriginalMessage();
        if (m == null) return "syntax error";
        java.util.regex.Matcher dup = java.util.regex.Pattern.compile("Duplicate field '(.*)'").matcher(m);
        if (dup.find()) return "duplicate key '" + dup.group(1) + "'";
        if (m.contains("Non-standard token 'NaN'") || m.contains("Non-standard token 'Infinity'")
                || m.contains("Non-standard token '-Infinity'") || m.contains("Non-standard token '+INF'")
                || m.contains("Non-standard token '-INF'"))
            return "NaN and infinities are not JSON numbers (values must be finite)";
        if (m.contains("Number value length") || m.contains("Number length"))
            return "a number literal is longer than " + MAX_NUMBER_LENGTH + " characters";
        if (m.contains("nesting depth")) return "arrays and objects are nested deeper than " + MAX_NESTING + " levels";
        if (m.contains("Leading zeroes not allowed")) return "a number has a leading zero";
        if (m.contains("Unexpected end-of-input")) return "the text ends before the document is complete";
        // whatever else: drop the parser's hints about switches to enable and its source references
        m = m.replaceAll("\\(for (Object|Array) starting at \\[Source: [^;\\]]*; line: (\\d+), column: (\\d+)\\]\\)",
                        "(for the $1 starting at line $2, column $3)")
                .replaceAll("\\s*\\[Source: [^\\]]*\\]", "")
                .replaceAll(";?\\s*[:,]?\\s*(enable|consider enabling) `[^`]*`.*", "")
                .replaceAll("\\s*\\([^()]*`[^`]*`[^()]*\\)", "")
                .replaceAll("`[^`]*`", "the parser")
                .replaceAll("\\s*\\R.*", "");
        return m.isBlank() ? "syntax error" : m.strip();
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
