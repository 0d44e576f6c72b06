package io.strata.registry;

import io.strata.storage.Keys;
import io.strata.storage.Storage;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

/** The one Router for the distribution API and the operational endpoints. */
final class Routes {
    private Routes() {}

    static Router build(Vertx vertx, Storage storage, RegistryConfig config, Supplier<ExecutorService> blocking) {
        Router router = Router.router(vertx);
        router.get("/v2/").handler(ctx -> ctx.response()
                .putHeader("Docker-Distribution-API-Version", "registry/2.0")
                .putHeader("Content-Type", "application/json")
                .end("{}"));
        router.head("/v2/").handler(ctx -> ctx.response()
                .putHeader("Docker-Distribution-API-Version", "registry/2.0").end());
        router.get("/healthz").handler(ctx -> ctx.response().end("ok\n"));
        // Ready only when storage answers.
        router.get("/readyz").handler(ctx -> blocking.get().submit(() -> {
            try {
                storage.driver().size(Keys.CATALOG + "readyz");
                ctx.response().end("ready\n");
            } catch (Exception e) {
                ctx.response().setStatusCode(503).end("storage unavailable: " + e.getMessage() + "\n");
            }
        }));
        return router;
    }
}
