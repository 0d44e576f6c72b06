package io.strata.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.DigestAlgorithm;
import io.strata.oci.RepositoryName;
import io.strata.oci.Tag;
import io.strata.storage.Repositories;
import io.strata.storage.Storage;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@code /v2/<name>/manifests/<reference>}: GET, HEAD, PUT, DELETE by tag or digest. */
final class ManifestHandler {
    private final Storage storage;
    private final int maxBytes;
    /** Manifest bytes by digest: immutable, so never stale. Tags are resolved on every request. */
    private final Cache<Digest, byte[]> cache;

    ManifestHandler(Storage storage, int maxBytes) {
        this.storage = storage;
        this.maxBytes = maxBytes;
        this.cache = Caffeine.newBuilder().recordStats()
                .maximumWeight(64L * 1024 * 1024)
                .weigher((Digest d, byte[] b) -> b.length + 128)
                .build();
    }

    Cache<Digest, byte[]> cache() {
        return cache;
    }

    /** A reference is a digest when it has a ':' (a tag cannot), else a tag. */
    private static boolean isDigest(String reference) {
        return reference.indexOf(':') >= 0;
    }

    Reply get(RoutingContext ctx, RequestBody body) {
        RepositoryName name = Requests.name(ctx);
        String reference = ApiPath.of(ctx).param();
        Digest digest;
        try {
            if (isDigest(reference)) {
                digest = Digest.parse(reference);
            } else {
                Tag tag = Tag.of(reference);
                digest = storage.repositories().resolveTag(name, tag).orElseThrow(() -> unknown(name, reference));
            }
        } catch (io.strata.oci.InvalidValueException e) {
            // Nothing can be stored under a reference that is neither a tag nor a digest: unknown, not invalid (spec, distribution).
            throw unknown(name, reference);
        }
        Repositories.ManifestLink link = storage.repositories().manifestLink(name, digest)
                .orElseThrow(() -> unknown(name, reference));
        byte[] content = cache.get(digest, d -> storage.blobs().read(d).orElse(null));
        if (content == null) throw unknown(name, reference);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", link.mediaType());
        headers.put("Docker-Content-Digest", digest.toString());
        headers.put("ETag", "\"" + digest + "\"");
        Optional<Reply> current = Conditional.notModified(ctx.request(), headers);
        if (current.isPresent()) return current.get();
        return new Reply.Bytes(200, headers, content);
    }

    private RegistryException unknown(RepositoryName name, String reference) {
        if (!storage.repositories().exists(name)) {
            return new RegistryException(ErrorCode.NAME_UNKNOWN, "repository " + name + " is not known",
                    Map.of("name", name.value()));
        }
        return new RegistryException(ErrorCode.MANIFEST_UNKNOWN, "manifest " + reference + " is not in " + name,
                Map.of("reference", reference));
    }

    Reply put(RoutingContext ctx, RequestBody body) throws IOException {
        RepositoryName name = Requests.name(ctx);
        String reference = ApiPath.of(ctx).param();
        Tag tag = isDigest(reference) ? null : Tag.of(reference);
        Digest byDigest = isDigest(reference) ? Digest.parse(reference) : null;
        if (Requests.contentLength(ctx) > maxBytes) throw tooLarge();
        byte[] content;
        try {
            content = body.readBounded(maxBytes);
        } catch (RequestBody.BodyTooLarge e) {
            throw tooLarge();
        }
        if (byDigest != null) {
            Digest actual = Digest.of(byDigest.algorithm(), byDigest.algorithm().newMessageDigest().digest(content));
            if (!actual.equals(byDigest)) {
                throw new RegistryException(ErrorCode.DIGEST_INVALID, "manifest content is " + actual + ", not " + byDigest,
                        Map.of("digest", byDigest.toString()));
            }
            if (byDigest.algorithm() != DigestAlgorithm.SHA256) {
                throw new RegistryException(ErrorCode.UNSUPPORTED, 400,
                        "manifests are stored by sha256 digest; push by tag or by sha256", null, Map.of());
            }
        }
        ParsedManifest manifest = ParsedManifest.parse(content, ctx.request().getHeader("Content-Type"));
        // Referenced before they are checked: a garbage collection running now either sees the
        // reference and keeps them, or has removed them already and the check below fails.
        List<Digest> named = new ArrayList<>();
        named.add(Digest.sha256(content)); // the manifest's own bytes, stored as a blob
        if (manifest.config() != null) named.add(manifest.config().digest());
        manifest.layers().forEach(d -> named.add(d.digest()));
        manifest.manifests().forEach(d -> named.add(d.digest()));
        Digest digest = Digest.sha256(content);
        try (var referencing = storage.gc().reference(named)) {
            requireReferencesExist(name, manifest);
            Descriptor asReferrer = manifest.subject() == null ? null
                    : new Descriptor(manifest.mediaType(), digest, content.length, null, manifest.annotations(),
                            manifest.referrerArtifactType(), null);
            storage.repositories().putManifest(name, content, manifest.mediaType(), tag, asReferrer,
                    manifest.subject() == null ? null : manifest.subject().digest());
        }
        cache.put(digest, content);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Location", "/v2/" + name + "/manifests/" + digest);
        headers.put("Docker-Content-Digest", digest.toString());
        if (manifest.subject() != null) headers.put("OCI-Subject", manifest.subject().digest().toString());
        return new Reply.Empty(201, headers);
    }

    private static RegistryException tooLarge() {
        return new RegistryException(ErrorCode.SIZE_INVALID, 413, "manifest larger than the registry accepts", null,
                Map.of());
    }

    /** Config and layers must be blobs of this repository, index entries manifests of it (spec: MANIFEST_BLOB_UNKNOWN). */
    private void requireReferencesExist(RepositoryName name, ParsedManifest manifest) {
        List<Map<String, String>> missing = new ArrayList<>();
        List<Descriptor> blobs = new ArrayList<>();
        if (manifest.config() != null) blobs.add(manifest.config());
        blobs.addAll(manifest.layers());
        for (Descriptor d : blobs) {
            if (!d.urls().isEmpty()) continue; // non-distributable layers live elsewhere
            // A blob a garbage collection is removing right now counts as missing: the push fails, never acknowledged.
            Optional<Long> size = storage.gc().sweeping(d.digest()) ? Optional.empty()
                    : storage.repositories().statBlob(name, d.digest()).map(b -> b.size());
            if (size.isEmpty()) {
                missing.add(Map.of("digest", d.digest().toString()));
            } else if (size.get() != d.size()) {
                throw new RegistryException(ErrorCode.MANIFEST_INVALID, "descriptor of " + d.digest() + " says "
                        + d.size() + " bytes but the blob has " + size.get(), Map.of("digest", d.digest().toString()));
            }
        }
        for (Descriptor d : manifest.manifests()) {
            if (storage.repositories().manifestLink(name, d.digest()).isEmpty()) {
                missing.add(Map.of("digest", d.digest().toString()));
            }
        }
        if (!missing.isEmpty()) {
            throw new RegistryException(ErrorCode.MANIFEST_BLOB_UNKNOWN,
                    "manifest references content this repository does not have", missing.size() == 1 ? missing.getFirst()
                    : missing);
        }
    }

    Reply delete(RoutingContext ctx, RequestBody body) {
        RepositoryName name = Requests.name(ctx);
        String reference = ApiPath.of(ctx).param();
        if (isDigest(reference)) {
            Digest digest = Digest.parse(reference);
            if (storage.repositories().manifestLink(name, digest).isEmpty()) throw unknown(name, reference);
            storage.repositories().deleteManifest(name, digest);
        } else {
            Tag tag = Tag.of(reference);
            if (storage.repositories().resolveTag(name, tag).isEmpty()) throw unknown(name, reference);
            storage.repositories().deleteTag(name, tag);
        }
        return new Reply.Empty(202, Map.of());
    }
}
