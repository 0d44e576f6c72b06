package io.strata.client.store;

import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.DigestMismatchException;
import io.strata.oci.Index;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The local content store: an OCI image layout ({@code oci-layout}, {@code index.json},
 * {@code blobs/<alg>/<hex>}), so skopeo and umoci read it too. A blob appears only whole and
 * verified; a name in index.json appears only after everything it names is stored.
 */
public final class LayoutStore {
    /** The annotation that names an image in index.json (image-layout.md). */
    public static final String REF_NAME = "org.opencontainers.image.ref.name";

    private final Path root;

    /** Opens a store; nothing is created until something is written (a verb that only reads leaves no trace). */
    public LayoutStore(Path root) {
        this.root = root;
    }

    /** Makes the layout's files on the first write: the directories, {@code oci-layout} and an empty {@code index.json}. */
    public LayoutStore create() throws IOException {
        try {
            Files.createDirectories(root.resolve("blobs"));
        } catch (java.nio.file.AccessDeniedException e) {
            throw new IOException("cannot create the store at " + root + ": permission denied (set --root or STRATA_ROOT)", e);
        }
        Path layout = root.resolve("oci-layout");
        if (!Files.exists(layout)) writeAtomically(layout, "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes());
        if (!Files.exists(root.resolve("index.json"))) {
            writeAtomically(root.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[]}".getBytes());
        }
        return this;
    }

    public Path root() {
        return root;
    }

    /** What pulls in progress hold (see {@link Leases}). */
    public Leases leases() {
        return new Leases(root);
    }

    public Path blobPath(Digest d) {
        return root.resolve("blobs").resolve(d.algorithm().id()).resolve(d.encoded());
    }

    public boolean has(Digest d) {
        return Files.isRegularFile(blobPath(d));
    }

    public byte[] read(Digest d) throws IOException {
        return Files.readAllBytes(blobPath(d));
    }

    /** Stores small content held in memory (manifests, configs), verified against {@code expected}. */
    public void put(Digest expected, byte[] content) throws IOException {
        expected.verify(content);
        if (has(expected)) return;
        create();
        Files.createDirectories(blobPath(expected).getParent());
        writeAtomically(blobPath(expected), content);
    }

    /** Stores a manifest made here (commit, load) and answers its descriptor. */
    public Descriptor put(io.strata.oci.Manifest manifest) throws IOException {
        byte[] bytes = manifest.toJson();
        Digest digest = Digest.sha256(bytes);
        put(digest, bytes);
        return new Descriptor(io.strata.oci.MediaType.OCI_MANIFEST, digest, bytes.length);
    }

    /** A scratch file for content being made here (a committed layer), to {@link #putFile} once its digest is known. */
    public Path scratch() throws IOException {
        create();
        Files.createDirectories(root.resolve("ingest"));
        Path scratch = root.resolve("ingest").resolve("new-" + UUID.randomUUID());
        // Unlike a download, content being made cannot be resumed: a command interrupted while it writes
        // (ctrl-C, SIGTERM) removes it as the JVM exits. Once moved into the store, nothing is there to remove.
        scratch.toFile().deleteOnExit();
        return scratch;
    }

    /** Moves a file whose digest the caller computed while writing it into the store, durably. */
    public void putFile(Path file, Digest digest) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.createDirectories(blobPath(digest).getParent());
        Files.move(file, blobPath(digest), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * A writer for a blob being downloaded. Bytes already received by an earlier, interrupted
     * attempt are kept in {@code ingest/} and counted in {@link Ingest#offset()}, so the download can
     * resume with a Range request.
     */
    public Ingest ingest(Digest expected) throws IOException {
        create();
        Files.createDirectories(root.resolve("ingest"));
        return new Ingest(expected, root.resolve("ingest").resolve(expected.algorithm().id() + "-" + expected.encoded()));
    }

    /** Bytes of partial downloads kept in {@code ingest/} for a later pull to resume. */
    public long partialBytes() {
        Path ingest = root.resolve("ingest");
        if (!Files.isDirectory(ingest)) return 0;
        try (var files = Files.list(ingest)) {
            return files.filter(p -> !p.getFileName().toString().startsWith("new-")).mapToLong(p -> p.toFile().length()).sum();
        } catch (IOException e) {
            return 0;
        }
    }

    public final class Ingest implements AutoCloseable {
        private final Digest expected;
        private final Path partial;
        private final MessageDigest hash;
        private final FileChannel channel;
        private final FileLock lock;
        private long offset;
        private boolean stored;

        private Ingest(Digest expected, Path partial) throws IOException {
            this.expected = expected;
            this.partial = partial;
            this.channel = FileChannel.open(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
            FileLock l;
            try {
                // Another strata pull of the same blob holds it: wait for that one to finish, then use its result.
                // Polled, not a blocking lock: the kernel's deadlock check counts processes, not threads, and
                // refuses (EDEADLK) two pulls whose threads each hold one blob and wait for the other's.
                long pause = 10;
                while ((l = channel.tryLock()) == null) {
                    Thread.sleep(pause);
                    pause = Math.min(200, pause * 2);
                }
            } catch (java.nio.channels.OverlappingFileLockException e) {
                channel.close();
                throw new IOException("this process is already downloading " + expected, e);
            } catch (InterruptedException e) {
                channel.close();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            this.lock = l;
            this.hash = expected.algorithm().newStreamingDigest();
            if (has(expected)) { // stored by whoever held the lock: nothing to download, nothing to write
                this.stored = true;
                return;
            }
            // Rehash what an earlier attempt left, so verification covers every byte. Read through the locked
            // channel: closing any other descriptor of this file would drop the process's lock on it (POSIX).
            try (InputStream in = held(channel.size())) {
                byte[] buf = new byte[256 * 1024];
                int n;
                while ((n = in.read(buf)) != -1) {
                    hash.update(buf, 0, n);
                    offset += n;
                }
            }
            channel.position(offset);
        }

        /** Whether the blob was already stored when this writer got its turn (another pull stored it). */
        public boolean stored() {
            return stored;
        }

        /** Bytes held so far. */
        public long offset() {
            return offset;
        }

        /** Appends a stream; what was written stays even if the stream fails midway. */
        public void append(InputStream in) throws IOException {
            byte[] buf = new byte[256 * 1024];
            int n;
            while ((n = in.read(buf)) != -1) write(buf, 0, n);
        }

        /** Appends bytes, hashing them. */
        public void write(byte[] buf, int off, int n) throws IOException {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(buf, off, n);
            while (b.hasRemaining()) channel.write(b);
            hash.update(buf, off, n);
            offset += n;
        }

        /** The bytes an earlier attempt left, from the start: a reader that missed them replays them. */
        public InputStream held() throws IOException {
            return held(offset);
        }

        /** The first {@code length} bytes, read at positions through the locked channel, which stays open. */
        private InputStream held(long length) {
            return new InputStream() {
                private long position;

                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    if (position >= length) return -1;
                    int n = channel.read(java.nio.ByteBuffer.wrap(b, off, (int) Math.min(len, length - position)), position);
                    if (n > 0) position += n;
                    return n;
                }
            };
        }

        /** Forgets the bytes held (after a mismatch or a server that cannot resume). */
        public void reset() throws IOException {
            channel.truncate(0);
            channel.position(0);
            hash.reset();
            offset = 0;
        }

        /** Verifies and moves the blob into place; on a mismatch the bytes are discarded. */
        public void commit() throws IOException {
            Digest actual = Digest.of(expected.algorithm(), ((MessageDigest) cloneHash()).digest());
            if (!actual.equals(expected)) {
                reset();
                throw new DigestMismatchException("downloaded content", expected, actual);
            }
            channel.force(true);
            Files.createDirectories(blobPath(expected).getParent());
            Files.move(partial, blobPath(expected), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }

        private Object cloneHash() {
            try {
                return hash.clone();
            } catch (CloneNotSupportedException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void close() throws IOException {
            lock.release();
            channel.close();
            if (!stored && Files.exists(partial) && Files.size(partial) == 0) Files.deleteIfExists(partial);
        }
    }


    // ---- names ---------------------------------------------------------------------------------

    /** An image name and the manifest it points at. */
    public record Named(String name, Descriptor manifest) {}

    public List<Named> names() throws IOException {
        List<Named> out = new ArrayList<>();
        if (!Files.exists(root.resolve("index.json"))) return out;
        for (Descriptor m : readIndex().manifests()) {
            String name = m.annotations().get(REF_NAME);
            if (name != null) out.add(new Named(name, m));
        }
        return out;
    }

    public Optional<Descriptor> resolve(String name) throws IOException {
        return names().stream().filter(n -> n.name().equals(name)).map(Named::manifest).findFirst();
    }

    /** Points {@code name} at a stored manifest, replacing what it pointed at. */
    public void tag(String name, Descriptor manifest) throws IOException {
        if (!has(manifest.digest())) throw new IOException("cannot name " + manifest.digest() + ": it is not stored");
        Map<String, String> annotations = new LinkedHashMap<>(manifest.annotations());
        annotations.put(REF_NAME, name);
        Descriptor named = manifest.withAnnotations(annotations);
        updateIndex(manifests -> {
            removeName(manifests, name);
            manifests.add(named);
        });
    }

    /** Removes a name; false when there was none. */
    public boolean untag(String name) throws IOException {
        if (!Files.exists(root.resolve("index.json"))) return false;
        boolean[] removed = {false};
        updateIndex(manifests -> removed[0] = removeName(manifests, name));
        return removed[0];
    }

    private static boolean removeName(List<Descriptor> manifests, String name) {
        return manifests.removeIf(m -> name.equals(m.annotations().get(REF_NAME)));
    }

    private interface IndexEdit {
        void apply(List<Descriptor> manifests) throws IOException;
    }

    private Index readIndex() throws IOException {
        return Index.parse(Files.readAllBytes(root.resolve("index.json")));
    }

    /** Read-modify-write of index.json under a lock file, written atomically. */
    private void updateIndex(IndexEdit edit) throws IOException {
        create();
        try (var locked = FileLocks.exclusive(root.resolve("index.lock"))) {
            Index index = readIndex();
            List<Descriptor> manifests = new ArrayList<>(index.manifests());
            edit.apply(manifests);
            // A pull of what is already stored and named changes nothing: no write, no fsync.
            if (manifests.equals(index.manifests())) return;
            Index edited = new Index(index.schemaVersion(), index.mediaType(), index.artifactType(), manifests,
                    index.subject(), index.annotations());
            writeAtomically(root.resolve("index.json"), edited.toJson(true));
        }
    }

    private static void writeAtomically(Path target, byte[] content) throws IOException {
        Path temp = target.resolveSibling(".tmp-" + UUID.randomUUID());
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(content));
            ch.force(true);
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

}
