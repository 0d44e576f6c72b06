package io.strata.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.strata.oci.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A proxy in front of a real registry, for what a registry rarely does on cue: it records every
 * request the registry saw, can cut or corrupt one response for a blob, and can demand a bearer
 * token from its own small token service (Docker's token flow).
 */
public final class RegistryProxy implements AutoCloseable {
    private static final Set<String> HOP_HEADERS = Set.of("host", "connection", "content-length", "transfer-encoding",
            "upgrade", "expect", "keep-alive");
    private volatile String token = "test-token-" + System.nanoTime();

    private final HttpServer server;
    private final String upstream;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    /** "METHOD path [Range: …]" of every request passed to the registry. */
    public final List<String> seen = new CopyOnWriteArrayList<>();
    private final Map<Digest, Long> cutAfter = new ConcurrentHashMap<>();
    private final Set<Digest> corrupt = ConcurrentHashMap.newKeySet();
    private volatile String bearerUser;
    /** Statuses to answer, one per request, before passing requests on again. */
    private final java.util.Queue<int[]> failures = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private volatile String bearerPassword;

    public RegistryProxy(int upstreamPort) throws IOException {
        upstream = "http://127.0.0.1:" + upstreamPort;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", this::handle);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String host() {
        return "127.0.0.1:" + port();
    }

    /** The next GET of this blob sends {@code bytes} bytes, then the connection drops. */
    public void cutOnce(Digest d, long bytes) {
        cutAfter.put(d, bytes);
    }

    /** The next GET of this blob has one byte flipped. */
    public void corruptOnce(Digest d) {
        corrupt.add(d);
    }

    private final Set<String> corruptManifests = ConcurrentHashMap.newKeySet();

    /**
     * The next GET of the manifest under {@code reference} (a tag or digest) comes with one letter of
     * its JSON changed: still a valid manifest, and still with the registry's Docker-Content-Digest.
     */
    public void corruptManifestOnce(String reference) {
        corruptManifests.add(reference);
    }

    /** Requests need a bearer token; the token service wants these credentials (null: anonymous). */
    public void requireBearer(String user, String password) {
        bearerUser = user == null ? "" : user;
        bearerPassword = password;
    }

    /** Tokens issued so far stop working, as when they expire early. */
    public void expireTokens() {
        token = "test-token-" + System.nanoTime();
    }

    /** The next {@code times} requests are answered {@code status} (with Retry-After: {@code retryAfter} s when > 0). */
    public void fail(int status, int times, int retryAfter) {
        for (int i = 0; i < times; i++) failures.add(new int[] {status, retryAfter});
    }

    public long count(String prefix) {
        return seen.stream().filter(s -> s.startsWith(prefix)).count();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getRawPath() + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery());
            if (path.startsWith("/token")) {
                token(ex);
                return;
            }
            if (bearerUser != null && !("Bearer " + token).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://" + host() + "/token\",service=\"proxy\"");
                ex.sendResponseHeaders(401, -1);
                return;
            }
            int[] failure = failures.poll();
            if (failure != null) {
                seen.add("FAILED " + failure[0] + " " + ex.getRequestMethod() + " " + path + " at " + System.nanoTime());
                if (failure[1] > 0) ex.getResponseHeaders().add("Retry-After", Integer.toString(failure[1]));
                ex.sendResponseHeaders(failure[0], -1);
                return;
            }
            String range = ex.getRequestHeaders().getFirst("Range");
            seen.add(ex.getRequestMethod() + " " + path + (range == null ? "" : " Range: " + range));
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(upstream + path))
                    .method(ex.getRequestMethod(), ex.getRequestMethod().equals("GET") || ex.getRequestMethod().equals("HEAD")
                            ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofInputStream(ex::getRequestBody));
            ex.getRequestHeaders().forEach((k, vs) -> {
                if (!HOP_HEADERS.contains(k.toLowerCase()) && !k.equalsIgnoreCase("Authorization")) vs.forEach(v -> b.header(k, v));
            });
            HttpResponse<InputStream> r = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            r.headers().map().forEach((k, vs) -> {
                if (HOP_HEADERS.contains(k.toLowerCase()) || k.equals(":status")) return;
                // Absolute Locations name the registry itself; keep the client coming through us.
                if (k.equalsIgnoreCase("Location")) vs = vs.stream().map(v -> v.replace(upstream, "http://" + host())).toList();
                ex.getResponseHeaders().put(k, vs);
            });
            long length = r.headers().firstValueAsLong("Content-Length").orElse(-1);
            Digest blob = blobDigest(path);
            Long cut = blob == null ? null : cutAfter.remove(blob);
            boolean flip = blob != null && r.statusCode() == 200 && corrupt.remove(blob);
            // A HEAD answer says the size it would send (the server adds no Content-Length of its own then).
            if (ex.getRequestMethod().equals("HEAD") && length >= 0) ex.getResponseHeaders().set("Content-Length", Long.toString(length));
            ex.sendResponseHeaders(r.statusCode(), ex.getRequestMethod().equals("HEAD") || length == 0 ? -1 : Math.max(length, 0));
            int manifests = path.indexOf("/manifests/");
            if (manifests > 0 && ex.getRequestMethod().equals("GET") && r.statusCode() == 200
                    && corruptManifests.remove(path.substring(manifests + "/manifests/".length()))) {
                byte[] body = r.body().readAllBytes();
                String text = new String(body, java.nio.charset.StandardCharsets.UTF_8);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(text.replaceFirst("application/", "bpplication/").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                }
                return;
            }
            try (InputStream in = r.body(); OutputStream out = ex.getResponseBody()) {
                byte[] buf = new byte[64 * 1024];
                long sent = 0;
                int n;
                while ((n = in.read(buf)) != -1) {
                    if (flip && sent == 0 && n > 0) buf[0] ^= 0x5a;
                    if (cut != null && sent + n > cut) {
                        out.write(buf, 0, (int) (cut - sent));
                        out.flush();
                        throw new IOException("cut");
                    }
                    out.write(buf, 0, n);
                    sent += n;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void token(HttpExchange ex) throws IOException {
        String expected = bearerUser == null || bearerUser.isEmpty() ? null
                : "Basic " + Base64.getEncoder().encodeToString((bearerUser + ":" + bearerPassword).getBytes());
        if (expected != null && !expected.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            ex.sendResponseHeaders(401, -1);
            return;
        }
        seen.add("TOKEN " + ex.getRequestURI().getRawQuery());
        byte[] body = ("{\"token\":\"" + token + "\",\"expires_in\":300}").getBytes();
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
    }

    private static Digest blobDigest(String path) {
        int i = path.indexOf("/blobs/sha256:");
        if (i < 0 || path.contains("/uploads/")) return null;
        try {
            return Digest.parse(path.substring(i + "/blobs/".length()).split("\\?")[0]);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
