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
final class Http {
    private static final ObjectMapper JSON = new ObjectMapper();
    // HTTP/1.1, as registry clients speak over plain HTTP.
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;

    Http(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    record Response(int status, java.net.http.HttpHeaders headers, byte[] body) {
        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        String text() {
            return new String(body, java.nio.charset.StandardCharsets.UTF_8);
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON: " + text(), e);
            }
        }

        /** The first error code of a spec error body. */
        String errorCode() {
            return json().path("errors").path(0).path("code").asText(null);
        }
    }

    Response send(String method, String path, byte[] body, String... headers) {
        return send(method, path, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body),
                headers);
    }

    /** A body of unknown length: sent with Transfer-Encoding: chunked, as docker does. */
    Response sendChunked(String method, String path, InputStream body, String... headers) {
        return send(method, path, HttpRequest.BodyPublishers.ofInputStream(() -> body), headers);
    }

    Response send(String method, String path, HttpRequest.BodyPublisher body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(path.startsWith("http") ? path : base + path))
                .timeout(Duration.ofSeconds(60)).method(method, body);
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        try {
            HttpResponse<byte[]> r = client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
            return new Response(r.statusCode(), r.headers(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    Response get(String path, String... headers) {
        return send("GET", path, (byte[]) null, headers);
    }

    Response head(String path, String... headers) {
        return send("HEAD", path, (byte[]) null, headers);
    }

    Response delete(String path) {
        return send("DELETE", path, (byte[]) null);
    }
}
