package io.strata.registry;

import io.strata.oci.Digest;
import io.strata.oci.RepositoryName;
import io.strata.storage.BlobStore;
import io.strata.storage.Storage;
import io.vertx.ext.web.RoutingContext;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** {@code /v2/<name>/blobs/<digest>}: GET and HEAD (with ranges), DELETE. */
final class BlobHandler {
    private final Storage storage;

    BlobHandler(Storage storage) {
        this.storage = storage;
    }

    Reply get(RoutingContext ctx, RequestBody body) {
        RepositoryName name = Requests.name(ctx);
        Digest digest = Digest.parse(ApiPath.of(ctx).param());
        BlobStore.BlobInfo blob = storage.repositories().statBlob(name, digest)
                .orElseThrow(() -> new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob unknown to repository " + name,
                        Map.of("digest", digest.toString())));
        Map<String, String> headers = headers(digest);
        Optional<Reply> current = Conditional.notModified(ctx.request(), headers);
        if (current.isPresent()) return current.get();
        Part part = Part.of(ctx.request(), headers, blob.size());
        Optional<Path> file = storage.blobs().file(digest);
        if (file.isPresent()) return new Reply.FileRegion(part.status(), headers, file.get(), part.offset(), part.length());
        if (ctx.request().method() == io.vertx.core.http.HttpMethod.HEAD) {
            headers.put("Content-Length", Long.toString(part.length()));
            return new Reply.Empty(part.status(), headers);
        }
        return new Reply.Streamed(part.status(), headers, storage.blobs().open(digest, new BlobStore.Range(part.offset(), part.length())),
                part.length());
    }

    /** The bytes of a blob a GET asks for: all of it (200), or the one range it names (206). */
    record Part(int status, long offset, long length) {
        /**
         * The part a request asks of a blob of {@code size} bytes, whose answer's headers are
         * {@code headers}: a served range adds its Content-Range there. A Range under an If-Range that
         * is not the blob's ETag is ignored.
         */
        static Part of(io.vertx.core.http.HttpServerRequest request, Map<String, String> headers, long size) {
            Optional<ByteRange> range = Conditional.rangeApplies(request, headers.get("ETag"))
                    ? ByteRange.forBlob(request.getHeader("Range"), size) : Optional.empty();
            if (range.isEmpty()) return new Part(200, 0, size);
            ByteRange r = range.get();
            headers.put("Content-Range", "bytes " + r.first() + "-" + r.last() + "/" + size);
            return new Part(206, r.first(), r.length());
        }
    }

    /** What every answer with a blob carries: a blob never changes, so caches may keep it for good. */
    static Map<String, String> headers(Digest digest) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Docker-Content-Digest", digest.toString());
        headers.put("Content-Type", "application/octet-stream");
        headers.put("Accept-Ranges", "bytes");
        headers.put("ETag", "\"" + digest + "\"");
        headers.put("Cache-Control", "max-age=31536000, immutable");
        return headers;
    }

    /** Removes the repository's link; the bytes stay while other repositories link them (GC reclaims the rest). */
    Reply delete(RoutingContext ctx, RequestBody body) {
        RepositoryName name = Requests.name(ctx);
        Digest digest = Digest.parse(ApiPath.of(ctx).param());
        if (!storage.repositories().unlinkBlob(name, digest)) {
            throw new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob unknown to repository " + name,
                    Map.of("digest", digest.toString()));
        }
        return new Reply.Empty(202, Map.of());
    }
}
