package io.strata.storage.driver;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.storage.Keys;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;

/**
 * Objects are files under a root directory. Writes go to a temporary file in the target's
 * directory, are fsynced and renamed into place, and the directory is fsynced, so a crash leaves
 * the old object or the new one. Upload bytes are one file appended in place.
 */
public final class FilesystemDriver implements StorageDriver {
    /** Temporary files start with this; no key component can (see Keys), so listings skip them. */
    private static final String TEMP_PREFIX = ".tmp-";
    private static final int COPY_BUFFER = 256 * 1024;

    private final Path root;
    /** In-process half of the upload lock: the OS lock below excludes other processes only. */
    private final ConcurrentHashMap<String, ReentrantLock> uploadLocks = new ConcurrentHashMap<>();

    public FilesystemDriver(Path root) throws IOException {
        this.root = Files.createDirectories(root).toRealPath();
    }

    public Path root() {
        return root;
    }

    private Path path(String key) {
        Path p = root.resolve(Keys.requireSafe(key)).normalize();
        if (!p.startsWith(root)) throw new IllegalArgumentException("key escapes the storage root: " + key);
        return p;
    }

    @Override
    public Optional<byte[]> get(String key) throws IOException {
        try {
            return Optional.of(Files.readAllBytes(path(key)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public void put(String key, byte[] value) throws IOException {
        Path target = path(key);
        Path temp = writeTemp(target.getParent(), value);
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temp);
        }
        syncDirectory(target.getParent());
    }

    @Override
    public boolean putIfAbsent(String key, byte[] value) throws IOException {
        Path target = path(key);
        Path temp = writeTemp(target.getParent(), value);
        try {
            // link(2) fails if the target exists: create-if-absent with the whole content at once.
            Files.createLink(target, temp);
            syncDirectory(target.getParent());
            return true;
        } catch (FileAlreadyExistsException e) {
            return get(key).map(existing -> java.util.Arrays.equals(existing, value)).orElse(false);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private Path writeTemp(Path dir, byte[] value) throws IOException {
        return inDirectory(dir, () -> {
            Path temp = dir.resolve(TEMP_PREFIX + UUID.randomUUID());
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(value);
                while (buf.hasRemaining()) ch.write(buf);
                ch.force(true);
                return temp;
            } catch (IOException e) {
                Files.deleteIfExists(temp);
                throw e;
            }
        });
    }

    private interface DirectoryWrite<T> {
        T run() throws IOException;
    }

    /**
     * Makes {@code dir} and writes into it. A delete elsewhere prunes directories it leaves empty
     * ({@link #pruneEmptyParents}), and may do so between our making a directory (or one of its
     * parents) and writing into it: then the directory is made again. Inside createDirectories too:
     * when a directory it found existing is pruned before it checks that it is one, it says
     * FileAlreadyExistsException for a path where nothing exists.
     */
    private static <T> T inDirectory(Path dir, DirectoryWrite<T> write) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                Files.createDirectories(dir);
                return write.run();
            } catch (NoSuchFileException e) {
                if (attempt == 5) throw e;
            } catch (FileAlreadyExistsException e) {
                if (attempt == 5 || Files.exists(Path.of(e.getFile()), LinkOption.NOFOLLOW_LINKS)) throw e;
            }
        }
    }

    /**
     * Makes a rename into {@code dir} durable. A directory that is gone was pruned by a delete of what
     * we just put there (the collector's, with no grace period): the delete came after our write, and
     * there is nothing left to make durable.
     */
    private static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (NoSuchFileException e) {
            // see above
        }
    }

    @Override
    public OptionalLong size(String key) throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(path(key), BasicFileAttributes.class);
            return a.isRegularFile() ? OptionalLong.of(a.size()) : OptionalLong.empty();
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
    }

    @Override
    public Optional<java.time.Instant> modified(String key) throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(path(key), BasicFileAttributes.class);
            return a.isRegularFile() ? Optional.of(a.lastModifiedTime().toInstant()) : Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    @Override
    public InputStream read(String key, long offset, long length) throws IOException {
        FileChannel ch = FileChannel.open(path(key), StandardOpenOption.READ);
        ch.position(offset);
        return new BoundedInputStream(Channels.newInputStream(ch), length);
    }

    @Override
    public Optional<Path> localFile(String key) {
        Path p = path(key);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    @Override
    public boolean delete(String key) throws IOException {
        Path p = path(key);
        boolean existed = Files.deleteIfExists(p);
        if (existed) pruneEmptyParents(p.getParent());
        return existed;
    }

    /** Removes directories left empty by a delete, up to the root (best effort: another writer may race). */
    private void pruneEmptyParents(Path dir) {
        while (dir != null && !dir.equals(root) && dir.startsWith(root)) {
            try {
                Files.delete(dir);
            } catch (DirectoryNotEmptyException | NoSuchFileException e) {
                return;
            } catch (IOException e) {
                return;
            }
            dir = dir.getParent();
        }
    }

    @Override
    public void deleteAll(String prefix) throws IOException {
        Path dir = path(prefix);
        if (!Files.exists(dir)) return;
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
        pruneEmptyParents(dir.getParent());
    }

    @Override
    public Stream<String> list(String prefix) throws IOException {
        Path dir = path(prefix);
        if (!Files.isDirectory(dir)) return Stream.empty();
        // Files that vanish while the tree is walked (a delete, a GC, another instance) are skipped,
        // not fatal: Files.walk would throw on a directory removed under it.
        List<String> keys = new java.util.ArrayList<>();
        Files.walkFileTree(dir, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path p, BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && !p.getFileName().toString().startsWith(TEMP_PREFIX)) keys.add(root.relativize(p).toString());
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path p, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) return java.nio.file.FileVisitResult.CONTINUE;
                throw e;
            }
        });
        return keys.stream();
    }

    @Override
    public void move(String from, String to) throws IOException {
        Path source = path(from);
        Path target = path(to);
        inDirectory(target.getParent(), () -> {
            try {
                return Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("storage root must be one filesystem so blobs can be renamed into place", e);
            }
        });
        syncDirectory(target.getParent());
    }

    @Override
    public Closeable lock(String uploadDir) throws IOException {
        ReentrantLock local = uploadLocks.computeIfAbsent(uploadDir, k -> new ReentrantLock());
        StorageDriver.acquire(local, uploadDir);
        try {
            Path dir = Files.createDirectories(path(uploadDir));
            FileChannel ch = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            // Polled, not blocking: another process may hold it, and a wait must end (and fcntl's
            // deadlock check counts processes, not threads).
            FileLock osLock = null;
            long deadline = System.nanoTime() + LOCK_WAIT.toNanos();
            while (osLock == null) {
                osLock = ch.tryLock();
                if (osLock != null) break;
                if (System.nanoTime() > deadline) {
                    ch.close();
                    throw new io.strata.storage.StorageException.UploadBusy(uploadDir);
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    ch.close();
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("interrupted while waiting for " + uploadDir);
                }
            }
            FileLock held = osLock;
            return () -> {
                try {
                    held.release();
                    ch.close();
                } finally {
                    local.unlock();
                    // Drop the map entry when nobody waits on it, so the map stays as small as the active uploads.
                    if (!local.hasQueuedThreads()) uploadLocks.remove(uploadDir, local);
                }
            };
        } catch (IOException | RuntimeException e) {
            local.unlock();
            throw e;
        }
    }

    private Path uploadData(String uploadDir) {
        return path(uploadDir + "data");
    }

    @Override
    public UploadWriter writer(String uploadDir, JsonNode state, long size) {
        Path file = uploadData(uploadDir);
        return new UploadWriter() {
            private long held = size;

            @Override
            public long size() {
                return held;
            }

            @Override
            public void append(InputStream data) throws IOException {
                Files.createDirectories(file.getParent());
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                     Writeback writeback = Writeback.of(file, held)) {
                    // Bytes past the offset come from an append that failed; they were never acknowledged.
                    if (ch.size() > held) ch.truncate(held);
                    if (ch.size() != held) throw new IOException("upload data is shorter than its recorded size: " + uploadDir);
                    ch.position(held);
                    byte[] buf = new byte[COPY_BUFFER];
                    ByteBuffer wrap = ByteBuffer.wrap(buf);
                    // Whole buffers: a network stream hands over a few KiB per read, and a write per read
                    // was most of a push's system calls.
                    int n;
                    while ((n = data.readNBytes(buf, 0, buf.length)) > 0) {
                        wrap.clear().limit(n);
                        while (wrap.hasRemaining()) ch.write(wrap);
                        writeback.written(ch.position());
                    }
                    // Acknowledged bytes survive a crash.
                    ch.force(false);
                    held = ch.size();
                }
            }

            @Override
            public JsonNode state() {
                return null;
            }

            @Override
            public String commit() throws IOException {
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                    if (ch.size() > held) ch.truncate(held);
                    if (ch.size() != held) throw new IOException("upload data is shorter than its recorded size: " + uploadDir);
                    ch.force(true);
                }
                return uploadDir + "data";
            }

            @Override
            public void cancel() {
                // the caller removes the upload's directory, which holds everything
            }
        };
    }

    @Override
    public void close() {}
}
