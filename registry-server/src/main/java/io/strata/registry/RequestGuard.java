package io.strata.registry;

import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * In front of the router: requests that no route may see are answered with the spec's error JSON
 * before Vert.x normalises or decodes their path. Dot segments (plain or percent-encoded) would
 * otherwise be resolved into another path ({@code /v2/../healthz} is {@code /healthz}), a bad
 * percent-escape throws in the router, and an HTTP/1.1 request without Host fails deep inside a
 * handler. Also answers what the HTTP decoder refused (too long a line or headers) in the same
 * format, and an HTTP version it does not speak (e.g. HTTP/9.9) with 505. Each refusal is one log
 * line, at most a few a second.
 */
final class RequestGuard implements Handler<HttpServerRequest> {
    private static final Logger LOG = LoggerFactory.getLogger(RequestGuard.class);
    private static final Pattern DOT_SEGMENT = Pattern.compile("(^|/)(\\.|%2[eE]){1,2}(/|$|\\?)");
    private static final Pattern BAD_ESCAPE = Pattern.compile("%(?![0-9A-Fa-f]{2})");
    private static final Pattern ENCODED_SLASH_OR_DOT = Pattern.compile("%(2[eEfF]|5[cC])");

    private final Handler<HttpServerRequest> router;
    private final boolean tls;
    private final AtomicLong window = new AtomicLong();
    private final AtomicLong inWindow = new AtomicLong();

    /** {@code tls}: whether the listener speaks TLS (a plain one reads a TLS handshake as a malformed request). */
    RequestGuard(Handler<HttpServerRequest> router, boolean tls) {
        this.router = router;
        this.tls = tls;
    }

    @Override
    public void handle(HttpServerRequest request) {
        if (request.version() == null) {
            log(request, "unsupported HTTP version");
            Failures.send(request, new RegistryException(ErrorCode.UNSUPPORTED, 505,
                    "HTTP version not supported: HTTP/1.0, HTTP/1.1 and HTTP/2 are", null, Map.of("Connection", "close")));
            request.connection().close();
            return;
        }
        String refusal = refusal(request);
        if (refusal == null) {
            router.handle(request);
            return;
        }
        log(request, refusal);
        Failures.send(request, new RegistryException(ErrorCode.NAME_INVALID, 400, refusal, null, Map.of()));
    }

    static String refusal(HttpServerRequest request) {
        if (request.version() != HttpVersion.HTTP_2 && request.version() != HttpVersion.HTTP_1_0 && request.getHeader("Host") == null) {
            return "an HTTP/1.1 request needs a Host header";
        }
        String uri = request.uri();
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        if (BAD_ESCAPE.matcher(uri).find()) return "the request path holds a malformed percent-escape";
        if (DOT_SEGMENT.matcher(path).find()) return "the request path holds a dot segment";
        if (path.startsWith("/v2") && ENCODED_SLASH_OR_DOT.matcher(path).find()) {
            return "the request path holds an encoded dot, slash or backslash, which no name, tag or digest can";
        }
        return null;
    }

    /** What the HTTP decoder refused: 414, 431 or 400, with the error JSON where a body may follow. */
    void invalid(HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        String text = cause == null ? "" : String.valueOf(cause.getMessage());
        int status;
        String message;
        if (cause instanceof TooLongFrameException && text.contains("line")) {
            status = 414;
            message = "the request line is too long";
        } else if (cause instanceof TooLongFrameException) {
            status = 431;
            message = "the request headers are too large";
        } else {
            status = 400;
            message = "malformed HTTP request";
        }
        // Clients that try https first (skopeo and podman without TLS verification) send a handshake
        // here on every push before they retry over http: say what it likely was.
        log("refused a malformed request from {}: {}{}", request.remoteAddress(), message,
                status == 400 && !tls ? " (or a TLS handshake: this listener speaks plain HTTP, and some clients try https first)" : "");
        request.response().putHeader("Connection", "close");
        Failures.send(request, new RegistryException(ErrorCode.UNSUPPORTED, status, message, null, Map.of()));
    }

    /** One line per refusal, at most 10 a second: a flood of bad requests does not flood the log. */
    private void log(HttpServerRequest request, String refusal) {
        String uri = request.uri();
        log("refused {} {} from {}: {}", request.method(), uri.length() > 200 ? uri.substring(0, 200) + "…" : uri,
                request.remoteAddress(), refusal);
    }

    private void log(String format, Object... args) {
        long second = System.currentTimeMillis() / 1000;
        if (window.getAndSet(second) != second) inWindow.set(0);
        long n = inWindow.incrementAndGet();
        if (n <= 10) {
            LOG.warn(format, args);
        } else if (n == 11) {
            LOG.warn("more bad requests this second; not logging each");
        }
    }
}
