package io.strata.oci;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;

/**
 * JSON for the image model: exactly one JSON value, duplicate keys refused, unknown fields ignored
 * (the specs let documents grow). Documents are read with the streaming readers ({@link JsonIn}: no
 * ObjectMapper is built to read one) and written with databind's mapper, built on first use.
 */
public final class ImageJson {
    private ImageJson() {}

    static final JsonFactory FACTORY = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private static final class Mapper {
        static final ObjectMapper INSTANCE = JsonMapper.builder()
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
                .build();
    }

    private static final class Plain {
        static final ObjectMapper INSTANCE = new ObjectMapper();
    }

    /**
     * Databind's default mapper, for the JSON around images (docker's config.json, registries' token
     * and error replies, runtime bundles, the CLI's output); built on first use, since building one
     * costs a client command tens of milliseconds.
     */
    public static ObjectMapper plain() {
        return Plain.INSTANCE;
    }

    /** The databind mapper with the rules above (the registry's documents, and what the client writes). */
    public static ObjectMapper mapper() {
        return Mapper.INSTANCE;
    }

    /**
     * Reads {@code content}, one JSON value that is not null, with {@code read}; any problem, in the
     * JSON or in the values (a record's checks), is an IOException saying "invalid {@code what}: why".
     */
    public static <T> T read(byte[] content, String what, JsonIn.Read<T> read) throws IOException {
        try (JsonParser parser = FACTORY.createParser(content)) {
            JsonToken first = parser.nextToken();
            if (first == null) throw new IOException("invalid " + what + ": no content");
            if (first == JsonToken.VALUE_NULL) throw new IOException(what + " is null");
            T value = read.from(new JsonIn(parser));
            if (parser.nextToken() != null) throw new IOException("invalid " + what + ": content after the JSON value");
            return value;
        } catch (JacksonException e) {
            throw new IOException("invalid " + what + ": " + e.getOriginalMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IOException("invalid " + what + ": " + e.getMessage(), e);
        }
    }

    /** The top-level {@code mediaType} of a manifest or index (when a registry's Content-Type does not say), or null. */
    public static String mediaType(byte[] content) throws IOException {
        return read(content, "manifest", in -> {
            String[] type = {null};
            in.object((name, v) -> {
                if (name.equals("mediaType")) type[0] = v.string();
                else v.skip();
            });
            return type[0];
        });
    }

    /** Serialises a model value (configs and manifests the client writes). */
    public static byte[] write(Object value) {
        try {
            return mapper().writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

}
