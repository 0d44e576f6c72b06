package io.strata.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a hostile-input probe found, as a corpus: raw requests that no client library would send,
 * each answered with a 4xx or 5xx status of the protocol's choosing and, where a body may follow,
 * the spec's error JSON; never a 500, never another path than the one asked for. And the
 * connection-level limits: an idle connection is closed, a stalled upload does not hold its lock.
 */
class HardeningTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Registry start(String extra) throws Exception {
        return Registries.start(dir, extra);
    }

    /** The raw response to a raw request (the connection closed or quiet for 3 s). */
    private static String raw(int port, String request) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(3000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            InputStream in = s.getInputStream();
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    out.write(buf, 0, n);
                    if (complete(out.toString(StandardCharsets.ISO_8859_1))) break;
                }
            } catch (SocketTimeoutException | java.net.SocketException ignored) {
                // what arrived is the answer
            }
            return out.toString(StandardCharsets.ISO_8859_1);
        }
    }

    private static boolean complete(String r) {
        int end = r.indexOf("\r\n\r\n");
        if (end < 0) return false;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(r.substring(0, end));
        return m.find() && r.length() - end - 4 >= Integer.parseInt(m.group(1));
    }

    @Test
    void badRequestsGetTheSpecsErrorsAndNeverReachAnotherPath() throws Exception {
        try (Registry registry = start("")) {
            int port = registry.port();
            Map<String, Integer> corpus = new LinkedHashMap<>();
            corpus.put("GET /v2/ HTTP/1.1\r\n\r\n", 400);
            corpus.put("GET /v2/lib/app/tags/list HTTP/1.1\r\n\r\n", 400);
            corpus.put("GET /v2/../probe/base/tags/list HTTP/1.1\r\nHost: x\r\n\r\n", 400);
            corpus.put("GET /v2/%2e%2e/x/tags/list HTTP/1.1\r\nHost: x\r\n\r\n", 400);
            corpus.put("GET /v2/../healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400);
            corpus.put("GET /v2/./lib/app/tags/list HTTP/1.1\r\nHost: x\r\n\r\n", 400);
            corpus.put("GET /v2/lib/app/../../healthz HTTP/1.1\r\nHost: x\r\n\r\n", 400);
            corpus.put("GET /v2/a%zzb/tags/list HTTP/1.1\r\nHost: x\r\n\r\n", 400);
            corpus.put("GET /v2/a%2fb/tags/list HTTP/1.1\r\nHost: x\r\n\r\n", 400);
            corpus.put("GET /v2/a%5cb/tags/list HTTP/1.1\r\nHost: x\r\n\r\n", 400);
            corpus.put("GET /v2/a%/tags/list HTTP/1.1\r\nHost: x\r\n\r\n", 400);
            corpus.put("GET /v2/" + "a".repeat(10_000) + "/tags/list HTTP/1.1\r\nHost: x\r\n\r\n", 414);
            corpus.put("GET /v2/ HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(10_000) + "\r\n\r\n", 431);
            corpus.put("GET /v2/Lib/App/tags/list HTTP/1.1\r\nHost: x\r\n\r\n", 400);
            corpus.put("GET /v2/lib/app/manifests/sha256:zz HTTP/1.1\r\nHost: x\r\n\r\n", 404);
            corpus.put("GET /v2/lib/app/blobs/sha256:" + "a".repeat(64) + " HTTP/1.1\r\nHost: x\r\nRange: bytes=9-1\r\n\r\n", 404);
            corpus.put("PATCH /v2/lib/app/blobs/uploads/nosuch HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 404);
            corpus.put("PUT /v2/lib/app/manifests/v1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\n"
                    + "Content-Length: 5\r\n\r\n{}xyz", 400);
            corpus.put("GET /v2/_catalog?n=-1 HTTP/1.1\r\nHost: x\r\n\r\n", 400);
            corpus.put("GET /v2/ HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400);
            corpus.put("GET /v2/lib/app/tags/list HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400);
            corpus.put("CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n", 405);
            corpus.put("GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n", 404);
            corpus.put("GET /v2/lib/app/manifests/v1/extra HTTP/1.1\r\nHost: x\r\n\r\n", 404);
            for (var e : corpus.entrySet()) {
                String request = e.getKey();
                String label = request.length() > 80 ? request.substring(0, 80) + "…" : request;
                String response = raw(port, request);
                assertTrue(response.startsWith("HTTP/"), label + ": " + response);
                int status = Integer.parseInt(response.substring(9, 12));
                assertEquals(e.getValue(), status, label + "\n" + response);
                String body = response.substring(response.indexOf("\r\n\r\n") + 4);
                JsonNode errors = JSON.readTree(body).path("errors");
                assertTrue(errors.isArray() && !errors.path(0).path("code").asText().isEmpty(), label + ": the error JSON\n" + response);
            }
            String unknownVersion = raw(port, "GET /v2/ HTTP/9.9\r\nHost: x\r\n\r\n");
            assertTrue(unknownVersion.matches("(?s)HTTP/\\S+ 505 .*\"code\":\"UNSUPPORTED\".*"), unknownVersion);
            String websocket = raw(port, "GET /v2/ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
            assertTrue(websocket.startsWith("HTTP/1.1 404 "), "no WebSockets here: " + websocket);
        }
    }

    /**
     * A body the HTTP decoder cannot read (a chunk size that is not hex, a chunk line cut short) is
     * answered 400 in the spec's format before the connection closes, is logged as a refusal and not
     * as an internal error, and the access log says the status that was sent.
     */
    @Test
    void aMalformedChunkedBodyIsAnsweredAndLoggedAsARefusal() throws Exception {
        try (LogLines guard = LogLines.of(RequestGuard.class); LogLines failures = LogLines.of(Failures.class);
             LogLines access = LogLines.info("io.strata.registry.access"); Registry registry = start("log:\n  access: true\n")) {
            int port = registry.port();
            String location = new Http(port).send("POST", "/v2/lib/app/blobs/uploads/", (byte[]) null).header("Location");
            Map<String, String> bodies = new LinkedHashMap<>();
            bodies.put("PATCH " + location, "ZZ\r\nabc\r\n0\r\n\r\n");
            bodies.put("PATCH " + location + " ", "3\r\nabc\r\nQ\r\n");
            bodies.put("PUT /v2/lib/app/manifests/v1", "-5\r\nabc\r\n0\r\n\r\n");
            bodies.put("POST /v2/lib/app/blobs/uploads/", "1;" + "x".repeat(20_000) + "\r\na\r\n0\r\n\r\n");
            for (var e : bodies.entrySet()) {
                String response = raw(port, e.getKey().strip() + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n" + e.getValue());
                assertTrue(response.startsWith("HTTP/1.1 400 "), e.getKey() + ": " + response);
                JsonNode error = JSON.readTree(response.substring(response.indexOf("\r\n\r\n") + 4)).path("errors").path(0);
                assertEquals("UNSUPPORTED", error.path("code").asText(), response);
                assertTrue(error.path("message").asText().startsWith("malformed request body"), response);
            }
            assertEquals(200, new Http(port).get("/v2/").status(), "still serving");
            Thread.sleep(200); // the access log's line for a failed connection comes one event-loop turn later
            assertEquals(java.util.List.of(), failures.messages(), "no internal error logged");
            assertEquals(bodies.size(), guard.messages().stream().filter(m -> m.contains("malformed request body")).count(),
                    String.join("\n", guard.messages()));
            java.util.List<String> refused = access.messages().stream().filter(m -> m.contains("status=400")).toList();
            assertEquals(bodies.size(), refused.size(), String.join("\n", access.messages()));
            assertTrue(access.messages().stream().noneMatch(m -> m.contains("chunked") || m.matches(".*(PATCH|PUT).*status=200.*")),
                    String.join("\n", access.messages()));
        }
    }

    /** OPTIONS * asks about the server as a whole: the methods some endpoint takes, and no body. */
    @Test
    void optionsStarAnswersTheServersMethods() throws Exception {
        try (Registry registry = start("")) {
            String response = raw(registry.port(), "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n");
            assertTrue(response.startsWith("HTTP/1.1 204 "), response);
            assertTrue(response.contains("Allow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\n"), response);
        }
    }

    /**
     * skopeo and podman without TLS verification try https first: their handshake reaches a plain
     * listener as a malformed request. It is answered 400 and logged with what it likely was, and a
     * flood of them (or of any bad request) is not a log line each.
     */
    @Test
    void aTlsHandshakeOnAPlainListenerIsNamedInTheLogAndBadRequestsAreLoggedAtMostTenASecond() throws Exception {
        try (LogLines lines = LogLines.of(RequestGuard.class); Registry registry = start("")) {
            javax.net.ssl.SSLEngine client = javax.net.ssl.SSLContext.getDefault().createSSLEngine("127.0.0.1", registry.port());
            client.setUseClientMode(true);
            java.nio.ByteBuffer hello = java.nio.ByteBuffer.allocate(client.getSession().getPacketBufferSize());
            client.wrap(java.nio.ByteBuffer.allocate(0), hello);
            String handshake = new String(hello.array(), 0, hello.position(), StandardCharsets.ISO_8859_1);
            assertEquals(0x16, handshake.charAt(0), "a TLS handshake record");
            int sent = 40;
            for (int i = 0; i < sent; i++) {
                String response = raw(registry.port(), handshake);
                assertTrue(response.matches("(?s)HTTP/1\\.[01] 400 .*\"code\":\"UNSUPPORTED\".*"), response);
            }
            assertEquals(200, new Http(registry.port()).get("/v2/").status(), "still serving");
            var messages = lines.messages();
            assertTrue(messages.getFirst().contains("malformed HTTP request (or a TLS handshake: this listener speaks plain HTTP"),
                    messages.getFirst());
            // Ten a second and a note that more came: the requests span at most a few seconds.
            assertTrue(messages.contains("more bad requests this second; not logging each"), String.join("\n", messages));
            assertTrue(messages.size() < sent, messages.size() + " lines for " + sent + " bad requests");
        }
    }

    @Test
    void idleConnectionsCloseAndAStalledUploadDoesNotHoldItsSession() throws Exception {
        try (Registry registry = start("limits:\n  idleTimeout: 2s\n")) {
            int port = registry.port();
            // An idle keep-alive connection is closed by the server.
            try (Socket idle = new Socket("127.0.0.1", port)) {
                idle.setSoTimeout(15_000);
                long t0 = System.nanoTime();
                assertEquals(-1, idle.getInputStream().read(), "closed, not answered");
                assertTrue(System.nanoTime() - t0 < 14_000_000_000L);
            }
            Http http = new Http(port);
            String location = http.send("POST", "/v2/lib/app/blobs/uploads/", (byte[]) null).header("Location");
            // A PATCH that declares 1 MiB, sends 10 kB and stops, keeping its connection open.
            try (Socket stalled = new Socket("127.0.0.1", port)) {
                OutputStream out = stalled.getOutputStream();
                out.write(("PATCH " + location + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: 1048576\r\n\r\n")
                        .getBytes(StandardCharsets.ISO_8859_1));
                out.write(new byte[10_000]);
                out.flush();
                Thread.sleep(300);
                long t0 = System.nanoTime();
                Http.Response cancelled = http.delete(location);
                long waited = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(cancelled.status() == 204 || cancelled.status() == 404, cancelled.status() + " " + cancelled.text());
                assertTrue(waited < 20_000, "the stalled client's connection was closed and its lock released: waited " + waited + " ms");
            }
        }
    }

    @Test
    void aClientCannotPileUpUploadSessions() throws Exception {
        try (Registry registry = start("limits:\n  maxOpenUploadsPerClient: 3\n")) {
            Http http = new Http(registry.port());
            java.util.List<String> sessions = new java.util.ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Http.Response r = http.send("POST", "/v2/lib/app/blobs/uploads/", (byte[]) null);
                assertEquals(202, r.status());
                sessions.add(r.header("Location"));
            }
            Http.Response refused = http.send("POST", "/v2/lib/app/blobs/uploads/", (byte[]) null);
            assertEquals(429, refused.status());
            assertEquals("TOOMANYREQUESTS", refused.errorCode());
            // A finished or cancelled session no longer counts.
            assertEquals(204, http.delete(sessions.getFirst()).status());
            byte[] one = {1};
            assertEquals(201, http.send("PUT", sessions.get(1) + "?digest=" + io.strata.oci.Digest.sha256(one), one).status());
            assertEquals(202, http.send("POST", "/v2/lib/app/blobs/uploads/", (byte[]) null).status());
            assertEquals(202, http.send("POST", "/v2/lib/app/blobs/uploads/", (byte[]) null).status());
            assertEquals(429, http.send("POST", "/v2/lib/app/blobs/uploads/", (byte[]) null).status());
            // Monolithic uploads open no session that outlives the request.
            byte[] two = {2};
            assertEquals(201, http.send("POST", "/v2/lib/app/blobs/uploads/?digest=" + io.strata.oci.Digest.sha256(two), two).status());
        }
    }
}
