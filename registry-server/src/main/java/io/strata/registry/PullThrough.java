package io.strata.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.strata.oci.Digest;
import io.strata.oci.InvalidValueException;
import io.strata.oci.RepositoryName;
import io.strata.oci.Tag;
import io.strata.remote.RegistryClient;
import io.strata.storage.Storage;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pull-through cache. A repository under an upstream's prefix is that upstream's repository:
 * a manifest or blob this registry lacks is fetched from it, verified, stored and served; a tag is
 * asked of the upstream again once its time to live has passed, and while the upstream cannot be
 * reached the stored copy is served with a stale warning. Everything else, pushes to other
 * repositories included, works as without the cache; pushes under a prefix are refused.
 */
final class PullThrough {
    private static final Logger LOG = LoggerFactory.getLogger(PullThrough.class);
    /** RFC 7234's warning for a response served from a cache that could not revalidate it. */
    static final String STALE = "110 - \"Response is Stale\"";

    private final Storage storage;
    /** Longest prefix first, so hub/x beats the catch-all "" mirror. */
    private final List<Upstream> upstreams;
    private final ExecutorService executor;
    private final Path spoolDir;
    private final Map<Digest, BlobFetch> fetching = new ConcurrentHashMap<>();
    /** "name:tag" → when the tag must be asked of the upstream again. Per instance: each asks once a TTL. */
    private final Cache<String, Instant> fresh = Caffeine.newBuilder().maximumSize(100_000).build();

    private record Target(Upstream upstream, RepositoryName remote) {}

    private final Metrics metrics;
    /** Null when the cache has no size cap. */
    private final ProxyEviction eviction;

    PullThrough(Storage storage, RegistryConfig config, ExecutorService executor, Metrics metrics) throws IOException {
        this.storage = storage;
        this.metrics = metrics;
        this.upstreams = config.upstreams().stream().map(Upstream::of)
                .sorted(Comparator.comparingInt((Upstream u) -> u.prefix().length()).reversed()).toList();
        this.executor = executor;
        this.spoolDir = config.proxy().spoolDir() != null ? Path.of(config.proxy().spoolDir())
                : Path.of(System.getProperty("java.io.tmpdir"), "strata-proxy");
        Files.createDirectories(spoolDir);
        removeAbandonedSpools();
        this.eviction = config.proxyMaxBytes() > 0
                ? new ProxyEviction(storage, config.proxyMaxBytes(), name -> target(name).isPresent()) : null;
    }

    /** Keeps the cache under its cap, when it has one; empty otherwise. */
    Optional<ProxyEviction.Result> evict() {
        return eviction == null ? Optional.empty() : Optional.of(eviction.run());
    }

    /** Spool files a crashed instance left (a live fetch writes to its file at least once a minute). */
    private void removeAbandonedSpools() throws IOException {
        Instant cutoff = Instant.now().minus(Duration.ofHours(1));
        try (var files = Files.list(spoolDir)) {
            for (Path f : files.toList()) {
                try {
                    if (Files.getLastModifiedTime(f).toInstant().isBefore(cutoff)) Files.deleteIfExists(f);
                } catch (IOException e) {
                    LOG.debug("spool {}: {}", f, e.toString());
                }
            }
        }
    }

    private Optional<Target> target(RepositoryName name) {
        for (Upstream u : upstreams) {
            Optional<RepositoryName> remote = u.remote(name);
            if (remote.isPresent()) return Optional.of(new Target(u, remote.get()));
        }
        return Optional.empty();
    }

    /** Refuses writes under an upstream's prefix: what is there is the upstream's, fetched on demand. */
    Dispatch.ResourceHandler readOnlyUnderPrefixes(Dispatch.ResourceHandler handler) {
        return (ctx, body) -> {
            Optional<Target> t = target(Requests.name(ctx));
            if (t.isPresent()) {
                throw new RegistryException(ErrorCode.UNSUPPORTED, "repository " + Requests.name(ctx) + " is a cache of "
                        + t.get().upstream().url() + "; push to a repository outside "
                        + (t.get().upstream().prefix().isEmpty() ? "the mirror" : "prefix " + t.get().upstream().prefix() + "/"));
            }
            return handler.handle(ctx, body);
        };
    }

    // ---- manifests ---------------------------------------------------------------------------

    /** GET and HEAD of a manifest: brings storage up to date with the upstream, then serves from storage. */
    Dispatch.ResourceHandler manifests(ManifestHandler manifests) {
        return (ctx, body) -> {
            RepositoryName name = Requests.name(ctx);
            Optional<Target> t = target(name);
            if (t.isEmpty()) return manifests.get(ctx, body);
            boolean stale = refresh(name, t.get(), ApiPath.of(ctx).param());
            Reply reply = manifests.get(ctx, body);
            if (eviction != null) eviction.pulled(name, Digest.parse(reply.headers().get("Docker-Content-Digest")));
            if (!stale || !(reply instanceof Reply.Bytes b)) return reply;
            Map<String, String> headers = new LinkedHashMap<>(b.headers());
            headers.put("Warning", STALE);
            return new Reply.Bytes(b.status(), headers, b.body());
        };
    }

    /** True when the stored copy is to be served though the upstream could not confirm it. */
    private boolean refresh(RepositoryName name, Target target, String reference) {
        RegistryClient client = target.upstream().client();
        if (reference.indexOf(':') >= 0) {
            Digest digest;
            try {
                digest = Digest.parse(reference);
            } catch (InvalidValueException e) {
                return false; // the manifest handler answers for a reference that cannot exist
            }
            if (storage.repositories().manifestLink(name, digest).isPresent()) {
                metrics.proxy("manifest", "hit");
                return false; // immutable: never stale
            }
            try {
                store(name, null, client.manifest(target.remote(), reference));
                metrics.proxy("manifest", "fetched");
            } catch (IOException e) {
                if (!notFound(e)) throw unavailable("manifest", target, e);
            }
            return false;
        }
        Tag tag;
        try {
            tag = Tag.of(reference);
        } catch (InvalidValueException e) {
            return false;
        }
        String key = name + ":" + tag;
        Optional<Digest> stored = storage.repositories().resolveTag(name, tag)
                .filter(d -> storage.repositories().manifestLink(name, d).isPresent());
        Instant until = fresh.getIfPresent(key);
        // Fresh only while stored: eviction or a delete may have removed it since.
        if (until != null && Instant.now().isBefore(until) && stored.isPresent()) {
            metrics.proxy("manifest", "hit");
            return false;
        }
        try {
            // A HEAD first: when the tag has not moved, nothing more is fetched (and Docker Hub counts no pull).
            Optional<Digest> now = client.manifestDigest(target.remote(), tag.value());
            if (now.isEmpty() || !now.equals(stored)) {
                store(name, tag, client.manifest(target.remote(), tag.value()));
                metrics.proxy("manifest", "fetched");
            } else {
                metrics.proxy("manifest", "hit");
            }
            fresh.put(key, Instant.now().plus(target.upstream().tagTtl()));
            return false;
        } catch (IOException e) {
            if (notFound(e)) {
                // The upstream has no such tag (any more): then neither has its cache.
                if (stored.isPresent()) storage.repositories().deleteTag(name, tag);
                return false;
            }
            if (stored.isEmpty()) throw unavailable("manifest", target, e);
            metrics.proxy("manifest", "stale");
            LOG.warn("proxy: serving {}:{} from the cache, {} unavailable: {}", name, tag, target.upstream().url(), e.getMessage());
            return true;
        }
    }

    /** Stores a manifest the upstream sent (verified by the client) after the checks a push gets. */
    private void store(RepositoryName name, Tag tag, RegistryClient.Fetched fetched) {
        try {
            ParsedManifest.parse(fetched.content(), fetched.mediaType());
        } catch (RegistryException e) {
            throw new RegistryException(ErrorCode.UNKNOWN, 502, "the upstream sent an invalid manifest: " + e.getMessage(), null, Map.of());
        }
        try (var referencing = storage.gc().reference(List.of(Digest.sha256(fetched.content())))) {
            storage.repositories().putManifest(name, fetched.content(), fetched.mediaType(), tag, null, null);
        }
    }

    // ---- tags --------------------------------------------------------------------------------

    /** The upstream's tags (it knows tags never pulled here); what is stored here while it cannot answer. */
    Dispatch.ResourceHandler tags(ListingHandler listings) {
        return (ctx, body) -> {
            RepositoryName name = Requests.name(ctx);
            Optional<Target> t = target(name);
            if (t.isEmpty()) return listings.tags(ctx, body);
            int n = ListingHandler.pageSize(ctx);
            String last = Requests.query(ctx, "last");
            if (last != null) Tag.of(last);
            try {
                RegistryClient.TagPage page = t.get().upstream().client().tags(t.get().remote(), n, last);
                metrics.proxy("tags", "fetched");
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("name", name.value());
                out.put("tags", page.tags());
                return ListingHandler.json(out, new io.strata.storage.Page<>(page.tags(), page.more()),
                        "/v2/" + name + "/tags/list", n, s -> s);
            } catch (IOException e) {
                if (notFound(e)) {
                    throw new RegistryException(ErrorCode.NAME_UNKNOWN, "repository " + name + " is not known to "
                            + t.get().upstream().url(), Map.of("name", name.value()));
                }
                if (!storage.repositories().exists(name)) throw unavailable("tags", t.get(), e);
                metrics.proxy("tags", "stale");
                Reply local = listings.tags(ctx, body);
                Map<String, String> headers = new LinkedHashMap<>(local.headers());
                headers.put("Warning", STALE);
                return new Reply.Bytes(local.status(), headers, ((Reply.Bytes) local).body());
            }
        };
    }

    // ---- blobs -------------------------------------------------------------------------------

    /** GET and HEAD of a blob: from storage when it is here, else fetched once however many ask. */
    Dispatch.ResourceHandler blobs(BlobHandler blobs) {
        return (ctx, body) -> {
            RepositoryName name = Requests.name(ctx);
            Optional<Target> t = target(name);
            if (t.isEmpty()) return blobs.get(ctx, body);
            Digest digest = Digest.parse(ApiPath.of(ctx).param());
            Target target = t.get();
            for (int attempt = 1; attempt <= 3; attempt++) {
                if (storage.repositories().statBlob(name, digest).isPresent()) {
                    metrics.proxy("blob", "hit");
                    return blobs.get(ctx, body);
                }
                try {
                    if (storage.blobs().stat(digest).isPresent()) {
                        // Stored for another repository: linked here once the upstream says this repository has it.
                        target.upstream().client().blobSize(target.remote(), digest);
                        storage.repositories().linkBlob(name, digest);
                        continue;
                    }
                    Map<String, String> headers = BlobHandler.headers(digest);
                    if (ctx.request().method() == HttpMethod.HEAD) {
                        long size = target.upstream().client().blobSize(target.remote(), digest);
                        Optional<Reply> current = Conditional.notModified(ctx.request(), headers);
                        if (current.isPresent()) return current.get();
                        headers.put("Content-Length", Long.toString(size));
                        return new Reply.Empty(200, headers);
                    }
                    BlobFetch fetch = fetch(target, name, digest);
                    long size = fetch.awaitSize();
                    Optional<Reply> current = Conditional.notModified(ctx.request(), headers);
                    if (current.isPresent()) return current.get();
                    BlobHandler.Part part = BlobHandler.Part.of(ctx.request(), headers, size);
                    BlobFetch.Reader reader = fetch.open(part.offset(), part.length());
                    if (reader != null) {
                        metrics.proxy("blob", "fetched");
                        return new Reply.Streamed(part.status(), headers, reader, part.length());
                    }
                    // The fetch ended meanwhile: the blob is stored now (or its commit failed and is tried again).
                } catch (IOException e) {
                    if (notFound(e)) {
                        throw new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob unknown to " + target.upstream().url(),
                                Map.of("digest", digest.toString()));
                    }
                    throw unavailable("blob", target, e);
                }
            }
            throw new RegistryException(ErrorCode.UNKNOWN, 502, "could not store " + digest + " from " + target.upstream().url(),
                    null, Map.of());
        };
    }

    /** The fetch of this blob under way, or a new one (started once it is the one in the map). */
    private BlobFetch fetch(Target target, RepositoryName local, Digest digest) {
        BlobFetch mine = new BlobFetch(target.upstream(), target.remote(), local, digest, spoolDir);
        BlobFetch fetch = fetching.computeIfAbsent(digest, d -> mine);
        if (fetch == mine) {
            executor.submit(() -> {
                try {
                    fetch.run(storage);
                } finally {
                    fetching.remove(digest, fetch);
                }
            });
        }
        return fetch;
    }

    private static boolean notFound(IOException e) {
        return e instanceof io.strata.remote.RegistryException r && r.status() == 404;
    }

    private RegistryException unavailable(String kind, Target target, IOException e) {
        metrics.proxy(kind, "failed");
        return new RegistryException(ErrorCode.UNKNOWN, 502, "upstream " + target.upstream().url() + " unavailable: "
                + e.getMessage(), null, Map.of());
    }
}
