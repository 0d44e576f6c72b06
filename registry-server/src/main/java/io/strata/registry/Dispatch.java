package io.strata.registry;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.io.InputStream;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

/**
 * Runs a handler on a virtual thread (storage is blocking I/O) and writes its {@link Reply} on the
 * request's event loop. A failure goes to the router's failure handler.
 */
final class Dispatch {
    private static final int STREAM_CHUNK = 256 * 1024;

    private Dispatch() {}

    /** A handler of one resource: reads the request (and its body, if it has one) and answers. */
    @FunctionalInterface
    interface ResourceHandler {
        Reply handle(RoutingContext ctx, RequestBody body) throws Exception;
    }

    static Handler<RoutingContext> blocking(ExecutorService executor, ResourceHandler handler) {
        return ctx -> {
            Context context = ctx.vertx().getOrCreateContext();
            RequestBody body = new RequestBody(ctx.request(), context);
            executor.submit(() -> {
                try {
                    Reply reply = handler.handle(ctx, body);
                    if (reply instanceof Reply.Streamed s && ctx.request().method() != HttpMethod.HEAD) {
                        stream(ctx, context, s);
                    } else {
                        context.runOnContext(v -> write(ctx, reply));
                    }
                } catch (Throwable t) {
                    context.runOnContext(v -> {
                        if (!ctx.failed()) ctx.fail(t);
                    });
                }
            });
        };
    }

    private static void head(HttpServerResponse response, Reply reply) {
        response.setStatusCode(reply.status());
        response.putHeader("Docker-Distribution-API-Version", "registry/2.0");
        reply.headers().forEach(response::putHeader);
    }

    private static void write(RoutingContext ctx, Reply reply) {
        HttpServerResponse response = ctx.response();
        if (response.ended() || response.closed()) return;
        head(response, reply);
        boolean drain = Drain.prepare(ctx.request(), response);
        boolean isHead = ctx.request().method() == HttpMethod.HEAD;
        switch (reply) {
            case Reply.Empty e -> response.end();
            case Reply.Bytes b -> {
                response.putHeader("Content-Length", Integer.toString(b.body().length));
                if (isHead) response.end();
                else response.end(Buffer.buffer(b.body()));
            }
            case Reply.FileRegion f -> {
                response.putHeader("Content-Length", Long.toString(f.length()));
                if (isHead || f.length() == 0) response.end();
                else response.sendFile(f.file().toString(), f.offset(), f.length()).onFailure(ctx::fail);
            }
            case Reply.Streamed s -> {
                // Only HEAD gets here: a streamed body is written by stream().
                closeQuietly(s.body());
                response.putHeader("Content-Length", Long.toString(s.length()));
                response.end();
            }
        }
        if (drain) Drain.start(ctx.request(), response);
    }

    /** Copies a stream to the response from this virtual thread, waiting for each write to be taken. */
    private static void stream(RoutingContext ctx, Context context, Reply.Streamed s) throws Exception {
        HttpServerResponse response = ctx.response();
        try (InputStream in = s.body()) {
            await(context, () -> {
                head(response, s);
                response.putHeader("Content-Length", Long.toString(s.length()));
                return Future.succeededFuture();
            });
            byte[] buf = new byte[STREAM_CHUNK];
            int n;
            while ((n = in.readNBytes(buf, 0, buf.length)) > 0) {
                Buffer chunk = Buffer.buffer(n).appendBytes(buf, 0, n);
                await(context, () -> response.write(chunk));
            }
            await(context, response::end);
        }
    }

    private static void await(Context context, Supplier<Future<?>> onLoop) throws Exception {
        var done = new java.util.concurrent.CompletableFuture<Void>();
        context.runOnContext(v -> {
            try {
                onLoop.get().onComplete(r -> {
                    if (r.succeeded()) done.complete(null);
                    else done.completeExceptionally(r.cause());
                });
            } catch (Throwable t) {
                done.completeExceptionally(t);
            }
        });
        try {
            done.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof Exception ex ? ex : e;
        }
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (Exception ignored) {
            // nothing to do
        }
    }
}
