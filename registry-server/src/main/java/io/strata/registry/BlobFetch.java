package io.strata.registry;

import io.strata.oci.Digest;
import io.strata.oci.RepositoryName;
import io.strata.storage.Hasher;
import io.strata.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One blob on its way from an upstream: written to a spool file as it arrives, read from there by
 * every client that asked for it meanwhile (one upstream fetch however many ask), verified against
 * its digest, then committed to storage. A reader gets the last byte only once the digest matched,
 * so no client ever receives a whole blob whose bytes are wrong; on a mismatch every reader's
 * response is cut and nothing is stored.
 */
final class BlobFetch {
    private static final Logger LOG = LoggerFactory.getLogger(BlobFetch.class);
    /** An upstream that sends nothing for this long is given up. */
    static final Duration STALL = Duration.ofSeconds(60);

    private final Upstream upstream;
    private final RepositoryName remote;
    private final RepositoryName local;
    private final Digest digest;
    private final Path spool;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long size = -1;
    private long written;
    private boolean verified;
    private boolean finished;
    private IOException failure;
    private long lastProgress = System.nanoTime();
    private InputStream body;

    BlobFetch(Upstream upstream, RepositoryName remote, RepositoryName local, Digest digest, Path spoolDir) {
        this.upstream = upstream;
        this.remote = remote;
        this.local = local;
        this.digest = digest;
        this.spool = spoolDir.resolve(digest.toString().replace(":", "-")
                + "-" + java.util.UUID.randomUUID());
    }

    Digest digest() {
        return digest;
    }

    /** Fetches, verifies and stores; runs on a thread of its own so a client that leaves stops nothing. */
    void run(Storage storage) {
        try (FileChannel out = FileChannel.open(spool, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            HttpResponse<InputStream> r = upstream.client().getBlob(remote, digest, 0);
            long length = r.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (length < 0) {
                r.body().close();
                throw new IOException(upstream.url() + " sent " + digest + " without a Content-Length");
            }
            update(() -> {
                size = length;
                body = r.body();
            });
            Hasher hasher = Hasher.start(digest.algorithm());
            byte[] buf = new byte[256 * 1024];
            try (InputStream in = r.body()) {
                int n;
                while ((n = in.read(buf)) > 0) {
                    if (written + n > length) throw new IOException(upstream.url() + " sent more than the " + length + " bytes of " + digest);
                    hasher.update(buf, 0, n);
                    ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                    while (b.hasRemaining()) out.write(b);
                    int got = n;
                    update(() -> {
                        written += got;
                        lastProgress = System.nanoTime();
                    });
                }
            }
            if (written != length) throw new IOException(upstream.url() + " sent " + written + " of the " + length + " bytes of " + digest);
            Digest actual = hasher.digest();
            if (!actual.equals(digest)) throw new IOException(upstream.url() + " sent bytes for " + digest + " that hash to " + actual);
            update(() -> verified = true);
            commit(storage, length);
        } catch (IOException | RuntimeException e) {
            IOException failed = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
            LOG.warn("proxy: fetching {} of {} from {} failed: {}", digest, remote, upstream.url(), failed.getMessage());
            update(() -> {
                if (!verified) failure = failed;
            });
        } finally {
            update(() -> finished = true);
            try {
                Files.deleteIfExists(spool); // readers hold it open; the name goes now
            } catch (IOException e) {
                LOG.warn("proxy: cannot remove spool file {}: {}", spool, e.toString());
            }
        }
    }

    /** The verified bytes become a blob through an ordinary upload, which checks the digest once more. */
    private void commit(Storage storage, long length) throws IOException {
        var session = storage.uploads().start("proxy");
        try (InputStream in = Files.newInputStream(spool)) {
            storage.uploads().append(session.id(), 0, in);
        }
        storage.uploads().commit(session.id(), digest, OptionalLong.of(length));
        storage.repositories().linkBlob(local, digest);
    }

    /** Waits until the upstream answered with the blob's size; throws what the fetch failed with first. */
    long awaitSize() throws IOException {
        lock.lock();
        try {
            while (size < 0 && failure == null && !finished) await();
            if (failure != null) throw failure;
            if (size < 0) throw new IOException("fetch of " + digest + " ended before it started");
            return size;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A reader of {@code length} bytes from {@code offset}, after {@link #awaitSize}; null when the
     * fetch has ended (the blob is in storage, or its commit failed and it must be asked for again).
     * The reader sees the spool even after the fetch ends and removes its name.
     */
    Reader open(long offset, long length) throws IOException {
        lock.lock();
        try {
            if (finished) return null;
            return new Reader(FileChannel.open(spool, StandardOpenOption.READ), offset, offset + length);
        } finally {
            lock.unlock();
        }
    }

    private void update(Runnable change) {
        lock.lock();
        try {
            change.run();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Waits for a change; gives up on an upstream that has sent nothing for {@link #STALL}. */
    private void await() throws IOException {
        try {
            changed.await(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted waiting for " + digest);
        }
        if (!finished && failure == null && System.nanoTime() - lastProgress > STALL.toNanos()) {
            failure = new IOException(upstream.url() + " sent nothing of " + digest + " for " + STALL.toSeconds() + " s");
            closeBody();
        }
    }

    private void closeBody() {
        try {
            if (body != null) body.close();
        } catch (IOException ignored) {
            // it is being given up
        }
    }

    /** What a client reads: the spool from its offset, as far as has arrived (the last byte once verified). */
    final class Reader extends InputStream {
        private final FileChannel channel;
        private long position;
        private final long end;

        private Reader(FileChannel channel, long position, long end) {
            this.channel = channel;
            this.position = position;
            this.end = end;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            long readable;
            lock.lock();
            try {
                while (true) {
                    readable = readable();
                    // The end of the whole blob (an empty one included) comes only once it is verified.
                    if (position >= end && (end < size || verified)) return -1;
                    if (position < end && readable > position) break;
                    if (failure != null) throw failure;
                    if (finished) throw new IOException("fetch of " + digest + " ended unverified");
                    await();
                }
            } finally {
                lock.unlock();
            }
            int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, Math.min(readable, end) - position)), position);
            if (n < 0) throw new IOException("spool of " + digest + " ended early");
            position += n;
            return n;
        }

        /** How far a reader may go: everything once verified, one byte short of the end before. */
        private long readable() {
            return verified ? size : Math.min(written, size - 1);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
