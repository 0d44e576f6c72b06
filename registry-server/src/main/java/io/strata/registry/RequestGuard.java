package io.strata.registry;

import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.PrematureChannelClosureException;
import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
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
    // The log's rate, one for the process: refusals come from the guard and from request bodies alike.
    private static final AtomicLong WINDOW = new AtomicLong();
    private static final AtomicLong IN_WINDOW = new AtomicLong();

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
        if (request.method() == HttpMethod.OPTIONS && request.uri().equals("*")) {
            // OPTIONS * asks about the server as a whole (RFC 9110 9.3.7): the methods some endpoint takes.
            request.response().setStatusCode(204).putHeader("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
                    .putHeader("Docker-Distribution-API-Version", "registry/2.0").end();
            return;
        }
        if (request.method() == HttpMethod.CONNECT) {
            log(request, "CONNECT");
            Failures.send(request, new RegistryException(ErrorCode.UNSUPPORTED, 405,
                    "CONNECT is not supported: this is a registry, not a proxy", null, Map.of("Allow", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")));
            return;
        }
        String refusal = refusal(request);
        if (refusal == null) {
            // A body the decoder cannot read fails the request before any handler may be reading it.
            request.exceptionHandler(t -> malformedBody(request, t));
            router.handle(request);
            return;
        }
        log(request, refusal);
        Failures.send(request, new RegistryException(ErrorCode.NAME_INVALID, 400, refusal, null, Map.of()));
    }

    static String refusal(HttpServerRequest request) {
        int hosts = request.headers().getAll("Host").size();
        if (request.version() != HttpVersion.HTTP_2 && request.version() != HttpVersion.HTTP_1_0 && hosts == 0) {
            return "an HTTP/1.1 request needs a Host header";
        }
        // Two Host headers make the request's authority ambiguous to whatever reads one of them (RFC 9112 3.2).
        if (hosts > 1) return "the request has more than one Host header";
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

    /**
     * A request whose body the HTTP decoder could not read (a malformed chunk size or chunk line):
     * answered 400 in the spec's format here, on the event loop, because Vert.x closes the connection
     * right after it reports the failure. Returns whether {@code t} was such a failure.
     */
    static boolean malformedBody(HttpServerRequest request, Throwable t) {
        if (!(t instanceof IllegalArgumentException || t instanceof DecoderException) || t instanceof PrematureChannelClosureException) {
            return false;
        }
        log("refused {} {} from {}: malformed request body ({})", request.method(), shortened(request.uri()), request.remoteAddress(),
                t.getMessage());
        request.response().putHeader("Connection", "close");
        Failures.send(request, new RegistryException(ErrorCode.UNSUPPORTED, 400, "malformed request body: " + t.getMessage(), null, Map.of()));
        return true;
    }

    private static String shortened(String uri) {
        return uri.length() > 200 ? uri.substring(0, 200) + "…" : uri;
    }

    /** One line per refusal, at most 10 a second: a flood of bad requests does not flood the log. */
    private static void log(HttpServerRequest request, String refusal) {
        log("refused {} {} from {}: {}", request.method(), shortened(request.uri()), request.remoteAddress(), refusal);
    }

    private static void log(String format, Object... args) {
        long second = System.currentTimeMillis() / 1000;
        if (WINDOW.getAndSet(second) != second) IN_WINDOW.set(0);
        long n = IN_WINDOW.incrementAndGet();
        if (n <= 10) {
            LOG.warn(format, args);
        } else if (n == 11) {
            LOG.warn("more bad requests this second; not logging each");
        }
    }
}
