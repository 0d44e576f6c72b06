package io.strata.storage;

import static io.strata.storage.Io.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.oci.Digest;
import io.strata.oci.DigestAlgorithm;
import io.strata.storage.driver.StorageDriver;
import io.strata.storage.driver.UploadWriter;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.OptionalLong;
import java.util.Set;

/**
 * Upload sessions (the containerd content Writer shape: start, append, status, commit with the
 * expected digest, cancel). A session's state lives in the backend (offset, saved hash, driver
 * parts), written in one atomic put after each chunk, so any instance sharing the backend can
 * continue it, and a crash leaves the last acknowledged chunk as the state.
 */
public final class Uploads {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StorageDriver driver;
    private final BlobStore blobs;
    private final Clock clock;

    Uploads(StorageDriver driver, BlobStore blobs, Clock clock) {
        this.driver = driver;
        this.blobs = blobs;
        this.clock = clock;
    }

    /**
     * Where an upload stands: its id, its owner (whatever the caller named at the start, e.g. the
     * repository), how many bytes it holds, when it started and last moved.
     */
    public record UploadStatus(String id, String owner, long offset, Instant started, Instant updated) {}

    /** The stored session. {@code hash} is a saved {@link Hasher}; {@code data} belongs to the driver. */
    record State(String id, String owner, long offset, long started, long updated, String hash, JsonNode data) {
        UploadStatus status() {
            return new UploadStatus(id, owner, offset, Instant.ofEpochMilli(started), Instant.ofEpochMilli(updated));
        }
    }

    /** Starts a session with no owner. */
    public UploadStatus start() {
        return start("");
    }

    /** Starts a session; {@code owner} is kept with it so callers can refuse it to anyone else. */
    public UploadStatus start(String owner) {
        String id = Keys.newUploadId();
        long now = clock.millis();
        State s = new State(id, owner, 0, now, now, Hasher.start(DigestAlgorithm.SHA256).save(), null);
        io(() -> {
            driver.put(Keys.uploadState(id), JSON.writeValueAsBytes(s));
            return null;
        });
        return s.status();
    }

    public UploadStatus status(String id) {
        return load(id).status();
    }

    /**
     * Appends {@code data} (read to its end) at {@code offset}, which must equal the bytes held so
     * far. On any failure the session stays as it was before the call.
     */
    public UploadStatus append(String id, long offset, InputStream data) {
        return locked(id, () -> {
            State s = load(id);
            if (offset != s.offset()) throw new StorageException.OffsetMismatch(offset, s.offset());
            Hasher hasher = Hasher.restore(s.hash());
            UploadWriter writer = driver.writer(Keys.uploadDir(id), s.data(), s.offset());
            writer.append(new HashingInputStream(data, hasher));
            State next = new State(id, s.owner(), writer.size(), s.started(), clock.millis(), hasher.save(), writer.state());
            driver.put(Keys.uploadState(id), JSON.writeValueAsBytes(next));
            return next.status();
        });
    }

    /**
     * Verifies that the bytes received hash to {@code expected} (and number {@code size}, when given),
     * then makes them the blob {@code expected}. On a mismatch the upload is removed and nothing is
     * stored. Committing content that is already stored succeeds and keeps one copy.
     */
    public BlobStore.BlobInfo commit(String id, Digest expected, OptionalLong size) {
        return locked(id, () -> {
            State s = load(id);
            String dir = Keys.uploadDir(id);
            UploadWriter writer = driver.writer(dir, s.data(), s.offset());
            if (size.isPresent() && size.getAsLong() != s.offset()) {
                remove(dir, writer);
                throw new StorageException.SizeMismatch(size.getAsLong(), s.offset());
            }
            Hasher hasher = Hasher.restore(s.hash());
            if (expected.algorithm() == hasher.algorithm()) {
                Digest actual = hasher.digest();
                if (!actual.equals(expected)) {
                    remove(dir, writer);
                    throw new StorageException.DigestMismatch(expected, actual);
                }
                if (blobs.stat(expected).isEmpty()) {
                    driver.move(writer.commit(), Keys.blob(expected));
                } else {
                    // Stored already: by another upload of the same bytes, or by this commit before it
                    // failed to clean up. Nothing to write; the session's bytes go.
                    writer.cancel();
                }
            } else {
                // Uploads hash sha256 as they stream; another algorithm is checked by reading the bytes back.
                String sealed = writer.commit();
                Digest actual = hashOf(sealed, s.offset(), expected.algorithm());
                if (!actual.equals(expected)) {
                    driver.deleteAll(dir);
                    throw new StorageException.DigestMismatch(expected, actual);
                }
                if (blobs.stat(expected).isEmpty()) driver.move(sealed, Keys.blob(expected));
            }
            driver.deleteAll(dir);
            return new BlobStore.BlobInfo(expected, s.offset());
        });
    }

    private Digest hashOf(String key, long size, DigestAlgorithm algorithm) throws IOException {
        Hasher h = Hasher.start(algorithm);
        try (InputStream in = new HashingInputStream(driver.read(key, 0, size), h)) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
        }
        return h.digest();
    }

    /** Ends a session and removes what it held. */
    public void cancel(String id) {
        locked(id, () -> {
            State s = load(id);
            remove(Keys.uploadDir(id), driver.writer(Keys.uploadDir(id), s.data(), s.offset()));
            return null;
        });
    }

    /** Removes sessions not touched for {@code maxAge}; returns how many. */
    public int purgeExpired(Duration maxAge) {
        long cutoff = clock.millis() - maxAge.toMillis();
        Set<String> ids = new HashSet<>();
        io(() -> {
            try (var keys = driver.list(Keys.UPLOADS)) {
                keys.forEach(k -> ids.add(k.substring(Keys.UPLOADS.length()).split("/", 2)[0]));
            }
            return null;
        });
        int purged = 0;
        for (String id : ids) {
            String dir;
            try {
                dir = Keys.uploadDir(id);
            } catch (StorageException.UploadUnknown e) {
                continue; // not an upload id: nothing of ours
            }
            boolean removed = io(() -> {
                if (driver.get(Keys.uploadState(id)).isEmpty()) {
                    // Bytes or a lock file with no session: left by a crash or a refused request.
                    driver.deleteAll(dir);
                    return true;
                }
                try (Closeable lock = driver.lock(dir)) {
                    var raw = driver.get(Keys.uploadState(id));
                    if (raw.isEmpty()) return false;
                    State s = JSON.readValue(raw.get(), State.class);
                    if (s.updated() >= cutoff) return false;
                    remove(dir, driver.writer(dir, s.data(), s.offset()));
                    return true;
                }
            });
            if (removed) purged++;
        }
        io(() -> {
            driver.purgeStale(Keys.UPLOADS, cutoff);
            return null;
        });
        return purged;
    }

    private void remove(String dir, UploadWriter writer) throws IOException {
        writer.cancel();
        driver.deleteAll(dir);
    }

    private State load(String id) {
        byte[] raw = io(() -> driver.get(Keys.uploadState(id))).orElseThrow(() -> new StorageException.UploadUnknown(id));
        try {
            return JSON.readValue(raw, State.class);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt upload state " + id, e);
        }
    }

    private <T> T locked(String id, Io.Call<T> body) {
        String dir = Keys.uploadDir(id);
        // Refuse unknown ids before locking: on a filesystem the lock itself would create a directory.
        if (io(() -> driver.size(Keys.uploadState(id))).isEmpty()) throw new StorageException.UploadUnknown(id);
        return io(() -> {
            try (Closeable lock = driver.lock(dir)) {
                return body.call();
            }
        });
    }

    /** Hashes and counts the bytes that pass through, as the driver consumes them. */
    static final class HashingInputStream extends FilterInputStream {
        private final Hasher hasher;
        private long count;

        HashingInputStream(InputStream in, Hasher hasher) {
            super(in);
            this.hasher = hasher;
        }

        long count() {
            return count;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                hasher.update(new byte[] {(byte) b}, 0, 1);
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                hasher.update(b, off, n);
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) {
            return 0; // every byte must be hashed
        }

        @Override
        public boolean markSupported() {
            return false;
        }
    }
}
