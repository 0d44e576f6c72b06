package io.strata.registry;

import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;

/**
 * A response sent before its request body was read (a refused chunk, an oversized manifest): the
 * client may still be sending, and would block on a paused socket. On HTTP/1.x mark the connection
 * to close; then read and discard the rest, up to a bound past which the connection (HTTP/1.x) or
 * just the stream (HTTP/2) is cut.
 */
final class Drain {
    private static final long MAX_DRAIN = 16L * 1024 * 1024;

    private Drain() {}

    /** Call before ending the response; returns true when the body must be drained. */
    static boolean prepare(HttpServerRequest request, HttpServerResponse response) {
        if (request.isEnded()) return false;
        if (request.version() != HttpVersion.HTTP_2) response.putHeader("Connection", "close");
        return true;
    }

    /** Call after ending the response. */
    static void start(HttpServerRequest request, HttpServerResponse response) {
        long[] drained = {0};
        request.handler(b -> {
            drained[0] += b.length();
            if (drained[0] > MAX_DRAIN) {
                if (request.version() == HttpVersion.HTTP_2) response.reset();
                else request.connection().close();
            }
        });
        request.exceptionHandler(t -> {});
        request.endHandler(v -> {});
        request.resume();
    }
}
