package io.strata.client.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.DigestMismatchException;
import io.strata.oci.MediaType;
import io.strata.oci.Reference;
import io.strata.oci.RepositoryName;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One client for the distribution API of one registry host: auth challenges (Docker's token flow,
 * anonymous or with credentials, and Basic), retries with backoff on 5xx, 429 (honouring
 * Retry-After) and connection errors, and verified, resumable blob downloads.
 */
public final class RegistryClient {
    /** What we accept for manifests, most specific first. */
    public static final String ACCEPT = String.join(", ", MediaType.OCI_INDEX, MediaType.OCI_MANIFEST,
            MediaType.DOCKER_MANIFEST_LIST, MediaType.DOCKER_MANIFEST);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_MANIFEST = 4 * 1024 * 1024;
    private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    static {
        // The JDK client reads sockets in 16 KiB buffers and wakes its selector per buffer; for blobs
        // of hundreds of megabytes, 256 KiB cut a 1 GiB pull's system time by half (bench/pull-unpack.sh).
        if (System.getProperty("jdk.httpclient.bufsize") == null) System.setProperty("jdk.httpclient.bufsize", "262144");
    }

    private final String host;
    private final String base;
    private final Optional<Credentials> credentials;
    private final HttpClient http;
    private final int attempts;
    /** Bearer tokens by scope; Basic needs none. */
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();
    /** One token request per scope at a time: parallel requests that all met a 401 share its answer. */
    private final Map<String, Object> tokenLocks = new ConcurrentHashMap<>();
    /** The Bearer challenge's parameters, kept to renew a token before it expires. */
    private volatile Map<String, String> bearerChallenge;
    private volatile boolean basic;

    /** A bearer token and when to stop using it (a little before the service says it expires). */
    private record Token(String value, long renewAtNanos) {
        boolean due() {
            return System.nanoTime() - renewAtNanos >= 0;
        }
    }

    /**
     * @param insecure plain HTTP; also used for localhost and 127.0.0.1 whatever this says
     */
    public RegistryClient(String host, boolean insecure, Optional<Credentials> credentials, int attempts) {
        this.host = host;
        boolean local = host.startsWith("localhost") || host.startsWith("127.") || host.startsWith("[::1]");
        this.base = (insecure || local ? "http://" : "https://") + host;
        this.credentials = credentials;
        this.attempts = attempts;
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(15)).build();
    }

    public String host() {
        return host;
    }

    /** A fetched manifest or index: its bytes, media type and (verified) digest. */
    public record Fetched(byte[] content, String mediaType, Digest digest) {
        public Descriptor descriptor() {
            return new Descriptor(mediaType, digest, content.length);
        }
    }

    /** Fetches a manifest by tag or digest and verifies it (by the digest asked for, else the header). */
    public Fetched manifest(RepositoryName repo, String reference) throws IOException {
        String scope = pullScope(repo);
        HttpResponse<InputStream> r = send(scope, () -> HttpRequest.newBuilder(uri(repo, "/manifests/" + reference))
                .header("Accept", ACCEPT).GET());
        byte[] content;
        try (InputStream in = r.body()) {
            content = in.readNBytes(MAX_MANIFEST + 1);
        }
        if (content.length > MAX_MANIFEST) throw new IOException("manifest " + reference + " is larger than 4 MiB");
        String type = r.headers().firstValue("Content-Type").map(t -> t.split(";")[0].trim()).orElse("");
        JsonNode body = JSON.readTree(content);
        if (!MediaType.MANIFESTS.contains(type)) type = body.path("mediaType").asText(type);
        if (!MediaType.MANIFESTS.contains(type)) throw new IOException("unsupported manifest media type " + type);
        Digest digest = Digest.sha256(content);
        if (reference.contains(":")) {
            Digest asked = Digest.parse(reference);
            asked.verify(content);
            digest = asked;
        } else {
            Optional<String> header = r.headers().firstValue("Docker-Content-Digest");
            if (header.isPresent() && !Digest.parse(header.get()).equals(digest)) {
                throw new IOException("manifest " + reference + " does not match its Docker-Content-Digest");
            }
        }
        return new Fetched(content, type, digest);
    }

    /** Small blobs (configs) into memory, verified. */
    public byte[] blobBytes(RepositoryName repo, Descriptor d) throws IOException {
        if (d.size() > MAX_MANIFEST) throw new IOException("blob " + d.digest() + " is too large to hold in memory");
        HttpResponse<InputStream> r = send(pullScope(repo), () -> HttpRequest.newBuilder(uri(repo, "/blobs/" + d.digest())).GET());
        byte[] content;
        try (InputStream in = r.body()) {
            content = in.readNBytes((int) d.size() + 1);
        }
        d.digest().verify(content);
        return content;
    }

    /** Progress of one blob download: bytes so far, and the total. */
    public interface Progress {
        void update(long done, long total);
    }

    /**
     * Downloads a blob into the store: resumes where an interrupted attempt stopped (Range), verifies
     * the digest, and discards and refetches content that does not match.
     */
    public void downloadBlob(RepositoryName repo, Descriptor d, LayoutStore store, Progress progress) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try (BlobStream in = openBlob(repo, d, store, progress)) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
                return;
            } catch (DigestMismatchException e) {
                if (attempt >= attempts) throw e; // the ingest was reset: the next attempt starts over
                backoff(attempt, null);
            }
        }
    }

    /**
     * A blob as a stream that is also written to the store: what arrives is hashed and kept, a cut
     * connection resumes with a Range request, and the end of the stream comes only after the
     * digest matched and the blob was committed to the store.
     */
    public BlobStream openBlob(RepositoryName repo, Descriptor d, LayoutStore store, Progress progress) throws IOException {
        return new BlobStream(this, repo, d, store, store.ingest(d.digest()), progress, attempts);
    }

    /** GET of a blob from {@code from} on: 206 when the registry honoured the Range, 200 for the whole blob. */
    HttpResponse<InputStream> getBlob(RepositoryName repo, Digest digest, long from) throws IOException {
        return send(pullScope(repo), () -> {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri(repo, "/blobs/" + digest)).GET();
            if (from > 0) b.header("Range", "bytes=" + from + "-");
            return b;
        });
    }

    /** GET /v2/ with authentication: proves the registry is reachable and the credentials are accepted. */
    public void ping() throws IOException {
        send("", () -> HttpRequest.newBuilder(URI.create(base + "/v2/")).GET()).body().close();
    }

    // ---- push ----------------------------------------------------------------------------------

    private static String pushScope(RepositoryName repo) {
        return "repository:" + repo + ":pull,push";
    }

    /** Whether the repository already has the blob (HEAD). */
    public boolean hasBlob(RepositoryName repo, Digest digest) throws IOException {
        try {
            send(pushScope(repo), () -> HttpRequest.newBuilder(uri(repo, "/blobs/" + digest))
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()), true).body().close();
            return true;
        } catch (RegistryException e) {
            if (e.status() == 404) return false;
            throw e;
        }
    }

    /** Asks the registry to link a blob from another of its repositories; false when it cannot (it opened a session instead). */
    public boolean mount(RepositoryName repo, Digest digest, RepositoryName from) throws IOException {
        String scope = pushScope(repo) + " repository:" + from + ":pull";
        HttpResponse<InputStream> r = send(scope, () -> HttpRequest.newBuilder(
                uri(repo, "/blobs/uploads/?mount=" + enc(digest.toString()) + "&from=" + enc(from.value())))
                .POST(HttpRequest.BodyPublishers.noBody()), true);
        r.body().close();
        if (r.statusCode() == 201) return true;
        r.headers().firstValue("Location").ifPresent(loc -> {
            try {
                send(scope, () -> HttpRequest.newBuilder(resolve(loc)).DELETE(), false).body().close();
            } catch (IOException ignored) {
                // an abandoned session expires on its own
            }
        });
        return false;
    }

    /** Supplies the blob's bytes from an offset, for each chunk or retry. */
    @FunctionalInterface
    public interface BlobSource {
        HttpRequest.BodyPublisher from(long offset, long length) throws IOException;
    }

    /**
     * Uploads a blob: one PUT when it fits in {@code chunkSize}, else PATCH chunks with Content-Range,
     * then PUT ?digest=. A failed attempt starts a new session (the registry drops the old one).
     */
    public void uploadBlob(RepositoryName repo, Descriptor d, BlobSource source, long chunkSize) throws IOException {
        String scope = pushScope(repo);
        IOException last = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            try {
                HttpResponse<InputStream> start = send(scope, () -> HttpRequest.newBuilder(uri(repo, "/blobs/uploads/"))
                        .POST(HttpRequest.BodyPublishers.noBody()), true);
                start.body().close();
                String location = start.headers().firstValue("Location")
                        .orElseThrow(() -> new IOException(host + " started an upload without a Location"));
                long offset = 0;
                if (d.size() > chunkSize) {
                    while (offset < d.size()) {
                        long n = Math.min(chunkSize, d.size() - offset);
                        long from = offset;
                        String loc = location;
                        HttpResponse<InputStream> r = send(scope, () -> HttpRequest.newBuilder(resolve(loc))
                                .header("Content-Type", "application/octet-stream")
                                .header("Content-Range", from + "-" + (from + n - 1))
                                .method("PATCH", uncheck(() -> source.from(from, n))), false);
                        r.body().close();
                        location = r.headers().firstValue("Location").orElse(location);
                        offset += n;
                    }
                }
                long rest = d.size() - offset;
                long from = offset;
                String loc = location;
                send(scope, () -> HttpRequest.newBuilder(withQuery(resolve(loc), "digest=" + enc(d.digest().toString())))
                        .header("Content-Type", "application/octet-stream")
                        .PUT(rest == 0 ? HttpRequest.BodyPublishers.noBody() : uncheck(() -> source.from(from, rest))), false)
                        .body().close();
                return;
            } catch (RegistryException e) {
                if (e.status() < 500 && e.status() != 429 && e.status() != 416) throw e;
                last = e;
            } catch (IOException e) {
                last = e;
            }
            backoff(attempt, null);
        }
        throw last;
    }

    /** Puts a manifest under a tag or its digest; checks the digest the registry reports. */
    public void putManifest(RepositoryName repo, String reference, String mediaType, byte[] content, Digest digest)
            throws IOException {
        HttpResponse<InputStream> r = send(pushScope(repo), () -> HttpRequest.newBuilder(uri(repo, "/manifests/" + reference))
                .header("Content-Type", mediaType).PUT(HttpRequest.BodyPublishers.ofByteArray(content)), true);
        r.body().close();
        Optional<String> reported = r.headers().firstValue("Docker-Content-Digest");
        if (reported.isPresent() && !Digest.parse(reported.get()).equals(digest)) {
            throw new IOException(host + " stored the manifest as " + reported.get() + ", not " + digest);
        }
    }

    private interface IoSupplier<T> {
        T get() throws IOException;
    }

    private static <T> T uncheck(IoSupplier<T> s) {
        try {
            return s.get();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Locations may be absolute or relative to the registry. */
    private URI resolve(String location) {
        return URI.create(base + "/").resolve(location);
    }

    private static URI withQuery(URI uri, String query) {
        String s = uri.toString();
        return URI.create(s + (s.contains("?") ? "&" : "?") + query);
    }

    // ---- plumbing ------------------------------------------------------------------------------

    private URI uri(RepositoryName repo, String rest) {
        return URI.create(base + "/v2/" + repo + rest);
    }

    private static String pullScope(RepositoryName repo) {
        return "repository:" + repo + ":pull";
    }

    /** Sends with auth and retries; answers a 2xx response or throws a RegistryException with one clear line. */
    HttpResponse<InputStream> send(String scope, RequestFactory request) throws IOException {
        return send(scope, request, true);
    }

    /** {@code retry}: false for requests that must not be repeated blindly (a chunk, a finishing PUT). */
    HttpResponse<InputStream> send(String scope, RequestFactory request, boolean retry) throws IOException {
        IOException last = null;
        int tries = retry ? attempts : 1;
        int challenges = 0;
        for (int attempt = 1; attempt <= tries; attempt++) {
            HttpResponse<InputStream> r;
            String sent = authorization(scope);
            try {
                HttpRequest.Builder b = request.build();
                if (sent != null) b.header("Authorization", sent);
                r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (java.io.UncheckedIOException e) {
                throw e.getCause();
            } catch (IOException e) {
                last = new IOException("cannot reach " + host + ": "
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
                backoff(attempt, null);
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            int status = r.statusCode();
            // At most two challenges a request: one to get credentials, one more if they went stale meanwhile.
            if (status == 401 && challenges < 2 && authenticate(r, scope, sent)) {
                r.body().close();
                challenges++;
                attempt--; // the retry with credentials is not a failure
                continue;
            }
            if (status == 401 && sent != null && credentials.isPresent()) {
                r.body().close();
                throw new RegistryException(401, "unauthorized: " + host + " refused the credentials of "
                        + credentials.get().username() + " (strata login " + host + ")");
            }
            if (status >= 200 && status < 300) return r;
            String message = errorMessage(r);
            if (status == 429 || status >= 500) {
                last = new RegistryException(status, host + " answered " + status + ": " + message);
                if (attempt < tries) backoff(attempt, r.headers().firstValue("Retry-After").orElse(null));
                continue;
            }
            throw new RegistryException(status, switch (status) {
                case 401 -> "unauthorized: " + host + " wants credentials (strata login " + host + ")";
                case 403 -> "denied by " + host + ": " + message;
                case 404 -> "not found on " + host + ": " + message;
                case 416 -> host + " refused a chunk's range: " + message;
                default -> host + " answered " + status + ": " + message;
            });
        }
        throw last;
    }

    @FunctionalInterface
    interface RequestFactory {
        HttpRequest.Builder build();
    }

    /** The Authorization header to send now: a token for the scope (renewed when due), else Basic once a registry asked. */
    private String authorization(String scope) throws IOException {
        Token token = tokens.get(scope);
        if (token != null && token.due() && bearerChallenge != null) token = fetchToken(scope, token);
        if (token != null) return "Bearer " + token.value();
        if (basic && credentials.isPresent()) return credentials.get().basicHeader();
        return null;
    }

    /**
     * Answers a 401's challenge, knowing what the request was sent with ({@code sent}): true when a
     * retry may succeed. Requests in flight when another one switched to Basic or fetched a token
     * are retried with what is current, not refused; a token that was current and still refused
     * (expired early, or for fewer actions) is fetched anew.
     */
    private boolean authenticate(HttpResponse<?> r, String scope, String sent) throws IOException {
        String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
        if (challenge.regionMatches(true, 0, "Basic", 0, 5)) {
            if (credentials.isEmpty()) return false;
            basic = true;
            return !credentials.get().basicHeader().equals(sent);
        }
        if (!challenge.regionMatches(true, 0, "Bearer", 0, 6)) return false;
        Map<String, String> params = new LinkedHashMap<>();
        Matcher m = CHALLENGE_PARAM.matcher(challenge);
        while (m.find()) params.put(m.group(1).toLowerCase(), m.group(2));
        if (params.get("realm") == null) return false;
        bearerChallenge = params;
        Token current = tokens.get(scope);
        if (current != null && !("Bearer " + current.value()).equals(sent)) return true; // fetched meanwhile
        fetchToken(scope, current);
        return true;
    }

    /** Fetches a token for the scope unless another thread replaced {@code stale} meanwhile. */
    private Token fetchToken(String scope, Token stale) throws IOException {
        synchronized (tokenLocks.computeIfAbsent(scope, k -> new Object())) {
            Token now = tokens.get(scope);
            if (now != null && now != stale && !now.due()) return now;
            Map<String, String> params = bearerChallenge;
            String realm = params.get("realm");
            StringBuilder url = new StringBuilder(realm).append(realm.contains("?") ? "&" : "?");
            if (params.containsKey("service")) url.append("service=").append(enc(params.get("service"))).append('&');
            url.append(java.util.Arrays.stream(scope.split(" ")).filter(sc -> !sc.isEmpty()).map(sc -> "scope=" + enc(sc))
                    .collect(java.util.stream.Collectors.joining("&")));
            HttpRequest.Builder tokenRequest = HttpRequest.newBuilder(URI.create(url.toString())).GET();
            credentials.ifPresent(c -> tokenRequest.header("Authorization", c.basicHeader()));
            try {
                HttpResponse<byte[]> t = http.send(tokenRequest.build(), HttpResponse.BodyHandlers.ofByteArray());
                if (t.statusCode() != 200) {
                    throw new RegistryException(401, "token service " + realm + " refused (" + t.statusCode() + ")"
                            + (credentials.isEmpty() ? ": log in with strata login " + host : ": check the credentials"));
                }
                JsonNode body = JSON.readTree(t.body());
                String value = body.path("token").asText(body.path("access_token").asText(""));
                if (value.isEmpty()) throw new RegistryException(401, "token service " + realm + " sent no token");
                // Docker's token spec: 60 s when the service does not say; renew at 90% of the lifetime.
                long lifetime = Math.max(10, body.path("expires_in").asLong(60));
                Token token = new Token(value, System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(lifetime * 9 / 10));
                tokens.put(scope, token);
                return token;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static String errorMessage(HttpResponse<InputStream> r) {
        try (InputStream in = r.body()) {
            byte[] body = in.readNBytes(64 * 1024);
            JsonNode errors = JSON.readTree(body).path("errors");
            if (errors.isArray() && !errors.isEmpty()) {
                return errors.get(0).path("code").asText() + " " + errors.get(0).path("message").asText();
            }
            return new String(body, StandardCharsets.UTF_8).lines().findFirst().orElse("").strip();
        } catch (Exception e) {
            return "(no details)";
        }
    }

    /** Exponential backoff with jitter, or the server's Retry-After (seconds) when it gave one. */
    static void backoff(int attempt, String retryAfter) throws IOException {
        long millis = Math.min(10_000, 200L << Math.min(attempt, 10)) + ThreadLocalRandom.current().nextLong(100);
        if (retryAfter != null) {
            try {
                millis = Math.min(60_000, Long.parseLong(retryAfter.trim()) * 1000);
            } catch (NumberFormatException ignored) {
                // an HTTP date: keep our own backoff
            }
        }
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
