package io.strata.storage;

import static io.strata.storage.Io.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.oci.Digest;
import io.strata.oci.RepositoryName;
import io.strata.oci.Tag;
import io.strata.storage.driver.StorageDriver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Online garbage collection: mark every blob that any repository's manifests reach (configs,
 * layers, index children, the manifests themselves), then sweep the rest, while the registry serves
 * pushes and pulls, on any driver, with several instances sharing the backend.
 *
 * <p>Why nothing a push needs is removed, by design rather than timing:
 * <ul>
 *   <li>A blob written less than {@code grace} ago stays: an upload in progress, or one whose
 *       manifest is on its way (a request lasts far less than the grace period).</li>
 *   <li>A manifest PUT first {@linkplain #reference references} every blob it names (a small
 *       marker object with the current time), then checks they exist, then writes the manifest.</li>
 *   <li>The sweep writes a tombstone for a candidate, reads the marks again, and only then removes
 *       the blob. A PUT whose mark came later sees the tombstone (or the blob gone) when it checks,
 *       and fails without acknowledging anything.</li>
 *   <li>A push removes its marks when done, unless a collection is running (it may have read the
 *       manifests before this one was written): then they stay until they expire.</li>
 * </ul>
 * Links from repositories to swept blobs go too, unless they are younger than the grace period.
 */
public final class GarbageCollector {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REFS = "gc/refs/";
    private static final String SWEEPING = "gc/sweeping/";
    private static final String RUNNING = "gc/running/";
    /**
     * How long a reference marker protects its blob, whatever the grace period: it must outlast the
     * moment between a manifest PUT's marker and its existence check (milliseconds, in practice).
     */
    static final Duration MARKER_WINDOW = Duration.ofMinutes(10);

    /** What a run removed (or, dry, would remove). */
    public record Result(List<Digest> blobs, long bytes, int links, List<String> manifests) {}

    private final StorageDriver driver;
    private final Repositories repositories;
    private final Clock clock;

    GarbageCollector(StorageDriver driver, Repositories repositories, Clock clock) {
        this.driver = driver;
        this.repositories = repositories;
        this.clock = clock;
    }

    /** Where the markers of the pushes referencing a blob live: one per push, so each removes only its own. */
    static String refs(Digest d) {
        return REFS + d.algorithm().id() + "/" + d.encoded() + "/";
    }

    static String tombstone(Digest d) {
        return SWEEPING + d.algorithm().id() + "/" + d.encoded();
    }

    /** Whether a collection is about to remove the blob: a push must not count on it. */
    public boolean sweeping(Digest d) {
        return io(() -> driver.size(tombstone(d))).isPresent();
    }

    /** A push's references, held while its manifest is checked and written. */
    public interface Reference extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Marks blobs as referenced by a push in flight, before the manifest naming them is checked and
     * written; closing removes the marks (a crashed push's marks expire after {@link #MARKER_WINDOW}).
     */
    public Reference reference(Iterable<Digest> digests) {
        byte[] now = clock.instant().toString().getBytes(StandardCharsets.UTF_8);
        String id = java.util.UUID.randomUUID().toString();
        List<String> keys = new ArrayList<>();
        for (Digest d : digests) keys.add(refs(d) + id);
        io(() -> {
            for (String k : keys) driver.put(k, now);
            return null;
        });
        // Removed when the push is done, unless a collection is running: one that began before the
        // manifest was written may still decide on these blobs, so the marks stay until they expire.
        return () -> io(() -> {
            boolean collecting;
            try (Stream<String> running = driver.list(RUNNING)) {
                collecting = running.findAny().isPresent();
            }
            if (!collecting) for (String k : keys) driver.delete(k);
            return null;
        });
    }

    /** Whether a push in flight (a mark written since {@code since}) references the blob. */
    private boolean referenced(Digest d, Instant since) {
        for (String m : keys(refs(d))) if (recent(m, since)) return true;
        return false;
    }

    /** Every key under a prefix, read whole (the walk is closed before anything is deleted). */
    private List<String> keys(String prefix) {
        try (Stream<String> s = io(() -> driver.list(prefix))) {
            return s.toList();
        }
    }

    /** Removes what a crashed run or push left under a prefix: everything written before {@code before}. */
    private void deleteOlderThan(String prefix, Instant before) {
        for (String key : keys(prefix)) if (!recent(key, before)) io(() -> driver.delete(key));
    }

    /**
     * One run.
     *
     * @param untagged also remove manifests that no tag and no kept index reaches (and are older than grace)
     * @param dryRun only report
     */
    public Result run(Duration grace, boolean untagged, boolean dryRun) {
        if (dryRun) return collect(grace, untagged, true);
        String running = RUNNING + java.util.UUID.randomUUID();
        io(() -> {
            driver.put(running, clock.instant().toString().getBytes(StandardCharsets.UTF_8));
            return null;
        });
        try {
            return collect(grace, untagged, false);
        } finally {
            io(() -> driver.delete(running));
        }
    }

    private Result collect(Duration grace, boolean untagged, boolean dryRun) {
        Instant start = clock.instant();
        Instant cutoff = start.minus(grace);
        Instant referencedSince = start.minus(grace.compareTo(MARKER_WINDOW) > 0 ? grace : MARKER_WINDOW);
        List<String> removedManifests = new ArrayList<>();
        List<RepositoryName> repos = repositories.catalog(null, null).items();
        if (untagged) {
            for (RepositoryName repo : repos) removedManifests.addAll(sweepUntagged(repo, cutoff, dryRun));
        }
        // Mark: every manifest every repository holds, and what it names.
        Set<Digest> live = new HashSet<>();
        for (RepositoryName repo : repos) {
            for (Digest m : repositories.manifests(repo)) mark(m, live);
        }
        // Sweep blobs.
        List<Digest> removed = new ArrayList<>();
        long bytes = 0;
        List<Digest> all = keys(Keys.BLOBS).stream().map(Keys::blobDigest).filter(java.util.Objects::nonNull).toList();
        for (Digest d : all) {
            if (live.contains(d) || recent(Keys.blob(d), cutoff) || referenced(d, referencedSince)) continue;
            long size = io(() -> driver.size(Keys.blob(d))).orElse(0);
            if (dryRun) {
                removed.add(d);
                bytes += size;
                continue;
            }
            if (sweep(d, referencedSince)) {
                removed.add(d);
                bytes += size;
            }
        }
        // Links to blobs that are gone (or were never committed), when they are old enough.
        int links = 0;
        Set<Digest> gone = new HashSet<>(removed);
        for (RepositoryName repo : repos) {
            String prefix = Keys.layers(repo);
            for (String key : keys(prefix)) {
                if (!key.endsWith("/link")) continue;
                Digest d = Repositories.digestOfLink(prefix, key);
                if (d == null || live.contains(d)) continue;
                boolean blobGone = gone.contains(d) || io(() -> driver.size(Keys.blob(d))).isEmpty();
                if (!blobGone || recent(key, cutoff) || referenced(d, referencedSince)) continue;
                if (!dryRun) io(() -> driver.delete(key));
                links++;
            }
        }
        if (!dryRun) {
            // What crashed runs and pushes left: tombstones, marks, and run markers (which must
            // outlive any run, however long: stale after a day).
            deleteOlderThan(SWEEPING, start.minus(MARKER_WINDOW));
            deleteOlderThan(REFS, referencedSince);
            deleteOlderThan(RUNNING, start.minus(Duration.ofDays(1)));
        }
        return new Result(List.copyOf(removed), bytes, links, List.copyOf(removedManifests));
    }

    /**
     * Announces the removal (a tombstone), reads the marks again, and removes the blob only if no push
     * referenced it meanwhile. A push that marks later sees the tombstone, or the blob gone, when it
     * checks, and fails without acknowledging anything.
     */
    private boolean sweep(Digest d, Instant since) {
        return io(() -> {
            driver.put(tombstone(d), new byte[0]);
            try {
                if (referenced(d, since)) return false;
                return driver.delete(Keys.blob(d));
            } finally {
                driver.delete(tombstone(d));
            }
        });
    }

    private boolean recent(String key, Instant cutoff) {
        Optional<Instant> t = io(() -> driver.modified(key));
        return t.isPresent() && !t.get().isBefore(cutoff);
    }

    /** A manifest and everything it names, transitively (an index's children too). */
    private void mark(Digest manifest, Set<Digest> live) {
        Deque<Digest> todo = new ArrayDeque<>(List.of(manifest));
        while (!todo.isEmpty()) {
            Digest d = todo.pop();
            if (!live.add(d)) continue;
            // Manifests are small; a large blob is a layer, which names nothing.
            Optional<byte[]> content = io(() -> driver.size(Keys.blob(d)).orElse(Long.MAX_VALUE) <= 4 << 20
                    ? driver.get(Keys.blob(d)) : Optional.<byte[]>empty());
            if (content.isEmpty()) continue;
            Named named = named(content.get());
            named.manifests().forEach(todo::push);
            live.addAll(named.blobs());
        }
    }

    /** What a manifest or index names: child manifests (an index's), and blobs (config, layers, an artifact's blobs). */
    public record Named(List<Digest> manifests, List<Digest> blobs) {}

    /** Parsed once; not the subject: a referrer does not keep its subject. */
    public static Named named(byte[] manifest) {
        List<Digest> manifests = new ArrayList<>();
        List<Digest> blobs = new ArrayList<>();
        JsonNode root;
        try {
            root = JSON.readTree(manifest);
        } catch (IOException e) {
            return new Named(manifests, blobs); // a blob that is not JSON names nothing
        }
        if (root == null || !root.isObject()) return new Named(manifests, blobs);
        add(root.path("config"), blobs);
        for (String field : List.of("layers", "blobs")) for (JsonNode n : root.path(field)) add(n, blobs);
        for (JsonNode n : root.path("manifests")) add(n, manifests);
        return new Named(manifests, blobs);
    }

    private static void add(JsonNode descriptor, List<Digest> out) {
        String d = descriptor.path("digest").asText("");
        if (d.isEmpty()) return;
        try {
            out.add(Digest.parse(d));
        } catch (IllegalArgumentException ignored) {
            // a manifest that names an invalid digest was refused at push; nothing to keep
        }
    }

    /** Manifests of one repository that no tag reaches, directly or through a tagged index, and are older than the cutoff. */
    private List<String> sweepUntagged(RepositoryName repo, Instant cutoff, boolean dryRun) {
        Set<Digest> reached = new HashSet<>();
        for (Tag t : repositories.tags(repo, null, null).items()) {
            repositories.resolveTag(repo, t).ifPresent(d -> reachManifests(d, reached));
        }
        List<String> out = new ArrayList<>();
        for (Digest m : repositories.manifests(repo)) {
            if (reached.contains(m) || recent(Keys.revision(repo, m), cutoff)) continue;
            // A referrer is kept while its subject is.
            Optional<Repositories.ManifestLink> link = repositories.manifestLink(repo, m);
            if (link.isPresent() && link.get().subject() != null && reached.contains(link.get().subject())) continue;
            if (!dryRun) {
                try {
                    repositories.deleteManifest(repo, m);
                } catch (StorageException.ManifestUnknown alreadyGone) {
                    continue;
                }
            }
            out.add(repo + "@" + m);
        }
        return out;
    }

    private void reachManifests(Digest d, Set<Digest> reached) {
        if (!reached.add(d)) return;
        io(() -> driver.get(Keys.blob(d))).ifPresent(bytes -> named(bytes).manifests().forEach(child -> reachManifests(child, reached)));
    }
}
