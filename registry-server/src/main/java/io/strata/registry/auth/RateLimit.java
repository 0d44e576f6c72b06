package io.strata.registry.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;

/** A token bucket per client address: {@code perSecond} requests a second, bursts of as many; 0 turns it off. */
final class RateLimit {
    private final double perSecond;
    private final Cache<String, Bucket> buckets = Caffeine.newBuilder().expireAfterAccess(Duration.ofMinutes(5))
            .maximumSize(100_000).build();

    private static final class Bucket {
        double tokens;
        long at = System.nanoTime();

        Bucket(double tokens) {
            this.tokens = tokens;
        }
    }

    RateLimit(double perSecond) {
        this.perSecond = perSecond;
    }

    /** Takes one request's token: 0 when it may go ahead, else the milliseconds until it may. */
    long take(String client) {
        if (perSecond <= 0) return 0;
        Bucket b = buckets.get(client, k -> new Bucket(Math.max(1, perSecond)));
        synchronized (b) {
            long now = System.nanoTime();
            b.tokens = Math.min(Math.max(1, perSecond), b.tokens + (now - b.at) / 1e9 * perSecond);
            b.at = now;
            if (b.tokens >= 1) {
                b.tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - b.tokens) / perSecond * 1000);
        }
    }
}
