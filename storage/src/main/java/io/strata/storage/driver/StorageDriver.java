package io.strata.storage.driver;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;

/**
 * The narrow backend under all registry semantics (after distribution's storage driver): keys to
 * objects, plus the append-only objects that uploads need. Every key passes
 * {@link io.strata.storage.Keys#requireSafe}; all registry meaning lives above this interface.
 */
public interface StorageDriver extends Closeable {
    /** Small objects only (metadata, states, manifests); empty when absent. */
    Optional<byte[]> get(String key) throws IOException;

    /** Writes a small object; readers see the old or the new value, never a part. */
    void put(String key, byte[] value) throws IOException;

    /**
     * Writes a small object only if the key is absent. True when the key now holds {@code value}
     * (written by this call, or already there with the same bytes); false when it holds other bytes.
     */
    boolean putIfAbsent(String key, byte[] value) throws IOException;

    /** When the object was last written, empty when absent (garbage collection's grace period). */
    Optional<java.time.Instant> modified(String key) throws IOException;

    /** Size of the object, empty when absent. */
    OptionalLong size(String key) throws IOException;

    /** Streams {@code length} bytes from {@code offset}; the caller checked the range against the size. */
    InputStream read(String key, long offset, long length) throws IOException;

    /** A local file holding the object, where the backend has one (lets servers use sendfile). */
    Optional<Path> localFile(String key);

    /** Removes an object; false when it was absent. */
    boolean delete(String key) throws IOException;

    /** Removes every object whose key starts with {@code prefix} (a directory-like prefix ending in '/'). */
    void deleteAll(String prefix) throws IOException;

    /** Every object key under {@code prefix} (ending in '/'), recursively, in no particular order. */
    Stream<String> list(String prefix) throws IOException;

    /** Makes {@code to} hold the bytes of {@code from} atomically (whole or not at all) and removes {@code from}. */
    void move(String from, String to) throws IOException;

    /**
     * Excludes other writers of one upload while a chunk is appended or committed: across processes
     * where the backend allows (filesystem locks); S3 relies on part ETags instead (see S3Driver).
     */
    Closeable lock(String uploadDir) throws IOException;

    /** How long {@link #lock} waits before it gives up with {@link io.strata.storage.StorageException.UploadBusy}. */
    java.time.Duration LOCK_WAIT = java.time.Duration.ofSeconds(30);

    /** Takes the in-process lock within {@link #LOCK_WAIT}, or says the upload is busy. */
    static void acquire(java.util.concurrent.locks.ReentrantLock lock, String uploadDir) throws IOException {
        try {
            if (!lock.tryLock(LOCK_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                throw new io.strata.storage.StorageException.UploadBusy(uploadDir);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for " + uploadDir);
        }
    }

    /** The writer of the upload in {@code uploadDir}, which holds {@code size} bytes as {@code state} (null at first) records. */
    UploadWriter writer(String uploadDir, JsonNode state, long size);

    /** The smallest chunk the backend takes without copying it again (S3's part size); empty when any size does as well. */
    default OptionalLong minimumChunk() {
        return OptionalLong.empty();
    }

    /** Releases backend resources of uploads under {@code uploadsPrefix} untouched since before {@code cutoffMillis}. */
    default void purgeStale(String uploadsPrefix, long cutoffMillis) throws IOException {}
}
