package io.strata.registry;

import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One line per request, as key=value pairs, on the logger {@code io.strata.registry.access}. */
final class AccessLog {
    private static final Logger LOG = LoggerFactory.getLogger("io.strata.registry.access");

    private AccessLog() {}

    static void handle(RoutingContext ctx) {
        long start = System.nanoTime();
        Sent.whenDone(ctx, status -> {
            var request = ctx.request();
            var response = ctx.response();
            LOG.info("method={} path={} status={} bytes_in={} bytes_out={} duration_ms={} remote={}",
                    request.method(), request.path(), status == Sent.NONE ? "-" : status, request.bytesRead(),
                    response.bytesWritten(), (System.nanoTime() - start) / 1_000_000,
                    request.remoteAddress() == null ? "-" : request.remoteAddress().hostAddress());
        });
        ctx.next();
    }
}
