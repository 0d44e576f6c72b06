package io.strata.registry;

import io.strata.storage.Keys;
import io.strata.storage.Storage;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.Handler;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
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

        OptionalLong chunkMin = storage.driver().minimumChunk();
        BlobHandler blobs = new BlobHandler(storage);
        UploadHandler uploads = new UploadHandler(storage, chunkMin, config.limits().maxOpenUploadsPerClient() == null ? 0
                : config.limits().maxOpenUploadsPerClient(), config.uploadExpiry());
        ManifestHandler manifests = new ManifestHandler(storage, config.limits().manifestBytes().intValue());
        metrics.cache(manifests.cache(), "manifests");
        ListingHandler listings = new ListingHandler(storage);

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

        // One table of the API's endpoints and methods, dispatched on the one reading of the path
        // (ApiPath) that the gate and the metrics use too.
        java.util.Map<ApiPath.Endpoint, java.util.Map<HttpMethod, Handler<RoutingContext>>> api = new java.util.EnumMap<>(ApiPath.Endpoint.class);
        java.util.function.BiConsumer<ApiPath.Endpoint, java.util.Map<HttpMethod, Dispatch.ResourceHandler>> on = (endpoint, handlers) -> {
            java.util.Map<HttpMethod, Handler<RoutingContext>> byMethod = new java.util.HashMap<>();
            handlers.forEach((method, handler) -> byMethod.put(method, Dispatch.blocking(blocking, handler)));
            api.put(endpoint, byMethod);
        };
        // The API's base, also without its slash (distribution redirects that to /v2/).
        api.put(ApiPath.Endpoint.BASE, Map.of(HttpMethod.GET, ctx -> ctx.response()
                .putHeader("Docker-Distribution-API-Version", "registry/2.0")
                .putHeader("Content-Type", "application/json")
                .end("{}"), HttpMethod.HEAD, ctx -> ctx.response()
                .putHeader("Docker-Distribution-API-Version", "registry/2.0")
                .putHeader("Content-Type", "application/json")
                .putHeader("Content-Length", "2")
                .end()));
        on.accept(ApiPath.Endpoint.CATALOG, Map.of(HttpMethod.GET, listings::catalog));
        on.accept(ApiPath.Endpoint.UPLOADS, Map.of(HttpMethod.POST, startUpload));
        on.accept(ApiPath.Endpoint.UPLOAD, Map.of(HttpMethod.PATCH, uploads::patch, HttpMethod.PUT, uploads::finish,
                HttpMethod.GET, uploads::status, HttpMethod.DELETE, uploads::cancel));
        on.accept(ApiPath.Endpoint.BLOB, Map.of(HttpMethod.GET, getBlob, HttpMethod.HEAD, getBlob,
                HttpMethod.DELETE, deletable(config, blobs::delete)));
        on.accept(ApiPath.Endpoint.MANIFEST, Map.of(HttpMethod.GET, getManifest, HttpMethod.HEAD, getManifest,
                HttpMethod.PUT, putManifest, HttpMethod.DELETE, deletable(config, manifests::delete)));
        on.accept(ApiPath.Endpoint.TAGS, Map.of(HttpMethod.GET, tags));
        on.accept(ApiPath.Endpoint.REFERRERS, Map.of(HttpMethod.GET, listings::referrers));
        router.route("/v2/*").handler(ctx -> {
            ApiPath path = ApiPath.of(ctx);
            HttpMethod method = ctx.request().method();
            if (path == null) {
                ctx.next(); // the 404 below
            } else if (method == HttpMethod.OPTIONS) {
                // A resource that exists answers OPTIONS with the methods it takes, and any other
                // method with 405 and the same list (RFC 9110 15.5.6), not 404: the path was right.
                ctx.response().setStatusCode(204).putHeader("Allow", path.endpoint().allow())
                        .putHeader("Docker-Distribution-API-Version", "registry/2.0").end();
            } else if (!path.endpoint().takes(method)) {
                ctx.fail(notAllowed(method, path.endpoint().allow()));
            } else {
                api.get(path.endpoint()).get(method).handle(ctx);
            }
        });

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
        // Any other path: the same error JSON, not Vert.x's plain text.
        router.route().last().handler(ctx -> ctx.fail(404));
        router.route().failureHandler(Failures::handle);
        return router;
    }

    private static RegistryException notAllowed(HttpMethod method, String allowed) {
        return new RegistryException(ErrorCode.UNSUPPORTED, 405, method + " is not allowed here; allowed: " + allowed, null,
                Map.of("Allow", allowed));
    }

    /** DELETE answers 405 UNSUPPORTED when storage.delete.enabled is false, as distribution does. */
    private static Dispatch.ResourceHandler deletable(RegistryConfig config, Dispatch.ResourceHandler handler) {
        if (config.deleteEnabled()) return handler;
        return (ctx, body) -> {
            throw new RegistryException(ErrorCode.UNSUPPORTED, "deletes are disabled on this registry (storage.delete.enabled)");
        };
    }
}
