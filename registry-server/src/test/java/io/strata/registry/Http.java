package io.strata.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small blocking HTTP client for registry tests. */
public final class Http {
    private static final ObjectMapper JSON = new ObjectMapper();
    // HTTP/1.1, as registry clients speak over plain HTTP.
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;
    private String authorization;

    public Http(int port) {
        this("http://127.0.0.1:" + port);
    }

    /** A client for the registry at {@code base} (scheme, host and port). */
    public Http(String base) {
        this.base = base;
    }

    public record Response(int status, java.net.http.HttpHeaders headers, byte[] body) {
        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        public String text() {
            return new String(body, java.nio.charset.StandardCharsets.UTF_8);
        }

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + text(), e);
            }
        }

        /** The first error code of a spec error body. */
        public String errorCode() {
            return json().path("errors").path(0).path("code").asText(null);
        }
    }

    public Response send(String method, String path, byte[] body, String... headers) {
        return send(method, path, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body),
                headers);
    }

    /** Sends HTTP Basic credentials with every request (for registries that require them). */
    public Http withBasicAuth(String user, String password) {
        this.authorization = "Basic " + java.util.Base64.getEncoder()
                .encodeToString((user + ":" + password).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return this;
    }

    /** Sends a bearer token with every request; null sends nothing. */
    public Http withBearer(String token) {
        this.authorization = token == null ? null : "Bearer " + token;
        return this;
    }

    /** A body of unknown length: sent with Transfer-Encoding: chunked, as docker does. */
    public Response sendChunked(String method, String path, InputStream body, String... headers) {
        return send(method, path, HttpRequest.BodyPublishers.ofInputStream(() -> body), headers);
    }

    public Response send(String method, String path, HttpRequest.BodyPublisher body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(path.startsWith("http") ? path : base + path))
                .timeout(Duration.ofSeconds(60)).method(method, body);
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        if (authorization != null) b.header("Authorization", authorization);
        try {
            HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Response(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    public Response get(String path, String... headers) {
        return send("GET", path, (byte[]) null, headers);
    }

    public Response head(String path, String... headers) {
        return send("HEAD", path, (byte[]) null, headers);
    }

    public Response delete(String path) {
        return send("DELETE", path, (byte[]) null);
    }
}
