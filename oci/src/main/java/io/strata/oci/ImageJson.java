package io.strata.oci;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;

/**
 * The JSON mapper for the image model: exactly one JSON value, duplicate keys refused, unknown
 * fields ignored (the specs let documents grow).
 */
public final class ImageJson {
    private ImageJson() {}

    public static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .build();

    static <T> T read(byte[] content, Class<T> type, String what) throws IOException {
        try {
            T value = MAPPER.readValue(content, type);
            if (value == null) throw new IOException(what + " is null");
            return value;
        } catch (com.fasterxml.jackson.core.JacksonException e) {
            Throwable cause = e.getCause();
            String why = cause instanceof IllegalArgumentException iae && cause.getMessage() != null ? iae.getMessage()
                    : e.getOriginalMessage();
            throw new IOException("invalid " + what + ": " + why, e);
        }
    }

    /** Serialises a model value (configs and manifests the client writes). */
    public static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

}
