package io.strata.registry;

import io.vertx.ext.web.RoutingContext;
import java.util.function.IntConsumer;

/**
 * The status a request was answered with, for the access log and the metrics. Vert.x ends a
 * request whose connection failed (a body it could not decode) before the guard's error response
 * is written in the same turn of the event loop; such a request is told one turn later, so that
 * it counts with the status actually sent, or {@link #NONE} when the connection closed without one.
 */
final class Sent {
    /** No response was sent. */
    static final int NONE = 0;

    private Sent() {}

    static void whenDone(RoutingContext ctx, IntConsumer status) {
        ctx.addEndHandler(done -> {
            if (ctx.response().ended()) {
                status.accept(ctx.response().getStatusCode());
            } else {
                ctx.vertx().runOnContext(v -> status.accept(ctx.response().ended() ? ctx.response().getStatusCode() : NONE));
            }
        });
    }
}
