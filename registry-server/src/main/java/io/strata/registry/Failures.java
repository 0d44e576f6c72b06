package io.strata.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.oci.InvalidValueException;
import io.strata.storage.StorageException;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The one failure handler: every error becomes the spec's {@code {"errors":[…]}} with its status. */
final class Failures {
    private static final Logger LOG = LoggerFactory.getLogger(Failures.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private Failures() {}

    /** Maps what handlers and storage throw to the spec's codes; anything unforeseen is a logged 500. */
    static RegistryException toRegistryError(Throwable t) {
        return switch (t) {
            case RegistryException e -> e;
            case RequestBody.MalformedBody e -> new RegistryException(ErrorCode.UNSUPPORTED, 400, e.getMessage(), null, Map.of());
            // Storage wraps what a body's read threw; a malformed body is the client's fault wherever it surfaced.
            case java.io.UncheckedIOException e when e.getCause() instanceof RequestBody.MalformedBody m -> toRegistryError(m);
            case InvalidValueException e -> new RegistryException(switch (e.kind()) {
                case NAME -> ErrorCode.NAME_INVALID;
                case TAG -> ErrorCode.TAG_INVALID;
                case DIGEST -> ErrorCode.DIGEST_INVALID;
                case REFERENCE, MEDIA_TYPE -> ErrorCode.MANIFEST_INVALID;
            }, e.getMessage());
            case StorageException.BlobUnknown e -> new RegistryException(ErrorCode.BLOB_UNKNOWN, e.getMessage());
            case StorageException.UploadUnknown e -> new RegistryException(ErrorCode.BLOB_UPLOAD_UNKNOWN, e.getMessage());
            case StorageException.DigestMismatch e -> new RegistryException(ErrorCode.DIGEST_INVALID, e.getMessage());
            case StorageException.SizeMismatch e -> new RegistryException(ErrorCode.SIZE_INVALID, e.getMessage());
            case StorageException.ManifestUnknown e -> new RegistryException(ErrorCode.MANIFEST_UNKNOWN, e.getMessage());
            case StorageException.UploadBusy e -> new RegistryException(ErrorCode.TOOMANYREQUESTS, 429, e.getMessage(), null,
                    Map.of("Retry-After", "5"));
            case StorageException.OffsetMismatch e -> new RegistryException(ErrorCode.RANGE_INVALID, 416, e.getMessage(),
                    Map.of("size", e.currentSize()), Map.of());
            default -> null;
        };
    }

    static void handle(RoutingContext ctx) {
        Throwable t = ctx.failure();
        RegistryException e = t == null ? null : toRegistryError(t);
        if (e == null && t == null) {
            // A plain status failure from Vert.x itself (e.g. 404 for no route, 405, 413).
            int status = ctx.statusCode();
            ErrorCode code = switch (status) {
                case 404, 405 -> ErrorCode.UNSUPPORTED;
                case 413 -> ErrorCode.SIZE_INVALID;
                default -> ErrorCode.UNKNOWN;
            };
            e = new RegistryException(code, status, status == 404 ? "no such endpoint: " + ctx.request().method() + " "
                    + ctx.request().path() : code.message(), null, Map.of());
        } else if (e == null) {
            LOG.error("{} {} failed", ctx.request().method(), ctx.request().path(), t);
            e = new RegistryException(ErrorCode.UNKNOWN, "internal error; the registry log has the details");
        }
        send(ctx, e);
    }

    static void send(RoutingContext ctx, RegistryException e) {
        send(ctx.request(), e);
    }

    /** The spec's error JSON for a request, whether or not it reached the router. */
    static void send(io.vertx.core.http.HttpServerRequest request, RegistryException e) {
        HttpServerResponse response = request.response();
        if (response.ended() || response.closed()) return;
        if (response.headWritten()) {
            // A body was streaming when it failed: the client sees a cut response, never a wrong one.
            response.reset();
            return;
        }
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", e.code().name());
        error.put("message", e.getMessage() == null ? e.code().message() : e.getMessage());
        if (e.detail() != null) error.put("detail", e.detail());
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(Map.of("errors", List.of(error)));
        } catch (Exception ex) {
            body = ("{\"errors\":[{\"code\":\"" + e.code().name() + "\"}]}").getBytes();
        }
        response.setStatusCode(e.status());
        // Drop what a handler may have set for the success case.
        response.headers().remove("Docker-Content-Digest").remove("Location").remove("Content-Length");
        e.headers().forEach(response::putHeader);
        response.putHeader("Content-Type", "application/json");
        response.putHeader("Docker-Distribution-API-Version", "registry/2.0");
        boolean drain = Drain.prepare(request, response);
        response.end(io.vertx.core.buffer.Buffer.buffer(body));
        if (drain) Drain.start(request, response);
    }
}
