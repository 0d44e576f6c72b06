package io.strata.remote;

import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.ImageJson;
import io.strata.oci.MediaType;
import io.strata.oci.RepositoryName;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Objects;
import java.util.Optional;

/**
 * The distribution API of one registry host, as calls that return manifests, streams and results:
 * what goes over the wire and how it is retried is {@link Transport}'s, who may do it is
 * {@link Authenticator}'s.
 */
public final class RegistryClient {
    /** What we accept for manifests, most specific first. */
    public static final String ACCEPT = String.join(", ", MediaType.OCI_INDEX, MediaType.OCI_MANIFEST,
            MediaType.DOCKER_MANIFEST_LIST, MediaType.DOCKER_MANIFEST);
    private static final int MAX_MANIFEST = 4 * 1024 * 1024;

    private final String host;
    private final Transport transport;
    private final Authenticator auth;

    public RegistryClient(String host, Transport.Options options, Optional<Credentials> credentials) {
        this.host = host;
        this.transport = new Transport(host, options);
        this.auth = new Authenticator(host, credentials, transport);
    }

    /** Default TLS settings; {@code insecure}: plain HTTP. */
    public RegistryClient(String host, boolean insecure, Optional<Credentials> credentials, int attempts) {
        this(host, Transport.Options.defaults(attempts).insecure(insecure), credentials);
    }

    public Transport transport() {
        return transport;
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
        HttpResponse<InputStream> r = send(scope, base -> HttpRequest.newBuilder(uri(base, repo, "/manifests/" + reference))
                .header("Accept", ACCEPT).GET());
        byte[] content;
        try (InputStream in = r.body()) {
            content = in.readNBytes(MAX_MANIFEST + 1);
        }
        if (content.length > MAX_MANIFEST) throw new IOException("manifest " + reference + " is larger than 4 MiB");
        String type = r.headers().firstValue("Content-Type").map(t -> t.split(";")[0].trim()).orElse("");
        if (!MediaType.MANIFESTS.contains(type)) type = Objects.requireNonNullElse(ImageJson.mediaType(content), type);
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

    /**
     * The digest a tag names now, by HEAD (registries such as Docker Hub do not count HEADs against
     * pull limits); empty when the registry answered without a Docker-Content-Digest.
     */
    public Optional<Digest> manifestDigest(RepositoryName repo, String reference) throws IOException {
        HttpResponse<InputStream> r = send(pullScope(repo), base -> HttpRequest.newBuilder(uri(base, repo, "/manifests/" + reference))
                .header("Accept", ACCEPT).method("HEAD", HttpRequest.BodyPublishers.noBody()));
        r.body().close();
        return r.headers().firstValue("Docker-Content-Digest").map(Digest::parse);
    }

    /**
     * What a tag or digest names, by HEAD alone: its media type, digest and size; empty when the
     * registry leaves out the digest or a manifest type (then a GET tells).
     */
    public Optional<Descriptor> headManifest(RepositoryName repo, String reference) throws IOException {
        HttpResponse<InputStream> r = send(pullScope(repo), base -> HttpRequest.newBuilder(uri(base, repo, "/manifests/" + reference))
                .header("Accept", ACCEPT).method("HEAD", HttpRequest.BodyPublishers.noBody()));
        r.body().close();
        Optional<String> digest = r.headers().firstValue("Docker-Content-Digest");
        String type = r.headers().firstValue("Content-Type").map(t -> t.split(";")[0].trim()).orElse("");
        var length = r.headers().firstValueAsLong("Content-Length");
        if (digest.isEmpty() || !MediaType.MANIFESTS.contains(type) || length.isEmpty()) return Optional.empty();
        Digest d = Digest.parse(digest.get());
        if (reference.contains(":") && !Digest.parse(reference).equals(d)) throw new IOException(host + " answered HEAD of " + reference + " with " + d);
        return Optional.of(new Descriptor(type, d, length.getAsLong()));
    }

    /** The size of a blob the repository has (HEAD). */
    public long blobSize(RepositoryName repo, Digest digest) throws IOException {
        HttpResponse<InputStream> r = send(pullScope(repo), base -> HttpRequest.newBuilder(uri(base, repo, "/blobs/" + digest))
                .method("HEAD", HttpRequest.BodyPublishers.noBody()));
        r.body().close();
        return r.headers().firstValueAsLong("Content-Length")
                .orElseThrow(() -> new IOException(host + " answered HEAD of " + digest + " without a Content-Length"));
    }

    /** One page of a repository's tags, in the registry's order; {@code more} when it links a next page. */
    public record TagPage(java.util.List<String> tags, boolean more) {}

    /** {@code GET /v2/<name>/tags/list} with {@code n} and {@code last} (either may be null). */
    public TagPage tags(RepositoryName repo, Integer n, String last) throws IOException {
        StringBuilder query = new StringBuilder();
        if (n != null) query.append("?n=").append(n);
        if (last != null) query.append(query.isEmpty() ? '?' : '&').append("last=").append(Authenticator.enc(last));
        HttpResponse<InputStream> r = send(pullScope(repo), base -> HttpRequest.newBuilder(uri(base, repo, "/tags/list" + query)).GET());
        byte[] content;
        try (InputStream in = r.body()) {
            content = in.readNBytes(MAX_MANIFEST + 1);
        }
        if (content.length > MAX_MANIFEST) throw new IOException("tag list of " + repo + " is larger than 4 MiB");
        java.util.List<String> tags = new java.util.ArrayList<>();
        ImageJson.plain().readTree(content).path("tags").forEach(t -> tags.add(t.asText()));
        boolean more = r.headers().allValues("Link").stream().anyMatch(l -> l.contains("rel=\"next\""));
        return new TagPage(tags, more);
    }

    /** Every tag of a repository, page after page as the registry's {@code Link} headers lead (distribution-spec's pagination). */
    public java.util.List<String> allTags(RepositoryName repo) throws IOException {
        return allTags(repo, 1000);
    }

    /** As {@link #allTags(RepositoryName)}, asking for pages of {@code pageSize}. */
    public java.util.List<String> allTags(RepositoryName repo, int pageSize) throws IOException {
        return pages(pullScope(repo), base -> uri(base, repo, "/tags/list?n=" + pageSize), "tags");
    }

    /** Every repository of the registry ({@code GET /v2/_catalog}), page after page. */
    public java.util.List<String> catalog() throws IOException {
        return pages("registry:catalog:*", base -> base.resolve("/v2/_catalog?n=1000"), "repositories");
    }

    /**
     * A listing ({@code field} of each page's JSON) from {@code first} on, following each
     * {@code Link: <URL>; rel="next"} (relative to the registry) until a page has none.
     */
    private java.util.List<String> pages(String scope, java.util.function.Function<URI, URI> first, String field) throws IOException {
        java.util.List<String> all = new java.util.ArrayList<>();
        String next = null;
        for (int page = 0; ; page++) {
            if (page > 100_000) throw new IOException(host + " kept linking pages: more than 100,000");
            String link = next;
            HttpResponse<InputStream> r = send(scope, base -> HttpRequest.newBuilder(link == null ? first.apply(base) : resolve(base, link)).GET());
            byte[] content;
            try (InputStream in = r.body()) {
                content = in.readNBytes(MAX_MANIFEST + 1);
            }
            if (content.length > MAX_MANIFEST) throw new IOException("a page of " + field + " from " + host + " is larger than 4 MiB");
            ImageJson.plain().readTree(content).path(field).forEach(t -> all.add(t.asText()));
            next = nextLink(r.headers().allValues("Link"));
            if (next == null) return all;
        }
    }

    /** The target of a {@code rel="next"} link (RFC 8288), or null. */
    static String nextLink(java.util.List<String> links) {
        for (String header : links) {
            for (String link : header.split(",(?=\\s*<)")) {
                int open = link.indexOf('<'), close = link.indexOf('>');
                if (open < 0 || close < open) continue;
                String params = link.substring(close + 1);
                if (params.matches("(?s).*;\\s*rel=\"?next\"?.*")) return link.substring(open + 1, close).strip();
            }
        }
        return null;
    }

    /**
     * {@code DELETE /v2/<name>/manifests/<reference>}: a digest deletes the manifest (and every tag
     * naming it), a tag only the tag (distribution-spec 1.1; registries without it answer 400 or 405,
     * as a {@link RegistryException}).
     */
    public void delete(RepositoryName repo, String reference) throws IOException {
        send("repository:" + repo + ":delete", base -> HttpRequest.newBuilder(uri(base, repo, "/manifests/" + reference)).DELETE(), false)
                .body().close();
    }

    /** Small blobs (configs) into memory, verified. */
    public byte[] blobBytes(RepositoryName repo, Descriptor d) throws IOException {
        if (d.size() > MAX_MANIFEST) throw new IOException("blob " + d.digest() + " is too large to hold in memory");
        HttpResponse<InputStream> r = send(pullScope(repo), base -> HttpRequest.newBuilder(uri(base, repo, "/blobs/" + d.digest())).GET());
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

    /** GET of a blob from {@code from} on: 206 when the registry honoured the Range, 200 for the whole blob. */
    public HttpResponse<InputStream> getBlob(RepositoryName repo, Digest digest, long from) throws IOException {
        return send(pullScope(repo), base -> {
            HttpRequest.Builder b = HttpRequest.newBuilder(uri(base, repo, "/blobs/" + digest)).GET();
            if (from > 0) b.header("Range", "bytes=" + from + "-");
            return b;
        });
    }

    /** GET /v2/ with authentication: proves the registry is reachable and the credentials are accepted. */
    public void ping() throws IOException {
        send("", base -> HttpRequest.newBuilder(base.resolve("/v2/")).GET()).body().close();
    }

    // ---- push ----------------------------------------------------------------------------------

    private static String pushScope(RepositoryName repo) {
        return "repository:" + repo + ":pull,push";
    }

    /** Whether the repository already has the blob (HEAD). */
    public boolean hasBlob(RepositoryName repo, Digest digest) throws IOException {
        try {
            send(pushScope(repo), base -> HttpRequest.newBuilder(uri(base, repo, "/blobs/" + digest))
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
        HttpResponse<InputStream> r = send(scope, base -> HttpRequest.newBuilder(
                uri(base, repo, "/blobs/uploads/?mount=" + Authenticator.enc(digest.toString()) + "&from=" + Authenticator.enc(from.value())))
                .POST(HttpRequest.BodyPublishers.noBody()), true);
        r.body().close();
        if (r.statusCode() == 201) return true;
        r.headers().firstValue("Location").ifPresent(loc -> cancelUpload(scope, loc));
        return false;
    }

    /**
     * Cancels an upload session this client will not finish (DELETE, which the spec gives for it), so
     * the registry drops its bytes now rather than when the session expires. Best effort, and also
     * when this thread was interrupted (the reason, often): the request runs on a thread of its own,
     * which a second interrupt (an executor shutting down) cannot abort, and is waited for at most
     * {@link #CANCEL_WAIT} (the registry answers once the interrupted upload's request has ended).
     */
    private void cancelUpload(String scope, String location) {
        Thread request = Thread.ofVirtual().start(() -> {
            try {
                send(scope, base -> HttpRequest.newBuilder(resolve(base, location)).DELETE(), false).body().close();
            } catch (IOException | RuntimeException ignored) {
                // an abandoned session expires on its own
            }
        });
        boolean interrupted = false;
        long deadline = System.nanoTime() + CANCEL_WAIT.toNanos();
        while (request.isAlive() && System.nanoTime() < deadline) {
            try {
                request.join(java.time.Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
    }

    /** How long an upload's cancel is waited for. */
    private static final java.time.Duration CANCEL_WAIT = java.time.Duration.ofSeconds(8);

    /** Supplies the blob's bytes from an offset, for each chunk or retry. */
    @FunctionalInterface
    public interface BlobSource {
        HttpRequest.BodyPublisher from(long offset, long length) throws IOException;

        /** A file's bytes, each request reading its own range of it from disk. */
        static BlobSource ofFile(java.nio.file.Path file) {
            return (offset, length) -> {
                java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.READ);
                ch.position(offset);
                return HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.BufferedInputStream(
                        new Bounded(java.nio.channels.Channels.newInputStream(ch), length), 1 << 16)), length);
            };
        }
    }

    /**
     * Uploads a blob: one PUT when it fits in {@code chunkSize}, else PATCH chunks with Content-Range,
     * then PUT ?digest=. A failed or interrupted attempt cancels its session; a failed one starts anew.
     */
    public void uploadBlob(RepositoryName repo, Descriptor d, BlobSource source, long chunkSize) throws IOException {
        String scope = pushScope(repo);
        IOException last = null;
        for (int attempt = 1; attempt <= transport.attempts(); attempt++) {
            String location = null;
            try {
                HttpResponse<InputStream> start = send(scope, base -> HttpRequest.newBuilder(uri(base, repo, "/blobs/uploads/"))
                        .POST(HttpRequest.BodyPublishers.noBody()), true);
                start.body().close();
                location = start.headers().firstValue("Location")
                        .orElseThrow(() -> new IOException(host + " started an upload without a Location"));
                long offset = 0;
                if (d.size() > chunkSize) {
                    while (offset < d.size()) {
                        long n = Math.min(chunkSize, d.size() - offset);
                        long from = offset;
                        String loc = location;
                        HttpResponse<InputStream> r = send(scope, base -> HttpRequest.newBuilder(resolve(base, loc))
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
                send(scope, base -> HttpRequest.newBuilder(withQuery(resolve(base, loc), "digest=" + Authenticator.enc(d.digest().toString())))
                        .header("Content-Type", "application/octet-stream")
                        .PUT(rest == 0 ? HttpRequest.BodyPublishers.noBody() : uncheck(() -> source.from(from, rest))), false)
                        .body().close();
                return;
            } catch (IOException | RuntimeException e) {
                if (location != null) cancelUpload(scope, location);
                if (Thread.currentThread().isInterrupted()) throw e;
                switch (e) {
                    case RegistryException r when r.status() < 500 && r.status() != 429 && r.status() != 416 -> throw r;
                    case Transport.TransportException t when !t.retryable() -> throw t;
                    case IOException io -> last = io;
                    default -> throw e;
                }
            }
            if (attempt < transport.attempts()) transport.backoff(attempt, null, last.getMessage());
        }
        throw last;
    }

    /**
     * Puts a manifest under a tag or its digest; checks the digest the registry reports. Answers
     * whether the registry said it indexed the manifest's subject ({@code OCI-Subject}, distribution
     * spec 1.1): when it did not, a client keeps the referrers tag itself.
     */
    public boolean putManifest(RepositoryName repo, String reference, String mediaType, byte[] content, Digest digest)
            throws IOException {
        HttpResponse<InputStream> r = send(pushScope(repo), base -> HttpRequest.newBuilder(uri(base, repo, "/manifests/" + reference))
                .header("Content-Type", mediaType).PUT(HttpRequest.BodyPublishers.ofByteArray(content)), true);
        r.body().close();
        Optional<String> reported = r.headers().firstValue("Docker-Content-Digest");
        if (reported.isPresent() && !Digest.parse(reported.get()).equals(digest)) {
            throw new IOException(host + " stored the manifest as " + reported.get() + ", not " + digest);
        }
        return r.headers().firstValue("OCI-Subject").isPresent();
    }

    /**
     * {@code GET /v2/<name>/referrers/<digest>} (with {@code artifactType} when given): the index of
     * what refers to the manifest, or empty when the registry has no referrers API (404), whose
     * clients use the referrers tag schema instead.
     */
    public Optional<byte[]> referrers(RepositoryName repo, Digest subject, String artifactType) throws IOException {
        String query = artifactType == null ? "" : "?artifactType=" + Authenticator.enc(artifactType);
        try {
            HttpResponse<InputStream> r = send(pullScope(repo), base -> HttpRequest.newBuilder(uri(base, repo, "/referrers/" + subject + query))
                    .header("Accept", MediaType.OCI_INDEX).GET());
            byte[] content;
            try (InputStream in = r.body()) {
                content = in.readNBytes(MAX_MANIFEST + 1);
            }
            if (content.length > MAX_MANIFEST) throw new IOException("the referrers of " + subject + " are more than 4 MiB");
            return Optional.of(content);
        } catch (RegistryException e) {
            if (e.status() == 404) return Optional.empty();
            throw e;
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
    private static URI resolve(URI base, String location) {
        return base.resolve("/").resolve(location);
    }

    private static URI withQuery(URI uri, String query) {
        String s = uri.toString();
        return URI.create(s + (s.contains("?") ? "&" : "?") + query);
    }

    // ---- plumbing ------------------------------------------------------------------------------

    private static URI uri(URI base, RepositoryName repo, String rest) {
        return URI.create(base + "/v2/" + repo + rest);
    }

    private static String pullScope(RepositoryName repo) {
        return "repository:" + repo + ":pull";
    }

    HttpResponse<InputStream> send(String scope, Transport.RequestFactory request) throws IOException {
        return send(scope, request, true);
    }

    /** {@code retry}: false for requests that must not be repeated blindly (a chunk, a finishing PUT). */
    HttpResponse<InputStream> send(String scope, Transport.RequestFactory request, boolean retry) throws IOException {
        return transport.send(request, retry, auth.scope(scope));
    }


}
