package io.strata.storage;

import static io.strata.storage.Io.io;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.MediaType;
import io.strata.oci.RepositoryName;
import io.strata.oci.Tag;
import io.strata.storage.driver.StorageDriver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Repository metadata: which blobs a repository may serve, its manifests (kept as blobs, with
 * their media type), its tags and its referrers. Knowing a digest grants nothing across
 * repositories: a blob is served from a repository only through its link there.
 */
public final class Repositories {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StorageDriver driver;
    private final BlobStore blobs;

    Repositories(StorageDriver driver, BlobStore blobs) {
        this.driver = driver;
        this.blobs = blobs;
    }

    /** A manifest as a repository holds it; {@code subject} is set when it refers to another manifest. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ManifestLink(Digest digest, String mediaType, long size, Digest subject) {}

    /** A manifest with its bytes. */
    public record Manifest(ManifestLink link, byte[] content) {}

    // ---- blob links ----------------------------------------------------------------------------

    /** Lets the repository serve a stored blob. */
    public void linkBlob(RepositoryName repo, Digest digest) {
        if (blobs.stat(digest).isEmpty()) throw new StorageException.BlobUnknown(digest);
        io(() -> {
            driver.put(Keys.layerLink(repo, digest), digest.toString().getBytes(StandardCharsets.UTF_8));
            markInCatalog(repo);
            return null;
        });
    }

    /**
     * Records that the repository has content. A stat first: every upload commit and manifest push
     * comes here, and the marker almost always exists, where a conditional write would cost an fsync
     * (filesystem) or a PUT and a GET (S3).
     */
    private void markInCatalog(RepositoryName repo) throws IOException {
        String marker = Keys.catalogMarker(repo);
        if (driver.size(marker).isEmpty()) driver.putIfAbsent(marker, new byte[0]);
    }

    public boolean hasBlob(RepositoryName repo, Digest digest) {
        return statBlob(repo, digest).isPresent();
    }

    /** The blob if the repository may serve it. */
    public Optional<BlobStore.BlobInfo> statBlob(RepositoryName repo, Digest digest) {
        return io(() -> driver.size(Keys.layerLink(repo, digest))).isPresent() ? blobs.stat(digest) : Optional.empty();
    }

    /** Removes the repository's link to a blob (the blob itself stays for others; GC reclaims it). */
    public boolean unlinkBlob(RepositoryName repo, Digest digest) {
        return io(() -> driver.delete(Keys.layerLink(repo, digest)));
    }

    // ---- manifests -----------------------------------------------------------------------------

    /**
     * Stores a manifest in the repository under its digest, and moves {@code tag} to it when given.
     * The caller has validated the content and its references; {@code subject} records a referrer.
     */
    public ManifestLink putManifest(RepositoryName repo, byte[] content, String mediaType, Tag tag,
                                    Descriptor asReferrer, Digest subject) {
        MediaType.requireValid(mediaType);
        // The caller referenced these bytes (GarbageCollector.reference) before: once they exist and
        // no collection is removing them, no collection will. Until then, wait and write them again.
        BlobStore.BlobInfo stored = blobs.put(content);
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (blobs.stat(stored.digest()).isEmpty() || io(() -> driver.size(GarbageCollector.tombstone(stored.digest()))).isPresent()) {
            if (System.nanoTime() > deadline) throw new StorageException.BlobUnknown(stored.digest());
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StorageException.BlobUnknown(stored.digest());
            }
            blobs.put(content);
        }
        ManifestLink link = new ManifestLink(stored.digest(), mediaType, stored.size(), subject);
        io(() -> {
            driver.put(Keys.revision(repo, stored.digest()), JSON.writeValueAsBytes(link));
            if (subject != null && asReferrer != null) {
                driver.put(Keys.referrer(repo, subject, stored.digest()), JSON.writeValueAsBytes(asReferrer));
            }
            if (tag != null) driver.put(Keys.tag(repo, tag), stored.digest().toString().getBytes(StandardCharsets.UTF_8));
            markInCatalog(repo);
            return null;
        });
        return link;
    }

    /** The manifest's link by digest, if the repository holds it. */
    public Optional<ManifestLink> manifestLink(RepositoryName repo, Digest digest) {
        return io(() -> driver.get(Keys.revision(repo, digest))).map(raw -> read(raw, ManifestLink.class));
    }

    /** The digest a tag points at. */
    public Optional<Digest> resolveTag(RepositoryName repo, Tag tag) {
        return io(() -> driver.get(Keys.tag(repo, tag)))
                .map(raw -> Digest.parse(new String(raw, StandardCharsets.UTF_8).trim()));
    }

    /** The manifest with its bytes, by digest. */
    public Optional<Manifest> manifest(RepositoryName repo, Digest digest) {
        return manifestLink(repo, digest).flatMap(link -> blobs.read(digest).map(bytes -> new Manifest(link, bytes)));
    }

    /**
     * Removes a manifest from the repository, with the tags that point at it and its referrer entry.
     * Its bytes stay as a blob until garbage collection.
     */
    public void deleteManifest(RepositoryName repo, Digest digest) {
        ManifestLink link = manifestLink(repo, digest)
                .orElseThrow(() -> new StorageException.ManifestUnknown(repo.value(), digest.toString()));
        io(() -> {
            for (Tag t : allTags(repo)) {
                if (resolveTag(repo, t).filter(digest::equals).isPresent()) driver.delete(Keys.tag(repo, t));
            }
            if (link.subject() != null) driver.delete(Keys.referrer(repo, link.subject(), digest));
            driver.delete(Keys.pulled(repo, digest));
            return driver.delete(Keys.revision(repo, digest));
        });
    }

    /** Removes a tag; the manifest stays, reachable by digest. */
    public void deleteTag(RepositoryName repo, Tag tag) {
        if (!io(() -> driver.delete(Keys.tag(repo, tag)))) {
            throw new StorageException.ManifestUnknown(repo.value(), tag.value());
        }
    }

    // ---- listings ------------------------------------------------------------------------------

    /** The repository's tags in lexical order, {@code n} at most after {@code last}. */
    public Page<Tag> tags(RepositoryName repo, Tag last, Integer n) {
        return Page.of(allTags(repo).stream(), last, n);
    }

    private List<Tag> allTags(RepositoryName repo) {
        String prefix = Keys.tags(repo);
        try (Stream<String> keys = io(() -> driver.list(prefix))) {
            return keys.filter(k -> k.endsWith("/current/link"))
                    .map(k -> k.substring(prefix.length(), k.length() - "/current/link".length()))
                    .filter(Tag::isValid)
                    .map(Tag::of)
                    .toList();
        }
    }

    /** Every manifest the repository holds (its revisions), in no particular order. */
    public List<Digest> manifests(RepositoryName repo) {
        String prefix = Keys.revisions(repo);
        try (Stream<String> keys = io(() -> driver.list(prefix))) {
            return keys.filter(k -> k.endsWith("/link")).map(k -> digestOfLink(prefix, k)).filter(Objects::nonNull).toList();
        }
    }

    /** {@code PREFIX/sha256/HEX/link} → the digest. */
    static Digest digestOfLink(String prefix, String key) {
        String rest = key.substring(prefix.length(), key.length() - "/link".length());
        int slash = rest.indexOf('/');
        if (slash < 0) return null;
        try {
            return Digest.parse(rest.substring(0, slash) + ":" + rest.substring(slash + 1));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** When a pull-through cache last served this manifest to a client; empty when never recorded. */
    public Optional<java.time.Instant> pulled(RepositoryName repo, Digest manifest) {
        return io(() -> driver.get(Keys.pulled(repo, manifest))).map(raw -> {
            try {
                return java.time.Instant.ofEpochMilli(Long.parseLong(new String(raw, java.nio.charset.StandardCharsets.US_ASCII).trim()));
            } catch (NumberFormatException e) {
                return java.time.Instant.EPOCH; // unreadable: as if pulled long ago
            }
        });
    }

    /** Records that a pull-through cache served this manifest at {@code when}. */
    public void recordPull(RepositoryName repo, Digest manifest, java.time.Instant when) {
        io(() -> {
            driver.put(Keys.pulled(repo, manifest), Long.toString(when.toEpochMilli()).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return null;
        });
    }

    /** When the manifest was put in the repository. */
    public Optional<java.time.Instant> added(RepositoryName repo, Digest manifest) {
        return io(() -> driver.modified(Keys.revision(repo, manifest)));
    }

    /** Whether the repository has ever held content. */
    public boolean exists(RepositoryName repo) {
        return io(() -> driver.size(Keys.catalogMarker(repo))).isPresent();
    }

    /** Repository names in lexical order, {@code n} at most after {@code last}. */
    public Page<RepositoryName> catalog(RepositoryName last, Integer n) {
        try (Stream<String> keys = io(() -> driver.list(Keys.CATALOG))) {
            Stream<RepositoryName> names = keys.filter(k -> k.endsWith(Keys.CATALOG_MARKER))
                    .map(k -> k.substring(Keys.CATALOG.length(), k.length() - Keys.CATALOG_MARKER.length()))
                    .map(Repositories::nameOrNull)
                    .filter(Objects::nonNull);
            return Page.of(names, last, n);
        }
    }

    private static RepositoryName nameOrNull(String s) {
        try {
            return RepositoryName.of(s);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Descriptors of the manifests in the repository whose subject is {@code subject}, optionally of one artifact type. */
    public List<Descriptor> referrers(RepositoryName repo, Digest subject, Predicate<Descriptor> filter) {
        List<Descriptor> out = new ArrayList<>();
        try (Stream<String> keys = io(() -> driver.list(Keys.referrers(repo, subject)))) {
            for (String key : (Iterable<String>) keys.sorted()::iterator) {
                io(() -> driver.get(key)).map(raw -> read(raw, Descriptor.class)).filter(filter).ifPresent(out::add);
            }
        }
        return out;
    }

    private static <T> T read(byte[] raw, Class<T> type) {
        try {
            return JSON.readValue(raw, type);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt repository metadata", e);
        }
    }
}
