package io.strata.registry;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The registry's metrics in Prometheus's text format at {@code /metrics} (Micrometer): requests by
 * route, method and status with latency histograms, bytes in and out, upload requests in flight,
 * unexpected (5xx) failures, the manifest cache's hits, the pull-through cache's hits and fetches,
 * garbage collection runs and bytes freed, and the JVM's memory, GC and threads.
 * Routes are the API's shapes ({@code blob}, {@code manifest}, …), never repository names, so the
 * number of series stays fixed however many repositories there are.
 */
final class Metrics {
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicInteger uploadsInFlight = new AtomicInteger();
    private final java.util.concurrent.ConcurrentHashMap<String, Timer> timers = new java.util.concurrent.ConcurrentHashMap<>();
    private final Counter failures;
    private final DistributionSummary bytesIn;
    private final DistributionSummary bytesOut;

    Metrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        registry.gauge("strata.uploads.in.flight", uploadsInFlight);
        failures = Counter.builder("strata.failures").description("requests that failed unexpectedly (500)").register(registry);
        bytesIn = DistributionSummary.builder("strata.http.bytes.in").baseUnit("bytes").register(registry);
        bytesOut = DistributionSummary.builder("strata.http.bytes.out").baseUnit("bytes").register(registry);
    }

    static String route(RoutingContext ctx) {
        String path = ctx.request().path();
        ApiPath api = ApiPath.of(ctx);
        if (api != null) return api.endpoint().label();
        if (path.equals("/token")) return "token";
        if (path.equals("/healthz") || path.equals("/readyz") || path.equals("/metrics")) return path.substring(1);
        return "other";
    }

    /** Router handler: times the request and counts what it moved once it ends. */
    void handle(RoutingContext ctx) {
        long start = System.nanoTime();
        String route = route(ctx);
        boolean upload = route.equals("upload");
        if (upload) uploadsInFlight.incrementAndGet();
        Sent.whenDone(ctx, status -> {
            if (upload) uploadsInFlight.decrementAndGet();
            var request = ctx.request();
            var response = ctx.response();
            timer(route, request.method().name(), status).record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
            bytesIn.record(request.bytesRead());
            bytesOut.record(response.bytesWritten());
        });
        ctx.next();
    }

    /** One timer per route, method and status, looked up without building Micrometer's ids on every request. */
    private Timer timer(String route, String method, int status) {
        return timers.computeIfAbsent(route + ' ' + method + ' ' + status, k -> Timer.builder("strata.http.requests")
                .publishPercentileHistogram().tag("route", route).tag("method", method).tag("status", status == Sent.NONE ? "none" : Integer.toString(status))
                .register(registry));
    }

    /** A pull-through request for a manifest or blob: served from storage (hit), fetched, served stale, or failed. */
    void proxy(String kind, String result) {
        Counter.builder("strata.proxy.requests").tag("kind", kind).tag("result", result).register(registry).increment();
    }

    /** A garbage collection run: what it removed and freed, or that it failed. */
    void gc(int blobs, long bytes, boolean failed) {
        Counter.builder("strata.gc.runs").tag("result", failed ? "failed" : "ok").register(registry).increment();
        Counter.builder("strata.gc.blobs.removed").register(registry).increment(blobs);
        Counter.builder("strata.gc.bytes.freed").baseUnit("bytes").register(registry).increment(bytes);
    }

    void failed() {
        failures.increment();
    }

    void cache(com.github.benmanes.caffeine.cache.Cache<?, ?> cache, String name) {
        CaffeineCacheMetrics.monitor(registry, cache, name);
    }

    void serve(RoutingContext ctx) {
        ctx.response().putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8").end(registry.scrape());
    }
}
