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
        Digest digest = Digest.parse(ctx.pathParam("digest"));
        BlobStore.BlobInfo blob = storage.repositories().statBlob(name, digest)
                .orElseThrow(() -> new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob unknown to repository " + name,
                        Map.of("digest", digest.toString())));
        Map<String, String> headers = headers(digest);
        Optional<ByteRange> range = ByteRange.forBlob(ctx.request().getHeader("Range"), blob.size());
        int status = 200;
        long offset = 0;
        long length = blob.size();
        if (range.isPresent()) {
            status = 206;
            offset = range.get().first();
            length = range.get().length();
            headers.put("Content-Range", "bytes " + range.get().first() + "-" + range.get().last() + "/" + blob.size());
        }
        Optional<Path> file = storage.blobs().file(digest);
        if (file.isPresent()) return new Reply.FileRegion(status, headers, file.get(), offset, length);
        if (ctx.request().method() == io.vertx.core.http.HttpMethod.HEAD) {
            headers.put("Content-Length", Long.toString(length));
            return new Reply.Empty(status, headers);
        }
        return new Reply.Streamed(status, headers, storage.blobs().open(digest, new BlobStore.Range(offset, length)), length);
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
        Digest digest = Digest.parse(ctx.pathParam("digest"));
        if (!storage.repositories().unlinkBlob(name, digest)) {
            throw new RegistryException(ErrorCode.BLOB_UNKNOWN, "blob unknown to repository " + name,
                    Map.of("digest", digest.toString()));
        }
        return new Reply.Empty(202, Map.of());
    }
}
