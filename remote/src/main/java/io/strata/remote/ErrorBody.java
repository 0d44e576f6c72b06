package io.strata.remote;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.oci.ImageJson;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/** The first error of a registry's error JSON ({@code CODE message}), or the body's first line. */
final class ErrorBody {

    private ErrorBody() {}

    static String message(HttpResponse<InputStream> r) {
        try (InputStream in = r.body()) {
            byte[] body = in.readNBytes(64 * 1024);
            JsonNode errors = ImageJson.plain().readTree(body).path("errors");
            if (errors.isArray() && !errors.isEmpty()) {
                return errors.get(0).path("code").asText() + " " + errors.get(0).path("message").asText();
            }
            return new String(body, StandardCharsets.UTF_8).lines().findFirst().orElse("").strip();
        } catch (Exception e) {
            return "(no details)";
        }
    }
}
