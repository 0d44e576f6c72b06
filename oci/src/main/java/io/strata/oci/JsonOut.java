package io.strata.oci;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Map;

/**
 * A JSON document written member by member with jackson-core's generator: the counterpart of
 * {@link JsonIn} for the files a client command writes on its hot path (its store's index, leases,
 * snapshot records), so that it builds no ObjectMapper. Absent values (null, empty) are left out,
 * as the model's {@code @JsonInclude(NON_EMPTY)} does for databind.
 */
public final class JsonOut {
    /** Writes the members of one object. */
    @FunctionalInterface
    public interface Members {
        void write(JsonOut out) throws IOException;
    }

    private final JsonGenerator generator;

    private JsonOut(JsonGenerator generator) {
        this.generator = generator;
    }

    /** One object, compact or indented (as databind's default pretty printer). */
    public static byte[] object(boolean pretty, Members members) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
        try (JsonGenerator g = ImageJson.FACTORY.createGenerator(bytes)) {
            if (pretty) g.useDefaultPrettyPrinter();
            new JsonOut(g).object(members);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write JSON to memory", e);
        }
        return bytes.toByteArray();
    }

    /**
     * A tree of maps with string keys, collections, strings, numbers, booleans and nulls (what
     * {@link JsonIn#any()} reads), compact or indented as databind's default pretty printer.
     */
    public static byte[] tree(boolean pretty, Object tree) {
        if (!isTree(tree)) throw new IllegalArgumentException("not a JSON tree: " + tree.getClass().getName());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
        try (JsonGenerator g = ImageJson.FACTORY.createGenerator(bytes)) {
            if (pretty) g.useDefaultPrettyPrinter();
            write(g, tree);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write JSON to memory", e);
        }
        return bytes.toByteArray();
    }

    /** Whether {@link #tree} can write the value. (instanceof, not a pattern switch: that spins a class at run time.) */
    public static boolean isTree(Object value) {
        if (value == null || value instanceof String || value instanceof Boolean) return true;
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
                || value instanceof java.math.BigInteger || value instanceof Double || value instanceof Float
                || value instanceof java.math.BigDecimal) return true;
        if (value instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) if (!(e.getKey() instanceof String) || !isTree(e.getValue())) return false;
            return true;
        }
        if (value instanceof Collection<?> c) {
            for (Object v : c) if (!isTree(v)) return false;
            return true;
        }
        return false;
    }

    private static void write(JsonGenerator g, Object value) throws IOException {
        if (value == null) g.writeNull();
        else if (value instanceof String s) g.writeString(s);
        else if (value instanceof Boolean b) g.writeBoolean(b);
        else if (value instanceof Integer || value instanceof Short || value instanceof Byte) g.writeNumber(((Number) value).intValue());
        else if (value instanceof Long l) g.writeNumber(l);
        else if (value instanceof java.math.BigInteger i) g.writeNumber(i);
        else if (value instanceof Double d) g.writeNumber(d);
        else if (value instanceof Float f) g.writeNumber(f);
        else if (value instanceof java.math.BigDecimal d) g.writeNumber(d);
        else if (value instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                g.writeFieldName((String) e.getKey());
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else {
            g.writeStartArray();
            for (Object v : (Collection<?>) value) write(g, v);
            g.writeEndArray();
        }
    }

    private void object(Members members) throws IOException {
        generator.writeStartObject();
        members.write(this);
        generator.writeEndObject();
    }

    public JsonOut string(String name, String value) throws IOException {
        if (value != null && !value.isEmpty()) generator.writeStringField(name, value);
        return this;
    }

    /** A string member written even when null (records whose readers expect every member). */
    public JsonOut nullable(String name, String value) throws IOException {
        if (value == null) generator.writeNullField(name);
        else generator.writeStringField(name, value);
        return this;
    }

    public JsonOut number(String name, long value) throws IOException {
        generator.writeNumberField(name, value);
        return this;
    }

    /** A number member written even when null. */
    public JsonOut nullableNumber(String name, Long value) throws IOException {
        if (value == null) generator.writeNullField(name);
        else generator.writeNumberField(name, value);
        return this;
    }

    public JsonOut bool(String name, boolean value) throws IOException {
        generator.writeBooleanField(name, value);
        return this;
    }

    public JsonOut numbers(String name, Collection<? extends Number> values) throws IOException {
        if (values == null || values.isEmpty()) return this;
        generator.writeArrayFieldStart(name);
        for (Number v : values) generator.writeNumber(v.longValue());
        generator.writeEndArray();
        return this;
    }

    public JsonOut strings(String name, Collection<?> values) throws IOException {
        if (values == null || values.isEmpty()) return this;
        return stringArray(name, values);
    }

    /** An array of strings written even when empty. */
    public JsonOut stringArray(String name, Collection<?> values) throws IOException {
        generator.writeArrayFieldStart(name);
        for (Object v : values) generator.writeString(v.toString());
        generator.writeEndArray();
        return this;
    }

    public JsonOut stringMap(String name, Map<String, String> values) throws IOException {
        if (values == null || values.isEmpty()) return this;
        generator.writeObjectFieldStart(name);
        for (Map.Entry<String, String> e : values.entrySet()) generator.writeStringField(e.getKey(), e.getValue());
        generator.writeEndObject();
        return this;
    }

    /** A nested object, left out when {@code present} is false. */
    public JsonOut object(String name, boolean present, Members members) throws IOException {
        if (!present) return this;
        generator.writeFieldName(name);
        object(members);
        return this;
    }

    /** An array of objects (empty ones too), left out when null. */
    public <T> JsonOut objects(String name, Collection<T> values, Item<T> item) throws IOException {
        if (values == null) return this;
        generator.writeArrayFieldStart(name);
        for (T v : values) object(out -> item.write(v, out));
        generator.writeEndArray();
        return this;
    }

    /** Writes the members of one array element. */
    @FunctionalInterface
    public interface Item<T> {
        void write(T value, JsonOut out) throws IOException;
    }
}
