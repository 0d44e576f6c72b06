package io.strata.oci;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON document read value by value with jackson-core's streaming parser, for the small documents
 * a client command reads (manifests, indexes, configs, its store's own files). Why not databind: a
 * short-lived JVM pays for building an ObjectMapper and for introspecting each record type it first
 * reads (about 130 ms of a pull on two cores, more than the pull's HTTP exchange); these readers
 * cost a parse. Types are strict as in Go's encoding/json (what distribution and containerd use):
 * a string is a JSON string, a number an integral JSON number; null reads as absent, and members no
 * reader asks for are skipped. Every method reads the value at the parser's current token.
 */
public final class JsonIn {
    /** Reads one value at the current token. */
    @FunctionalInterface
    public interface Read<T> {
        T from(JsonIn in) throws IOException;
    }

    /** Reads the value of member {@code name} (the current token), or skips it. */
    @FunctionalInterface
    public interface Member {
        void read(String name, JsonIn in) throws IOException;
    }

    private final JsonParser parser;
    private String member = "";

    JsonIn(JsonParser parser) {
        this.parser = parser;
    }

    /** Calls {@code member} for each member of the object here; false (and no call) for null. */
    public boolean object(Member member) throws IOException {
        if (parser.currentToken() == JsonToken.VALUE_NULL) return false;
        if (parser.currentToken() != JsonToken.START_OBJECT) throw mismatch("an object");
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            parser.nextToken();
            this.member = name;
            member.read(name, this);
        }
        return true;
    }

    /** Skips the value here (a member no reader wants), nested values included. */
    public void skip() throws IOException {
        parser.skipChildren();
    }

    public String string() throws IOException {
        return switch (parser.currentToken()) {
            case VALUE_STRING -> parser.getText();
            case VALUE_NULL -> null;
            default -> throw mismatch("a string");
        };
    }

    /** An integral number; null reads as 0. */
    public long number() throws IOException {
        return switch (parser.currentToken()) {
            case VALUE_NUMBER_INT -> parser.getLongValue(); // beyond a long: Jackson's "out of range" error
            case VALUE_NULL -> 0;
            default -> throw mismatch("an integer");
        };
    }

    /** An integral number, or null for null. */
    public Long optionalNumber() throws IOException {
        return parser.currentToken() == JsonToken.VALUE_NULL ? null : number();
    }

    public int int32() throws IOException {
        long v = number();
        if (v != (int) v) throw new JsonParseException(parser, "\"" + member + "\" is out of range: " + v);
        return (int) v;
    }

    public boolean bool() throws IOException {
        return switch (parser.currentToken()) {
            case VALUE_TRUE -> true;
            case VALUE_FALSE, VALUE_NULL -> false;
            default -> throw mismatch("true or false");
        };
    }

    public Digest digest() throws IOException {
        String s = string();
        return s == null ? null : Digest.parse(s);
    }

    /** An array of what {@code item} reads, or null for null. */
    public <T> List<T> list(Read<T> item) throws IOException {
        if (parser.currentToken() == JsonToken.VALUE_NULL) return null;
        if (parser.currentToken() != JsonToken.START_ARRAY) throw mismatch("an array");
        String of = member;
        List<T> out = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            T value = item.from(this);
            if (value == null) throw new JsonParseException(parser, "\"" + of + "\" holds a null");
            out.add(value);
            member = of;
        }
        return out;
    }

    public List<String> strings() throws IOException {
        return list(JsonIn::string);
    }

    /** An object of strings (annotations, labels), in document order; null for null. */
    public Map<String, String> stringMap() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        String of = member;
        boolean present = object((name, in) -> {
            String value = in.string();
            if (value == null) throw new JsonParseException(parser, "\"" + of + "\" holds a null for \"" + name + "\"");
            out.put(name, value);
        });
        return present ? out : null;
    }

    /** Any value, as databind's untyped reading gives it: maps, lists, strings, numbers, booleans, null. */
    public Object any() throws IOException {
        return switch (parser.currentToken()) {
            case START_OBJECT -> {
                Map<String, Object> out = new LinkedHashMap<>();
                object((name, in) -> out.put(name, in.any()));
                yield out;
            }
            case START_ARRAY -> {
                List<Object> out = new ArrayList<>();
                while (parser.nextToken() != JsonToken.END_ARRAY) out.add(any());
                yield out;
            }
            case VALUE_STRING -> parser.getText();
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> parser.getNumberValue();
            case VALUE_TRUE -> true;
            case VALUE_FALSE -> false;
            case VALUE_NULL -> null;
            default -> throw mismatch("a value");
        };
    }

    /** An object of any values (ExposedPorts, Volumes); null for null. */
    public Map<String, Object> anyMap() throws IOException {
        if (parser.currentToken() == JsonToken.VALUE_NULL) return null;
        if (parser.currentToken() != JsonToken.START_OBJECT) throw mismatch("an object");
        @SuppressWarnings("unchecked")
        Map<String, Object> out = (Map<String, Object>) any();
        return out;
    }

    private JsonParseException mismatch(String expected) {
        String where = member.isEmpty() ? "the document" : "\"" + member + "\"";
        return new JsonParseException(parser, where + " must be " + expected + ", found " + describe(parser.currentToken()));
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a fraction";
            case VALUE_TRUE, VALUE_FALSE -> "a boolean";
            case VALUE_NULL -> "null";
            case null, default -> String.valueOf(t);
        };
    }
}
