package io.strata.registry;

import io.strata.storage.Keys;
import io.strata.storage.Storage;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.regex.Pattern;

/**
 * The one Router: the distribution API's endpoints and the operational ones. Repository names hold
 * slashes, so routes match by regex and each handler then validates the name against the spec.
 */
final class Routes {
    private Routes() {}

    /** Characters a request path may hold: what names, tags, digests and upload ids are made of. */
    private static final Pattern SAFE_PATH = Pattern.compile("/v2/[A-Za-z0-9._/:+=-]*");
    private static final String NAME = "(?<name>[^?#]+?)";

    /** {@code proxy}: the pull-through cache, null when no upstream is configured. */
    static Router build(Vertx vertx, Storage storage, RegistryConfig config, ExecutorService blocking, Metrics metrics,
                        PullThrough proxy) {
        Router router = Router.router(vertx);
        if (Boolean.TRUE.equals(config.log().access())) router.route().handler(AccessLog::handle);
        router.route().handler(metrics::handle);
        router.get("/metrics").handler(metrics::serve);

        // Dot segments and percent-encodings have no place in a valid path; refuse them before routing
        // rather than let normalisation turn /v2/a/../b into /v2/b.
        router.route("/v2/*").handler(ctx -> {
            String raw = ctx.request().path();
            if (!raw.equals("/v2") && !SAFE_PATH.matcher(raw).matches() || raw.contains("/../") || raw.contains("/./") || raw.contains("//")
                    || raw.endsWith("/..") || raw.endsWith("/.")) {
                ctx.fail(new RegistryException(ErrorCode.NAME_INVALID,
                        "request path holds characters or segments no repository name, tag or digest can"));
                return;
            }
            ctx.next();
        });

        // Read-only (maintenance, replicas): every write is refused before auth or storage sees it.
        if (config.isReadOnly()) {
            router.route("/v2/*").handler(ctx -> {
                HttpMethod m = ctx.request().method();
                if (m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS) {
                    ctx.next();
                } else {
                    ctx.fail(new RegistryException(ErrorCode.UNSUPPORTED, 405, "the registry is in read-only mode", null, Map.of()));
                }
            });
        }

        // Who may do what, before any handler runs; the built-in token service beside it.
        io.strata.registry.auth.Gate gate = new io.strata.registry.auth.Gate(config, blocking);
        router.route("/v2/*").handler(gate::handle);
        if (gate.mode().equals("token") && Boolean.TRUE.equals(config.auth().issuer().enabled())) {
            var tokens = new io.strata.registry.auth.TokenEndpoint(gate, blocking);
            router.route("/token").handler(io.vertx.ext.web.handler.BodyHandler.create().setBodyLimit(64 * 1024));
            router.get("/token").handler(tokens::handle);
            router.post("/token").handler(tokens::handle);
            router.route("/token").failureHandler(Failures::handle);
        }

        // The API's base, also without its slash (distribution redirects that to /v2/).
        for (String base : java.util.List.of("/v2/", "/v2")) {
            router.get(base).handler(ctx -> ctx.response()
                    .putHeader("Docker-Distribution-API-Version", "registry/2.0")
                    .putHeader("Content-Type", "application/json")
                    .end("{}"));
            router.head(base).handler(ctx -> ctx.response()
                    .putHeader("Docker-Distribution-API-Version", "registry/2.0")
                    .putHeader("Content-Type", "application/json")
                    .putHeader("Content-Length", "2")
                    .end());
        }

        OptionalLong chunkMin = storage.driver().minimumChunk();
        BlobHandler blobs = new BlobHandler(storage);
        UploadHandler uploads = new UploadHandler(storage, chunkMin, config.limits().maxOpenUploadsPerClient() == null ? 0
                : config.limits().maxOpenUploadsPerClient(), config.uploadExpiry());
        ManifestHandler manifests = new ManifestHandler(storage, config.limits().manifestBytes().intValue());
        metrics.cache(manifests.cache(), "manifests");
        ListingHandler listings = new ListingHandler(storage);

        router.get("/v2/_catalog").handler(Dispatch.blocking(blocking, listings::catalog));

        String uploadsPath = "/v2/" + NAME + "/blobs/uploads/";
        String uploadPath = uploadsPath + "(?<uuid>[^/]+)";
        String blobPath = "/v2/" + NAME + "/blobs/(?<digest>[^/]+)";
        String manifestPath = "/v2/" + NAME + "/manifests/(?<reference>[^/]+)";
        Dispatch.ResourceHandler startUpload = uploads::start;
        Dispatch.ResourceHandler getBlob = blobs::get;
        Dispatch.ResourceHandler getManifest = manifests::get;
        Dispatch.ResourceHandler putManifest = manifests::put;
        Dispatch.ResourceHandler tags = listings::tags;
        if (proxy != null) {
            startUpload = proxy.readOnlyUnderPrefixes(startUpload);
            putManifest = proxy.readOnlyUnderPrefixes(putManifest);
            getBlob = proxy.blobs(blobs);
            getManifest = proxy.manifests(manifests);
            tags = proxy.tags(listings);
        }
        router.routeWithRegex(HttpMethod.POST, uploadsPath).handler(Dispatch.blocking(blocking, startUpload));
        router.routeWithRegex(HttpMethod.PATCH, uploadPath).handler(Dispatch.blocking(blocking, uploads::patch));
        router.routeWithRegex(HttpMethod.PUT, uploadPath).handler(Dispatch.blocking(blocking, uploads::finish));
        router.routeWithRegex(HttpMethod.GET, uploadPath).handler(Dispatch.blocking(blocking, uploads::status));
        router.routeWithRegex(HttpMethod.DELETE, uploadPath).handler(Dispatch.blocking(blocking, uploads::cancel));
        router.routeWithRegex(HttpMethod.GET, blobPath).handler(Dispatch.blocking(blocking, getBlob));
        router.routeWithRegex(HttpMethod.HEAD, blobPath).handler(Dispatch.blocking(blocking, getBlob));
        router.routeWithRegex(HttpMethod.DELETE, blobPath).handler(Dispatch.blocking(blocking, deletable(config, blobs::delete)));
        router.routeWithRegex(HttpMethod.GET, manifestPath).handler(Dispatch.blocking(blocking, getManifest));
        router.routeWithRegex(HttpMethod.HEAD, manifestPath).handler(Dispatch.blocking(blocking, getManifest));
        router.routeWithRegex(HttpMethod.PUT, manifestPath).handler(Dispatch.blocking(blocking, putManifest));
        router.routeWithRegex(HttpMethod.DELETE, manifestPath).handler(Dispatch.blocking(blocking, deletable(config, manifests::delete)));
        router.routeWithRegex(HttpMethod.GET, "/v2/" + NAME + "/tags/list").handler(Dispatch.blocking(blocking, tags));
        router.routeWithRegex(HttpMethod.GET, "/v2/" + NAME + "/referrers/(?<digest>[^/]+)")
                .handler(Dispatch.blocking(blocking, listings::referrers));

        // A resource that exists answers a method it does not take with 405 and the methods it does
        // (RFC 9110 15.5.6), not 404: a client then knows the path was right.
        allowOnly(router, "/v2/?", "GET, HEAD");
        allowOnly(router, "/v2/_catalog", "GET");
        allowOnly(router, uploadsPath, "POST");
        allowOnly(router, uploadPath, "GET, PATCH, PUT, DELETE");
        allowOnly(router, blobPath, "GET, HEAD, DELETE");
        allowOnly(router, manifestPath, "GET, HEAD, PUT, DELETE");
        allowOnly(router, "/v2/" + NAME + "/tags/list", "GET");
        allowOnly(router, "/v2/" + NAME + "/referrers/(?<digest>[^/]+)", "GET");

        router.get("/healthz").handler(ctx -> ctx.response().end("ok\n"));
        // Ready only when storage answers.
        router.get("/readyz").handler(ctx -> blocking.submit(() -> {
            try {
                storage.driver().size(Keys.CATALOG + "readyz");
                ctx.response().end("ready\n");
            } catch (Exception e) {
                ctx.response().setStatusCode(503).end("storage unavailable: " + e.getMessage() + "\n");
            }
        }));

        router.route("/v2/*").failureHandler(ctx -> {
            if (ctx.failure() != null && Failures.toRegistryError(ctx.failure()) == null) metrics.failed();
            Failures.handle(ctx);
        });
        router.route("/v2/*").last().handler(ctx -> ctx.fail(404));
        return router;
    }

    /**
     * Answers every request to {@code pathRegex} that no route above took: OPTIONS with 204 and the
     * methods the endpoint takes, any other method with 405 and the same list.
     */
    private static void allowOnly(Router router, String pathRegex, String methods) {
        String allowed = methods + ", OPTIONS";
        router.routeWithRegex(pathRegex).handler(ctx -> {
            if (ctx.request().method() == HttpMethod.OPTIONS) {
                ctx.response().setStatusCode(204).putHeader("Allow", allowed)
                        .putHeader("Docker-Distribution-API-Version", "registry/2.0").end();
                return;
            }
            ctx.fail(new RegistryException(ErrorCode.UNSUPPORTED, 405,
                    ctx.request().method() + " is not allowed here; allowed: " + allowed, null, Map.of("Allow", allowed)));
        });
    }

    /** DELETE answers 405 UNSUPPORTED when storage.delete.enabled is false, as distribution does. */
    private static Dispatch.ResourceHandler deletable(RegistryConfig config, Dispatch.ResourceHandler handler) {
        if (config.deleteEnabled()) return handler;
        return (ctx, body) -> {
            throw new RegistryException(ErrorCode.UNSUPPORTED, "deletes are disabled on this registry (storage.delete.enabled)");
        };
    }
}
