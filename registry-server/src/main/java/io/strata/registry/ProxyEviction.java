package io.strata.registry;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.strata.oci.Digest;
import io.strata.oci.RepositoryName;
import io.strata.storage.BlobStore;
import io.strata.storage.GarbageCollector;
import io.strata.storage.Page;
import io.strata.storage.StorageException;
import io.strata.storage.Storage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * Keeps the pull-through cache under {@code proxy.maxBytes}. What counts is every blob (manifests
 * included) that the cached repositories' manifests name, once however many name it. Above the cap,
 * the manifests pulled least recently go first, with their tags, until the rest fits; a garbage
 * collection then removes the blobs nothing names any more. Pulls are recorded in storage (at most
 * once a minute per manifest and instance), so instances sharing a backend evict by what all of
 * them served.
 */
final class ProxyEviction {
    private static final Duration RECORD_EVERY = Duration.ofMinutes(1);

    private final Storage storage;
    private final long maxBytes;
    private final Predicate<RepositoryName> cached;
    /** Pulls this instance served, to the millisecond; the stored record may be older by up to RECORD_EVERY. */
    private final Cache<String, Instant> served = Caffeine.newBuilder().maximumSize(100_000).build();
    private final Cache<String, Instant> recorded = Caffeine.newBuilder().maximumSize(100_000)
            .expireAfterWrite(RECORD_EVERY).build();

    ProxyEviction(Storage storage, long maxBytes, Predicate<RepositoryName> cached) {
        this.storage = storage;
        this.maxBytes = maxBytes;
        this.cached = cached;
    }

    /** A client was served this manifest. */
    void pulled(RepositoryName name, Digest manifest) {
        Instant now = Instant.now();
        String key = name + "@" + manifest;
        served.put(key, now);
        if (recorded.getIfPresent(key) == null) {
            recorded.put(key, now);
            storage.repositories().recordPull(name, manifest, now);
        }
    }

    /** A cached manifest, when it was last pulled, and what it names. */
    private record Entry(RepositoryName name, Digest manifest, Instant pulled, Set<Digest> blobs) {}

    /** What a run found and removed. */
    record Result(List<String> evicted, long bytesBefore, long bytesAfter) {}

    Result run() {
        List<Entry> entries = new ArrayList<>();
        Map<Digest, Integer> namedBy = new HashMap<>();
        for (RepositoryName repo : (Iterable<RepositoryName>) cachedRepositories()::iterator) {
            for (Digest m : storage.repositories().manifests(repo)) {
                Set<Digest> blobs = new HashSet<>();
                blobs.add(m);
                storage.blobs().read(m).ifPresent(bytes -> blobs.addAll(GarbageCollector.named(bytes).blobs()));
                Entry e = new Entry(repo, m, lastPulled(repo, m), blobs);
                entries.add(e);
                blobs.forEach(b -> namedBy.merge(b, 1, Integer::sum));
            }
        }
        Map<Digest, Long> sizes = new HashMap<>();
        long total = 0;
        for (Digest d : namedBy.keySet()) {
            long size = storage.blobs().stat(d).map(BlobStore.BlobInfo::size).orElse(0L);
            sizes.put(d, size);
            total += size;
        }
        long before = total;
        List<String> evicted = new ArrayList<>();
        entries.sort(Comparator.comparing(Entry::pulled));
        for (Entry e : entries) {
            if (total <= maxBytes) break;
            try {
                storage.repositories().deleteManifest(e.name(), e.manifest());
            } catch (StorageException.ManifestUnknown gone) {
                // removed meanwhile: its bytes count no more either way
            }
            evicted.add(e.name() + "@" + e.manifest());
            for (Digest b : e.blobs()) if (namedBy.merge(b, -1, Integer::sum) == 0) total -= sizes.get(b);
        }
        return new Result(evicted, before, total);
    }

    private Stream<RepositoryName> cachedRepositories() {
        List<RepositoryName> all = new ArrayList<>();
        RepositoryName last = null;
        while (true) {
            Page<RepositoryName> page = storage.repositories().catalog(last, 1000);
            page.items().stream().filter(cached).forEach(all::add);
            if (!page.more() || page.items().isEmpty()) return all.stream();
            last = page.items().getLast();
        }
    }

    /** The latest of what this instance saw and what is stored; a manifest never pulled counts from when it was stored. */
    private Instant lastPulled(RepositoryName repo, Digest manifest) {
        Optional<Instant> stored = storage.repositories().pulled(repo, manifest);
        Instant here = served.getIfPresent(repo + "@" + manifest);
        Instant latest = stored.orElse(null);
        if (here != null && (latest == null || here.isAfter(latest))) latest = here;
        return latest != null ? latest : storage.repositories().added(repo, manifest).orElse(Instant.EPOCH);
    }
}
