package io.strata.registry;

import io.strata.oci.Digest;
import io.strata.oci.RepositoryName;
import io.strata.storage.BlobStore;
import io.strata.storage.Storage;
import io.strata.storage.StorageException;
import io.strata.storage.Uploads;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * {@code /v2/<name>/blobs/uploads/}: start (or monolithic upload, or cross-repository mount), and
 * {@code /v2/<name>/blobs/uploads/<uuid>}: PATCH a chunk, PUT to finish, GET status, DELETE.
 */
final class UploadHandler {
    private final Storage storage;
    private final OptionalLong chunkMinLength;

    UploadHandler(Storage storage, OptionalLong chunkMinLength) {
        this(storage, chunkMinLength, 0, java.time.Duration.ofHours(24));
    }

    /**
     * @param maxOpenPerClient sessions one client address may hold open on this instance (0: no cap);
     *     an abandoned session costs storage until it expires, so a client cannot pile them up
     */
    UploadHandler(Storage storage, OptionalLong chunkMinLength, int maxOpenPerClient, java.time.Duration expiry) {
        this.storage = storage;
        this.chunkMinLength = chunkMinLength;
        this.maxOpenPerClient = maxOpenPerClient;
        this.open = com.github.benmanes.caffeine.cache.Caffeine.newBuilder().expireAfterWrite(expiry).maximumSize(1_000_000)
                .<String, String>removalListener((id, client, cause) -> {
                    if (client != null) byClient.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
                })
                .executor(Runnable::run).build();
    }

    /** How many of {@code open} each address holds. */
    private final java.util.concurrent.ConcurrentHashMap<String, Integer> byClient = new java.util.concurrent.ConcurrentHashMap<>();

    private final int maxOpenPerClient;
    /** Open sessions by id, with the address that started them (this instance's view). */
    private final com.github.benmanes.caffeine.cache.Cache<String, String> open;

    private void opened(RoutingContext ctx, String id) {
        if (maxOpenPerClient <= 0) return;
        String client = io.strata.registry.auth.Gate.client(ctx.request());
        int held = byClient.getOrDefault(client, 0);
        if (held >= maxOpenPerClient) {
            storage.uploads().cancel(id);
            throw new RegistryException(ErrorCode.TOOMANYREQUESTS, 429, "this address holds " + held
                    + " open upload sessions (uploads.maxOpenPerClient); finish or cancel some", null, Map.of("Retry-After", "60"));
        }
        byClient.merge(client, 1, Integer::sum);
        open.put(id, client);
    }

    Reply start(RoutingContext ctx, RequestBody body) throws IOException {
        RepositoryName name = Requests.name(ctx);
        String mount = Requests.query(ctx, "mount");
        String from = Requests.query(ctx, "from");
        String digestParam = Requests.query(ctx, "digest");
        if (mount != null) {
            // A mount reads from `from`: without pull there, an ordinary session, never the blob. A
            // mount that cannot be made, a malformed digest or name included, is a new session too
            // (the spec's 202 for a registry "unable to mount the requested blob", as distribution).
            Digest digest = mountable(mount);
            if (digest != null && from != null && RepositoryName.isValid(from)
                    && io.strata.registry.auth.Gate.access(ctx).allows(from, "pull")) {
                RepositoryName source = RepositoryName.of(from);
                if (storage.repositories().hasBlob(source, digest)) {
                    storage.repositories().linkBlob(name, digest);
                    return created(name, digest);
                }
            }
            // Not mountable: fall back to an ordinary upload session (spec: 202).
        } else if (digestParam != null) {
            // Monolithic upload: the body is the whole blob.
            Digest digest = Digest.parse(digestParam);
            Uploads.UploadStatus session = storage.uploads().start(owner(ctx, name));
            try {
                append(ctx, name, session, body);
                BlobStore.BlobInfo info = storage.uploads().commit(session.id(), digest, expectedLength(ctx));
                storage.repositories().linkBlob(name, info.digest());
                return created(name, info.digest());
            } catch (RuntimeException e) {
                cancelQuietly(session.id());
                throw e;
            }
        }
        Uploads.UploadStatus session = storage.uploads().start(owner(ctx, name));
        opened(ctx, session.id());
        Map<String, String> headers = progress(name, session);
        chunkMinLength.ifPresent(n -> headers.put("OCI-Chunk-Min-Length", Long.toString(n)));
        return new Reply.Empty(202, headers);
    }

    /** The digest a mount names, or null when it is malformed. */
    private static Digest mountable(String mount) {
        try {
            return Digest.parse(mount);
        } catch (io.strata.oci.InvalidValueException malformed) {
            return null;
        }
    }

    Reply patch(RoutingContext ctx, RequestBody body) throws IOException {
        RepositoryName name = Requests.name(ctx);
        Uploads.UploadStatus session = session(ctx, name, ApiPath.of(ctx).param());
        ByteRange range = ByteRange.forChunk(ctx.request().getHeader("Content-Range"));
        if (range != null) {
            if (range.first() != session.offset()) throw outOfOrder(name, session);
            long length = Requests.contentLength(ctx);
            if (length >= 0 && length != range.length()) {
                throw new RegistryException(ErrorCode.RANGE_INVALID, 416,
                        "Content-Range covers " + range.length() + " bytes but Content-Length is " + length,
                        null, progress(name, session));
            }
        }
        Uploads.UploadStatus after = append(ctx, name, session, body);
        return new Reply.Empty(202, progress(name, after));
    }

    Reply finish(RoutingContext ctx, RequestBody body) throws IOException {
        RepositoryName name = Requests.name(ctx);
        Uploads.UploadStatus session = session(ctx, name, ApiPath.of(ctx).param());
        String digestParam = Requests.query(ctx, "digest");
        if (digestParam == null) {
            throw new RegistryException(ErrorCode.DIGEST_INVALID, "the final PUT of an upload needs ?digest=");
        }
        Digest digest = Digest.parse(digestParam);
        ByteRange range = ByteRange.forChunk(ctx.request().getHeader("Content-Range"));
        if (range != null && range.first() != session.offset()) throw outOfOrder(name, session);
        // The PUT may carry the last chunk.
        append(ctx, name, session, body);
        BlobStore.BlobInfo info = storage.uploads().commit(session.id(), digest, OptionalLong.empty());
        open.invalidate(session.id());
        storage.repositories().linkBlob(name, info.digest());
        return created(name, info.digest());
    }

    Reply status(RoutingContext ctx, RequestBody body) {
        RepositoryName name = Requests.name(ctx);
        return new Reply.Empty(204, progress(name, session(ctx, name, ApiPath.of(ctx).param())));
    }

    Reply cancel(RoutingContext ctx, RequestBody body) {
        RepositoryName name = Requests.name(ctx);
        Uploads.UploadStatus session = session(ctx, name, ApiPath.of(ctx).param());
        storage.uploads().cancel(session.id());
        open.invalidate(session.id());
        return new Reply.Empty(204, Map.of());
    }

    /** The session, if it belongs to this repository; another repository's id is unknown here. */
    private Uploads.UploadStatus session(RoutingContext ctx, RepositoryName name, String id) {
        Uploads.UploadStatus s = storage.uploads().status(id);
        if (!owner(ctx, name).equals(s.owner())) throw new StorageException.UploadUnknown(id);
        return s;
    }

    /** A session belongs to its repository and to whoever started it: nobody else can see or finish it. */
    private static String owner(RoutingContext ctx, RepositoryName name) {
        String who = io.strata.registry.auth.Gate.access(ctx).owner();
        return who.isEmpty() ? name.value() : name.value() + " " + who;
    }

    /**
     * Appends the request body at the session's offset, unless the request says it has none (docker's
     * closing PUT): an empty append would still cost a driver write and a state write. A wrong offset
     * becomes 416 with the session's Range.
     */
    private Uploads.UploadStatus append(RoutingContext ctx, RepositoryName name, Uploads.UploadStatus session,
                                        InputStream body) {
        if (Requests.contentLength(ctx) == 0) return session;
        try {
            return storage.uploads().append(session.id(), session.offset(), body);
        } catch (StorageException.OffsetMismatch e) {
            throw outOfOrder(name, storage.uploads().status(session.id()));
        }
    }

    private static OptionalLong expectedLength(RoutingContext ctx) {
        long n = Requests.contentLength(ctx);
        return n < 0 ? OptionalLong.empty() : OptionalLong.of(n);
    }

    private RegistryException outOfOrder(RepositoryName name, Uploads.UploadStatus session) {
        return new RegistryException(ErrorCode.RANGE_INVALID, 416,
                "chunk does not start at the upload's current size " + session.offset(),
                Map.of("size", session.offset()), progress(name, session));
    }

    private void cancelQuietly(String id) {
        try {
            storage.uploads().cancel(id);
        } catch (RuntimeException ignored) {
            // already gone (a failed commit removes it)
        }
    }

    private static Reply created(RepositoryName name, Digest digest) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Location", "/v2/" + name + "/blobs/" + digest);
        headers.put("Docker-Content-Digest", digest.toString());
        return new Reply.Empty(201, headers);
    }

    /** Location, Range (bytes held, inclusive; "0-0" when empty, as distribution answers) and the session id. */
    private static Map<String, String> progress(RepositoryName name, Uploads.UploadStatus s) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Location", "/v2/" + name + "/blobs/uploads/" + s.id());
        headers.put("Range", "0-" + Math.max(0, s.offset() - 1));
        headers.put("Docker-Upload-UUID", s.id());
        return headers;
    }
}
