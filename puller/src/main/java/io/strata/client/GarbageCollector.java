package io.strata.client;

import io.strata.client.store.Leases;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.ImageConfig;
import io.strata.oci.Index;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import io.strata.snapshots.OverlaySnapshotter;
import io.strata.snapshots.Snapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Removes what no named image and no lease uses: blobs (marked from index.json through indexes,
 * manifests, configs and layers), committed snapshots (marked by the ChainIDs of named images'
 * configs), active snapshots that no lease holds (left by an unpack that was killed) and abandoned
 * partial downloads. It runs under the store lock, so a pull's lease is either seen or not begun.
 */
public final class GarbageCollector {
    /** Partial downloads this old were abandoned (a pull in progress holds its ingest file's lock anyway). */
    private static final Duration ABANDONED_INGEST = Duration.ofDays(1);

    public record Result(int removed, long bytes, int snapshotsRemoved, List<String> kept) {}

    public static Result collect(LayoutStore store, Duration grace) throws IOException {
        return collect(store, null, grace, Set::of);
    }

    /** What else uses snapshots (the containers, whose writable layers are active snapshots), read under the store lock. */
    @FunctionalInterface
    public interface InUse {
        Set<String> snapshots() throws IOException;

        /** Image manifests kept as if named (the build cache's), with all they reach. */
        default Set<Digest> manifests() throws IOException {
            return Set.of();
        }
    }

    /**
     * @param snapshotter the store's snapshots, or null to collect blobs only
     * @param grace blobs younger than this stay (leases protect pulls in progress; this is for other writers)
     * @param inUse snapshots that something besides images and leases uses
     */
    public static Result collect(LayoutStore store, OverlaySnapshotter snapshotter, Duration grace, InUse inUse) throws IOException {
        return store.leases().exclusively(leases -> {
            Set<Digest> liveBlobs = new HashSet<>();
            Set<String> liveSnapshots = new HashSet<>(inUse.snapshots());
            for (Leases.Resources r : leases) {
                liveBlobs.addAll(r.blobs());
                liveSnapshots.addAll(r.snapshots());
            }
            mark(store, inUse.manifests(), liveBlobs, liveSnapshots);
            int[] removed = {0};
            long[] bytes = {0};
            sweepBlobs(store, liveBlobs, Instant.now().minus(grace), removed, bytes);
            sweepIngest(store);
            List<String> kept = new ArrayList<>();
            int snapshots = snapshotter == null ? 0 : sweepSnapshots(snapshotter, liveSnapshots, kept);
            return new Result(removed[0], bytes[0], snapshots, kept);
        });
    }

    private static void mark(LayoutStore store, Set<Digest> kept, Set<Digest> live, Set<String> liveSnapshots) throws IOException {
        Deque<Descriptor> todo = new ArrayDeque<>();
        for (var named : store.names()) todo.add(named.manifest());
        for (Digest d : kept) if (store.has(d)) todo.add(new Descriptor(MediaType.OCI_MANIFEST, d, java.nio.file.Files.size(store.blobPath(d))));
        Set<Digest> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            Descriptor d = todo.pop();
            live.add(d.digest());
            if (!seen.add(d.digest()) || !store.has(d.digest())) continue;
            if (MediaType.INDEXES.contains(d.mediaType())) {
                todo.addAll(Index.parse(store.read(d.digest())).manifests());
            } else if (MediaType.MANIFESTS.contains(d.mediaType())) {
                Manifest m = Manifest.parse(store.read(d.digest()));
                todo.addAll(m.blobs());
                imageChainIds(store, m).forEach(c -> liveSnapshots.add(c.toString()));
            }
        }
    }

    /** The ChainIDs of an image's layers; none for an artifact whose config is no image config. */
    private static List<Digest> imageChainIds(LayoutStore store, Manifest m) throws IOException {
        if (!store.has(m.config().digest())) return List.of();
        String type = m.config().mediaType();
        if (!type.equals(MediaType.OCI_CONFIG) && !type.equals(MediaType.DOCKER_CONFIG)) return List.of();
        try {
            return ImageConfig.parse(store.read(m.config().digest())).rootfs().chainIds();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static void sweepBlobs(LayoutStore store, Set<Digest> live, Instant cutoff, int[] removed, long[] bytes)
            throws IOException {
        Path blobs = store.root().resolve("blobs");
        if (!Files.isDirectory(blobs)) return;
        try (Stream<Path> files = Files.walk(blobs, 2)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                Digest d;
                try {
                    d = Digest.parse(f.getParent().getFileName() + ":" + f.getFileName());
                } catch (IllegalArgumentException e) {
                    continue; // not a blob of ours
                }
                if (live.contains(d) || Files.getLastModifiedTime(f).toInstant().isAfter(cutoff)) continue;
                bytes[0] += Files.size(f);
                Files.delete(f);
                removed[0]++;
            }
        }
    }

    private static void sweepIngest(LayoutStore store) throws IOException {
        Path ingest = store.root().resolve("ingest");
        if (!Files.isDirectory(ingest)) return;
        Instant cutoff = Instant.now().minus(ABANDONED_INGEST);
        try (Stream<Path> files = Files.list(ingest)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (Files.getLastModifiedTime(f).toInstant().isBefore(cutoff)) Files.deleteIfExists(f);
            }
        }
    }

    /**
     * Removes active snapshots no lease holds, then committed ones no image or lease uses, children
     * first. A snapshot still mounted is kept and reported.
     */
    private static int sweepSnapshots(OverlaySnapshotter snapshotter, Set<String> live, List<String> kept) throws IOException {
        snapshotter.emptyTrash();
        int removed = 0;
        List<Snapshotter.Info> all = snapshotter.list();
        // A live snapshot keeps its parents.
        Set<String> keep = new HashSet<>();
        for (Snapshotter.Info i : all) if (live.contains(i.name())) keep.add(i.name());
        boolean grew = true;
        while (grew) {
            grew = false;
            for (Snapshotter.Info i : all) {
                if (keep.contains(i.name()) && i.parent() != null && keep.add(i.parent())) grew = true;
            }
        }
        List<Snapshotter.Info> doomed = new ArrayList<>();
        for (Snapshotter.Info i : all) if (!keep.contains(i.name())) doomed.add(i);
        // Children before parents: repeat while something could be removed.
        boolean progress = true;
        while (progress && !doomed.isEmpty()) {
            progress = false;
            for (var it = doomed.iterator(); it.hasNext(); ) {
                Snapshotter.Info i = it.next();
                boolean hasChild = doomed.stream().anyMatch(o -> i.name().equals(o.parent()));
                if (hasChild) continue;
                try {
                    snapshotter.remove(i.name());
                    removed++;
                } catch (Snapshotter.InUseException e) {
                    kept.add(e.getMessage());
                }
                it.remove();
                progress = true;
            }
        }
        return removed;
    }

    private GarbageCollector() {}
}
