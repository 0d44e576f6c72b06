package io.strata.remote;

import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;

/**
 * HTTP to one registry host: the scheme (HTTPS, plain HTTP with --insecure, and docker's rule that a
 * loopback registry falls back to HTTP when it does not speak TLS), TLS settings for that host, and
 * retries that know what is worth retrying: a 5xx, a 429 (honouring Retry-After), a cut or timed-out
 * connection; never a DNS failure, a TLS failure, or a refused connection to a host never reached.
 */
public final class Transport {
    static {
        // The JDK client reads sockets in 16 KiB buffers and wakes its selector per buffer; for blobs
        // of hundreds of megabytes, 256 KiB cut a 1 GiB pull's system time by half (bench/pull-unpack.sh).
        if (System.getProperty("jdk.httpclient.bufsize") == null) System.setProperty("jdk.httpclient.bufsize", "262144");
    }

    /**
     * How to reach registries.
     *
     * @param insecure plain HTTP (docker's and podman's --insecure registries)
     * @param tls certificate checks and the certs.d directories
     * @param attempts tries per request, the first included
     * @param notices one line per retry, for a user watching a terminal
     */
    public record Options(boolean insecure, TlsSettings tls, int attempts, Consumer<String> notices) {
        public static Options defaults(int attempts) {
            return new Options(false, TlsSettings.DEFAULT, attempts, notice -> {});
        }

        public Options insecure(boolean plainHttp) {
            return new Options(plainHttp, tls, attempts, notices);
        }
    }

    /** A request built against the registry's base URI ({@code https://host}, or {@code http://host}). */
    @FunctionalInterface
    public interface RequestFactory {
        HttpRequest.Builder build(URI base);
    }

    /** What the caller adds to each attempt (credentials) and how it answers a 401 (a challenge). */
    public interface Auth {
        /** The Authorization header for this attempt, or null. */
        String header() throws IOException;

        /** True when the 401 was a challenge that a new attempt can meet. */
        boolean challenged(HttpResponse<?> response, String sent) throws IOException;

        /** The line for a 401 that no new attempt can meet. */
        String unauthorized(String sent);
    }

    private final String host;
    private final Options options;
    /** Made when first needed: a TLS context reads every trusted CA (tens of milliseconds), plain HTTP needs none. */
    private volatile HttpClient tls;
    private volatile HttpClient plain;
    private volatile String scheme;
    /** Once a connection succeeded, a refused one is a restart worth waiting for, not a wrong address. */
    private volatile boolean reached;
    /** Every client this process made, closed before it exits (a selector thread left in native code delays the JVM's exit by 0.3 s). */
    private static final java.util.Set<HttpClient> OPEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public Transport(String host, Options options) {
        this.host = host;
        this.options = options;
        this.scheme = options.insecure() ? "http" : loopback(host) ? null : "https";
    }

    private static HttpClient client(javax.net.ssl.SSLContext context) {
        return client(HttpClient.newBuilder().sslContext(context));
    }

    private static HttpClient client(HttpClient.Builder builder) {
        HttpClient c = builder.version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(15)).build();
        OPEN.add(c);
        return c;
    }

    /** The client for a URI: with this host's TLS settings for https, one that never trusts anything otherwise. */
    HttpClient http(URI uri) {
        if ("https".equalsIgnoreCase(uri.getScheme())) {
            HttpClient c = tls;
            if (c == null) {
                synchronized (this) {
                    if (tls == null) tls = client(options.tls().context(host));
                    c = tls;
                }
            }
            return c;
        }
        HttpClient c = plain;
        if (c == null) {
            synchronized (this) {
                if (plain == null) {
                    plain = client(HttpClient.newBuilder().sslContext(TlsSettings.systemTrustWhenUsed())
                            .sslParameters(new javax.net.ssl.SSLParameters()));
                }
                c = plain;
            }
        }
        return c;
    }

    /** Stops every client this process made, so that it exits at once. */
    public static void closeAll() {
        for (HttpClient c : OPEN) c.shutdownNow();
        for (HttpClient c : OPEN) {
            try {
                c.awaitTermination(Duration.ofMillis(200));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        OPEN.clear();
    }

    public String host() {
        return host;
    }

    public int attempts() {
        return options.attempts();
    }

    /** localhost, 127.0.0.0/8 and ::1, with or without a port: docker's implicitly insecure registries. */
    static boolean loopback(String host) {
        String h = name(host);
        return h.equals("localhost") || h.startsWith("127.") || h.equals("::1");
    }

    /**
     * The registry's base URI. A loopback registry is docker's insecure registry: HTTPS when it
     * speaks it (a certificate we cannot verify is accepted there, as docker does), else plain HTTP.
     */
    public URI base() throws IOException {
        String s = scheme;
        if (s == null) s = probe();
        return URI.create(s + "://" + host);
    }

    private synchronized String probe() throws IOException {
        if (scheme != null) return scheme;
        if (speaksPlainHttp()) return scheme = "http";
        try {
            HttpResponse<Void> r = http(URI.create("https://" + host)).send(HttpRequest.newBuilder(URI.create("https://" + host + "/v2/"))
                    .timeout(Duration.ofSeconds(15)).GET().build(), HttpResponse.BodyHandlers.discarding());
            reached = r.statusCode() > 0;
            scheme = "https";
        } catch (SSLException e) {
            String why = explain(e).getMessage();
            if (why.contains("certificate")) {
                tls = client(new TlsSettings(false, options.tls().certsDirs()).context(host));
                scheme = "https";
            } else {
                scheme = "http";
            }
        } catch (ConnectException e) {
            scheme = "http"; // nothing listens: let the real request say so, in the scheme it would use
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return scheme;
    }

    /**
     * Whether a loopback server answers plain HTTP, asked without credentials: with a registry's API
     * version header, or with any status but the 400 a TLS server may send for a plain request (Go's
     * does; others send nothing, or close). Spares the TLS handshake (and making a TLS context) for
     * the common local registry; asked with the client the requests then use, it leaves them its
     * connection (a bare socket cost a new JVM 20 ms of classes of its own).
     */
    private boolean speaksPlainHttp() {
        URI v2 = URI.create("http://" + host + "/v2/");
        try {
            HttpResponse<Void> r = http(v2).send(HttpRequest.newBuilder(v2).timeout(Duration.ofSeconds(2)).GET().build(),
                    HttpResponse.BodyHandlers.discarding());
            return r.uri().getScheme().equals("http")
                    && (r.headers().firstValue("Docker-Distribution-API-Version").isPresent() || r.statusCode() != 400);
        } catch (IOException | RuntimeException e) {
            return false; // let the TLS probe decide
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Sends with retries; answers a 2xx response, or throws a {@link RegistryException} with one line a
     * user can act on. {@code retry}: false for requests that must not be repeated blindly (a chunk).
     */
    public HttpResponse<InputStream> send(RequestFactory request, boolean retry, Auth auth) throws IOException {
        IOException last = null;
        int tries = retry ? options.attempts() : 1;
        int challenges = 0;
        for (int attempt = 1; attempt <= tries; attempt++) {
            HttpResponse<InputStream> r;
            String sent = auth.header();
            try {
                HttpRequest.Builder b = request.build(base());
                if (sent != null) b.header("Authorization", sent);
                HttpRequest built = b.build();
                r = http(built.uri()).send(built, HttpResponse.BodyHandlers.ofInputStream());
                reached = true;
            } catch (java.io.UncheckedIOException e) {
                throw e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            } catch (IOException e) {
                TransportException failure = explain(e);
                if (!failure.retryable() || attempt >= tries) throw failure;
                last = failure;
                backoff(attempt, null, failure.getMessage());
                continue;
            }
            int status = r.statusCode();
            // At most two challenges a request: one to get credentials, one more if they went stale meanwhile.
            if (status == 401 && challenges < 2 && auth.challenged(r, sent)) {
                r.body().close();
                challenges++;
                attempt--; // the retry with credentials is not a failure
                continue;
            }
            if (status >= 200 && status < 300) return r;
            String message = ErrorBody.message(r);
            if ((status == 429 || status >= 500) && attempt < tries) {
                last = new RegistryException(status, host + " answered " + status + ": " + message);
                backoff(attempt, r.headers().firstValue("Retry-After").orElse(null), last.getMessage());
                continue;
            }
            throw new RegistryException(status, switch (status) {
                case 401 -> auth.unauthorized(sent);
                case 403 -> "denied by " + host + ": " + message;
                case 404 -> "not found on " + host + ": " + message;
                case 416 -> host + " refused a chunk's range: " + message;
                default -> host + " answered " + status + ": " + message;
            });
        }
        throw last;
    }

    /** A connection-level failure in plain words, and whether another attempt could succeed. */
    public static final class TransportException extends IOException {
        private final boolean retryable;

        TransportException(String message, boolean retryable, Throwable cause) {
            super(message, cause);
            this.retryable = retryable;
        }

        public boolean retryable() {
            return retryable;
        }
    }

    /** Names what went wrong as docker would say it, from the JDK's exception and its causes. */
    TransportException explain(IOException e) {
        String tlsHint = " (trust its CA with certs.d/" + host + "/ca.crt, or --tls-verify=false)";
        if (has(e, UnresolvedAddressException.class) || has(e, UnknownHostException.class)) {
            return new TransportException("cannot reach " + host + ": no such host", false, e);
        }
        if (e instanceof HttpConnectTimeoutException) {
            return new TransportException("cannot reach " + host + ": connection timed out", true, e);
        }
        if (e instanceof HttpTimeoutException) return new TransportException(host + " did not answer in time", true, e);
        if (has(e, SSLException.class)) {
            String text = messages(e).toLowerCase(Locale.ROOT);
            if (text.contains("unrecognized ssl message") || text.contains("plaintext") || text.contains("unsupported or unrecognized")) {
                return new TransportException(host + " speaks plain HTTP, not HTTPS: use --insecure", false, e);
            }
            // A server other than the registry: where it sent the request (a blob download to its store).
            String elsewhere = redirectTarget(e);
            String who = elsewhere == null ? host : elsewhere + " (where " + host + " sent the request)";
            if (elsewhere != null) {
                // Redirects go with the registry's own trust: the system's, and its certs.d when spoken to over TLS.
                tlsHint = "http".equals(scheme) ? " (its CA must be in the system's trust store)"
                        : " (trust its CA in the system's store, or with certs.d/" + host + "/ca.crt)";
            }
            String server = elsewhere == null ? host : elsewhere;
            if (has(e, CertPathBuilderException.class) || text.contains("pkix path")) {
                return new TransportException("TLS handshake with " + who + " failed: certificate not trusted" + tlsHint, false, e);
            }
            if (text.contains("subject alternative") || text.contains("no name matching")) {
                return new TransportException("TLS handshake with " + who + " failed: the certificate is not for " + server + tlsHint,
                        false, e);
            }
            if (has(e, CertificateException.class) || e instanceof SSLHandshakeException) {
                return new TransportException("TLS handshake with " + who + " failed: " + firstMessage(e) + tlsHint, false, e);
            }
        }
        if (has(e, ConnectException.class)) {
            return new TransportException("cannot reach " + host + ": connection refused", reached, e);
        }
        if (messages(e).contains("received no bytes") && "http".equals(scheme)) {
            return new TransportException(host + " closed the connection without an answer: if it speaks HTTPS, drop --insecure", false, e);
        }
        return new TransportException("connection to " + host + " failed: " + firstMessage(e), true, e);
    }

    /** The host name or address of HOST[:PORT] (an IPv6 address without its brackets). */
    private static String name(String host) {
        int colon = host.lastIndexOf(':');
        if (host.startsWith("[")) return host.substring(1, Math.max(1, host.indexOf(']')));
        return colon > 0 && host.indexOf(':') == colon ? host.substring(0, colon) : host;
    }

    /** The port of HOST[:PORT], or {@code otherwise}. */
    private static int port(String host, int otherwise) {
        int colon = host.lastIndexOf(':');
        boolean portGiven = host.startsWith("[") ? colon > host.indexOf(']') : colon > 0 && host.indexOf(':') == colon;
        return portGiven ? Integer.parseInt(host.substring(colon + 1)) : otherwise;
    }

    /** The server whose certificate was refused, HOST:PORT, when it is not the registry; else null. */
    private String redirectTarget(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TlsSettings.UntrustedPeer u) {
                boolean registry = name(u.peer).equalsIgnoreCase(name(host)) && port(u.peer, 443) == port(host, 443);
                return registry ? null : u.peer;
            }
        }
        return null;
    }

    private static boolean has(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) if (type.isInstance(t)) return true;
        return false;
    }

    private static String messages(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) sb.append(t.getMessage()).append(" / ");
        return sb.toString();
    }

    private static String firstMessage(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) if (t.getMessage() != null) return t.getMessage();
        return e.getClass().getSimpleName();
    }

    /** Exponential backoff with jitter, or the server's Retry-After (seconds) when it gave one; says so first. */
    public void backoff(int attempt, String retryAfter, String why) throws IOException {
        long millis = backoffMillis(attempt, retryAfter);
        options.notices().accept(why + "; retrying in " + String.format(Locale.ROOT, "%.1f", millis / 1000.0) + " s ("
                + (attempt + 1) + " of " + options.attempts() + ")");
        sleep(millis);
    }

    static long backoffMillis(int attempt, String retryAfter) {
        long millis = Math.min(10_000, 200L << Math.min(attempt, 10)) + ThreadLocalRandom.current().nextLong(100);
        if (retryAfter != null) {
            try {
                millis = Math.min(60_000, Long.parseLong(retryAfter.trim()) * 1000);
            } catch (NumberFormatException ignored) {
                // an HTTP date: keep our own backoff
            }
        }
        return millis;
    }

    static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
