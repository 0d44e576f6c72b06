package io.strata.registry;

import io.strata.storage.Storage;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import java.io.Closeable;
import java.io.IOException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A running registry: storage, the HTTP server in front of it, and the upload-expiry sweep. */
public final class Registry implements Closeable {
    static {
        // Netty 4.2 registers JFR events for its buffer allocator at the first allocation, which sets up
        // JFR's event metadata (135 more classes, 14 of them annotation proxies made at run time) whether
        // or not anything records: 0.12-0.27 s of the registry's start and 3-6 MiB of its idle RSS.
        // Set before Vert.x loads Netty; -Dio.netty.jfr.enabled=true brings the events back for a recording.
        if (System.getProperty("io.netty.jfr.enabled") == null) System.setProperty("io.netty.jfr.enabled", "false");
    }

    private static final Logger LOG = LoggerFactory.getLogger(Registry.class);

    private final RegistryConfig config;
    private final Vertx vertx;
    private final Storage storage;
    /** Storage is blocking I/O; each request's storage work runs on its own virtual thread. */
    private final ExecutorService blocking;
    private final HttpServer server;
    private final long purgeTimer;
    private final long gcTimer;
    private final java.util.concurrent.atomic.AtomicBoolean collecting = new java.util.concurrent.atomic.AtomicBoolean();

    private final Metrics metrics;

    /** The pull-through cache; null without upstreams. */
    private final PullThrough proxy;
    private final long evictTimer;
    /** How often the pull-through cache is brought under its cap. */
    private static final java.time.Duration EVICT_EVERY = java.time.Duration.ofMinutes(5);

    private Registry(RegistryConfig config, Vertx vertx, Storage storage, ExecutorService blocking, HttpServer server, Metrics metrics,
                     PullThrough proxy) {
        this.metrics = metrics;
        this.proxy = proxy;
        this.config = config;
        this.vertx = vertx;
        this.storage = storage;
        this.blocking = blocking;
        this.server = server;
        long interval = config.purgeInterval().toMillis();
        this.purgeTimer = vertx.setPeriodic(interval, interval, id -> purgeUploads());
        java.time.Duration gcEvery = config.gcInterval();
        this.gcTimer = gcEvery == null ? -1 : vertx.setPeriodic(gcEvery.toMillis(), gcEvery.toMillis(), id -> collectGarbage());
        this.evictTimer = proxy == null || config.proxyMaxBytes() == 0 || config.isReadOnly() ? -1
                : vertx.setPeriodic(EVICT_EVERY.toMillis(), id -> background(this::evictCache));
    }

    /** Opens storage and starts listening; returns once the port is bound. */
    public static Registry start(RegistryConfig config) throws IOException {
        Storage storage = Storage.open(config.storageConfig());
        Vertx vertx = Vertx.vertx(new VertxOptions());
        ExecutorService blocking = Executors.newVirtualThreadPerTaskExecutor();
        try {
            Metrics metrics = new Metrics();
            PullThrough proxy = config.upstreams().isEmpty() ? null : new PullThrough(storage, config, blocking, metrics);
            Router router = Routes.build(vertx, storage, config, blocking, metrics, proxy);
            // A connection with nothing read or written for idleTimeout is closed: an idle keep-alive, and
            // a client that stalled mid-body (whose upload lock is then released).
            HttpServerOptions options = new HttpServerOptions().setHost(config.host()).setPort(config.port())
                    .setCompressionSupported(false).setIdleTimeout((int) config.idleTimeout().toSeconds())
                    .setIdleTimeoutUnit(TimeUnit.SECONDS);
            if (config.tls().cert() != null) {
                // HTTP/2 over TLS when the client offers it (ALPN), HTTP/1.1 otherwise.
                PemKeyCertOptions pem = new PemKeyCertOptions().setCertPath(config.tls().cert()).setKeyPath(config.tls().key());
                try {
                    pem.getKeyManagerFactory(vertx); // read now, so a bad file is named instead of failing the listen
                } catch (Exception e) {
                    throw new IllegalArgumentException("cannot use TLS certificate " + config.tls().cert() + " with key "
                            + config.tls().key() + ": " + e.getMessage(), e);
                }
                options.setSsl(true).setUseAlpn(true).setKeyCertOptions(pem);
            }
            // A WebSocket handshake handler (this registry speaks none) makes Vert.x pass requests of an HTTP
            // version it does not know to the guard, which answers 505 in the spec's format, instead of a bare 501.
            RequestGuard guard = new RequestGuard(router, config.tls().cert() != null);
            HttpServer server = vertx.createHttpServer(options).webSocketHandshakeHandler(handshake -> handshake.reject(404))
                    .requestHandler(guard).invalidRequestHandler(guard::invalid).listen()
                    .toCompletionStage().toCompletableFuture().join();
            Registry registry = new Registry(config, vertx, storage, blocking, server, metrics, proxy);
            if (config.tls().cert() != null) CertificateReload.watch(vertx, server, config.tls().cert(), config.tls().key());
            LOG.info("Strata registry listening on {}://{}:{} ({} storage at {}; auth: {}; deletes {}{})",
                    config.tls().cert() != null ? "https" : "http", config.host(), server.actualPort(), config.storage().driver(),
                    config.storageLocation(), config.auth().mode(), config.deleteEnabled() ? "enabled" : "disabled",
                    config.isReadOnly() ? "; read-only" : "");
            return registry;
        } catch (RuntimeException | IOException e) {
            blocking.shutdown();
            vertx.close();
            storage.close();
            throw e;
        }
    }

    /**
     * Garbage collection and cache eviction, one at a time, on a platform thread of their own (CPU
     * work that would hold a carrier of the requests' virtual threads); what they removed goes to the log.
     */
    private void background(Runnable work) {
        if (config.isReadOnly() || !collecting.compareAndSet(false, true)) return;
        Thread.ofPlatform().daemon().name("strata-gc").start(() -> {
            try {
                work.run();
            } catch (RuntimeException e) {
                LOG.warn("background collection failed: {}", e.toString());
            } finally {
                collecting.set(false);
            }
        });
    }

    private void collectGarbage() {
        background(this::runGarbageCollection);
    }

    private void runGarbageCollection() {
        try {
            var r = storage.gc().run(config.gcGrace(), Boolean.TRUE.equals(config.gc().untagged()), false);
            LOG.info("gc: removed {} blobs ({} bytes), {} links, {} untagged manifests", r.blobs().size(), r.bytes(), r.links(),
                    r.manifests().size());
            metrics.gc(r.blobs().size(), r.bytes(), false);
        } catch (RuntimeException e) {
            metrics.gc(0, 0, true);
            throw e;
        }
    }

    /**
     * Brings the pull-through cache under proxy.maxBytes: removes the manifests least recently
     * pulled, then collects the blobs nothing names any more. Runs every few minutes; tests call it.
     */
    void evictCache() {
        if (proxy == null) return;
        proxy.evict().filter(r -> !r.evicted().isEmpty()).ifPresent(r -> {
            LOG.info("proxy: {} bytes cached, cap {}: evicted {} manifests least recently pulled ({})", r.bytesBefore(),
                    config.proxyMaxBytes(), r.evicted().size(), String.join(", ", r.evicted()));
            runGarbageCollection();
        });
    }

    private void purgeUploads() {
        blocking.submit(() -> {
            try {
                int n = storage.uploads().purgeExpired(config.uploadExpiry());
                if (n > 0) LOG.info("removed {} expired upload sessions", n);
            } catch (RuntimeException e) {
                LOG.warn("upload expiry sweep failed: {}", e.toString());
            }
        });
    }

    public int port() {
        return server.actualPort();
    }

    public Storage storage() {
        return storage;
    }

    /** Stops taking connections, lets requests in flight finish (up to 30 s), then closes storage. */
    @Override
    public void close() throws IOException {
        vertx.cancelTimer(purgeTimer);
        if (gcTimer >= 0) vertx.cancelTimer(gcTimer);
        if (evictTimer >= 0) vertx.cancelTimer(evictTimer);
        server.shutdown(30, TimeUnit.SECONDS).toCompletionStage().toCompletableFuture().join();
        blocking.shutdown();
        try {
            blocking.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        vertx.close().toCompletionStage().toCompletableFuture().join();
        storage.close();
        LOG.info("registry stopped");
    }
}
