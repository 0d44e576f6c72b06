package io.strata.client.store;

import io.strata.oci.Digest;
import io.strata.oci.ImageJson;
import io.strata.oci.JsonIn;
import io.strata.oci.JsonOut;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Leases, as containerd has them: what a pull in progress (or, later, a container) uses, so that gc
 * never removes it. A lease is a file under {@code leases/} that its process keeps locked; a lease
 * whose process died is unlocked, and gc drops it. Resources are recorded before they are looked
 * for, under the store lock that gc holds while it runs, so nothing a pull has found can vanish.
 */
public final class Leases {
    /** Lease files this process holds: never opened again here, since closing another descriptor would drop the lock. */
    private static final java.util.Map<Path, Lease> HELD = new java.util.concurrent.ConcurrentHashMap<>();

    private final Path storeRoot;
    private final Path dir;
    private final StoreLock storeLock;

    Leases(Path storeRoot) {
        this.storeRoot = storeRoot;
        this.dir = storeRoot.resolve("leases");
        this.storeLock = StoreLock.of(storeRoot.resolve("gc.lock"));
    }

    /** What a lease holds. */
    public record Resources(String purpose, String created, Set<Digest> blobs, Set<String> snapshots) {
        public Resources {
            blobs = blobs == null ? Set.of() : Set.copyOf(blobs);
            snapshots = snapshots == null ? Set.of() : Set.copyOf(snapshots);
        }

        byte[] toJson() {
            return JsonOut.object(false, out -> out.nullable("purpose", purpose).nullable("created", created)
                    .strings("blobs", blobs).strings("snapshots", snapshots));
        }

        static Resources parse(byte[] json) throws IOException {
            return ImageJson.read(json, "lease", in -> {
                var f = new Object() {
                    String purpose, created;
                    List<Digest> blobs;
                    List<String> snapshots;
                };
                in.object((name, v) -> {
                    switch (name) {
                        case "purpose" -> f.purpose = v.string();
                        case "created" -> f.created = v.string();
                        case "blobs" -> f.blobs = v.list(JsonIn::digest);
                        case "snapshots" -> f.snapshots = v.strings();
                        default -> v.skip();
                    }
                });
                return new Resources(f.purpose, f.created, f.blobs == null ? null : Set.copyOf(f.blobs),
                        f.snapshots == null ? null : Set.copyOf(f.snapshots));
            });
        }
    }

    /** Takes a new lease, held until closed or until this process ends. */
    public Lease acquire(String purpose) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(UUID.randomUUID() + ".json");
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock lock = ch.lock();
        Lease lease = new Lease(file, ch, lock, purpose);
        HELD.put(file.toAbsolutePath().normalize(), lease);
        lease.write();
        return lease;
    }

    public final class Lease implements AutoCloseable {
        private final Path file;
        private final FileChannel channel;
        private final FileLock lock;
        private final String purpose;
        private final String created = Instant.now().toString();
        private final Set<Digest> blobs = new LinkedHashSet<>();
        private final Set<String> snapshots = new LinkedHashSet<>();

        private Lease(Path file, FileChannel channel, FileLock lock, String purpose) {
            this.file = file;
            this.channel = channel;
            this.lock = lock;
            this.purpose = purpose;
        }

        /** Records blobs and snapshots (names or keys) before the caller looks for them or makes them. */
        public synchronized void add(Collection<Digest> newBlobs, Collection<String> newSnapshots) throws IOException {
            try (StoreLock.Held ignored = storeLock.shared()) {
                blobs.addAll(newBlobs);
                snapshots.addAll(newSnapshots);
                write();
            }
        }

        private synchronized void write() throws IOException {
            // Rewritten in place: a rename would leave the lock on the old file.
            byte[] bytes = resources().toJson();
            // No fsync: other processes read it from the page cache, and a lease does not outlive a crash
            // of its holder (its lock is gone with it).
            channel.truncate(0);
            channel.write(ByteBuffer.wrap(bytes), 0);
        }

        @Override
        public void close() throws IOException {
            try {
                Files.deleteIfExists(file);
                lock.release();
            } finally {
                channel.close();
                HELD.remove(file.toAbsolutePath().normalize());
            }
        }

        private synchronized Resources resources() {
            return new Resources(purpose, created, blobs, snapshots);
        }
    }

    /**
     * Runs {@code work} with no lease being changed, after reading every live lease; leases whose
     * process died are removed. gc runs its mark and sweep inside.
     */
    public <T> T exclusively(Work<T> work) throws IOException {
        if (!Files.isDirectory(storeRoot)) return work.run(List.of()); // no store yet: nothing to hold or collect
        try (StoreLock.Held ignored = storeLock.exclusive()) {
            return work.run(live());
        }
    }

    @FunctionalInterface
    public interface Work<T> {
        T run(List<Resources> live) throws IOException;
    }

    private List<Resources> live() throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        List<Resources> out = new java.util.ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                if (!f.getFileName().toString().endsWith(".json")) continue;
                Lease ours = HELD.get(f.toAbsolutePath().normalize());
                if (ours != null) { // this process's: known without opening it again
                    out.add(ours.resources());
                    continue;
                }
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    FileLock probe;
                    try {
                        probe = ch.tryLock();
                    } catch (OverlappingFileLockException e) {
                        probe = null; // held by this process
                    }
                    if (probe != null) { // nobody holds it: its process is gone
                        Files.deleteIfExists(f);
                        probe.release();
                        continue;
                    }
                    byte[] json = Files.readAllBytes(f);
                    // Empty: its process has just taken it and not yet written it, so it holds nothing yet
                    // (what it will hold is recorded under the store lock, which this caller holds).
                    out.add(json.length == 0 ? new Resources(null, null, null, null) : Resources.parse(json));
                } catch (NoSuchFileException e) {
                    // released while we looked
                }
            }
        }
        return out;
    }
}
