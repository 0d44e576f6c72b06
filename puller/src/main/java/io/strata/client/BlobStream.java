package io.strata.client;

import io.strata.client.store.LayoutStore;
import io.strata.oci.DigestMismatchException;
import io.strata.remote.RegistryClient;
import io.strata.remote.RegistryException;
import io.strata.remote.Transport;
import io.strata.oci.Descriptor;
import io.strata.oci.RepositoryName;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;

/**
 * A blob read from a registry while it is stored: every byte handed to the reader is first hashed
 * and written to the store's ingest file. Bytes an earlier, interrupted attempt left are replayed
 * from disk, a cut connection resumes with a Range request, and the stream ends only once the
 * digest matched and the blob is in the store, so a reader never acts on unverified bytes' end.
 */
public final class BlobStream extends InputStream {
    private final RegistryClient client;
    private final RepositoryName repo;
    private final Descriptor descriptor;
    private final LayoutStore.Ingest ingest;
    private final RegistryClient.Progress progress;
    private final Transport transport;
    private InputStream replay;
    private long replayed;
    private InputStream http;
    private int failures;
    private boolean done;
    private final boolean stored;

    /**
     * Downloads a blob into the store: resumes where an interrupted attempt stopped (Range), verifies
     * the digest, and discards and refetches content that does not match.
     */
    public static void download(RegistryClient client, RepositoryName repo, Descriptor d, LayoutStore store,
                                RegistryClient.Progress progress) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try (BlobStream in = open(client, repo, d, store, progress)) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
                return;
            } catch (DigestMismatchException e) {
                if (attempt >= client.transport().attempts()) throw e; // the ingest was reset: the next attempt starts over
                client.transport().backoff(attempt, null, e.getMessage());
            }
        }
    }

    /**
     * A blob as a stream that is also written to the store: what arrives is hashed and kept, a cut
     * connection resumes with a Range request, and the end of the stream comes only after the
     * digest matched and the blob was committed to the store.
     */
    public static BlobStream open(RegistryClient client, RepositoryName repo, Descriptor d, LayoutStore store,
                                  RegistryClient.Progress progress) throws IOException {
        return new BlobStream(client, repo, d, store, store.ingest(d.digest()), progress, client.transport());
    }

    private BlobStream(RegistryClient client, RepositoryName repo, Descriptor descriptor, LayoutStore store, LayoutStore.Ingest ingest,
               RegistryClient.Progress progress, Transport transport) throws IOException {
        this.client = client;
        this.repo = repo;
        this.descriptor = descriptor;
        this.ingest = ingest;
        this.progress = progress;
        this.transport = transport;
        this.stored = ingest.stored();
        if (stored) {
            // Another pull stored it while we waited for our turn: read the stored blob, fetch nothing.
            this.replay = java.nio.file.Files.newInputStream(store.blobPath(descriptor.digest()));
            return;
        }
        if (ingest.offset() > descriptor.size()) ingest.reset();
        this.replay = ingest.offset() > 0 ? ingest.held() : null;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (done) return -1;
        if (len == 0) return 0;
        if (replay != null) {
            int n = replay.read(b, off, len);
            if (n > 0) {
                replayed += n;
                report(replayed);
                return n;
            }
            replay.close();
            replay = null;
            if (stored) {
                done = true;
                return -1;
            }
        }
        while (true) {
            try {
                long left = descriptor.size() - ingest.offset();
                if (left == 0 && http == null) {
                    // An earlier pull got every byte and stopped before checking them: there is nothing
                    // to ask for (a Range from the blob's end is refused with 416), only the check.
                    ingest.commit();
                    done = true;
                    return -1;
                }
                if (http == null) connect();
                int n = left <= 0 ? http.read() < 0 ? -1 : -2 : http.read(b, off, (int) Math.min(len, left));
                if (n == -2) throw new IOException("the registry sent more than the blob's " + descriptor.size() + " bytes");
                if (n < 0) {
                    if (ingest.offset() < descriptor.size()) throw new java.io.EOFException("connection closed early");
                    ingest.commit(); // verifies the digest; on a mismatch the bytes are discarded
                    done = true;
                    closeHttp();
                    return -1;
                }
                ingest.write(b, off, n);
                report(ingest.offset());
                return n;
            } catch (RegistryException e) {
                if (e.status() < 500 && e.status() != 429) throw e;
                retryOrThrow(e);
            } catch (io.strata.oci.DigestMismatchException e) {
                throw e;
            } catch (IOException e) {
                if (Thread.currentThread().isInterrupted()) throw e;
                retryOrThrow(e);
            }
        }
    }

    private void retryOrThrow(IOException e) throws IOException {
        closeHttp();
        if (e instanceof Transport.TransportException t && !t.retryable()) throw e;
        if (++failures >= transport.attempts()) throw e;
        transport.backoff(failures, null, e.getMessage()); // keep what arrived; the next request resumes from there
    }

    private void connect() throws IOException {
        long from = ingest.offset();
        HttpResponse<InputStream> r = client.getBlob(repo, descriptor.digest(), from);
        InputStream body = r.body();
        if (from > 0 && r.statusCode() != 206) {
            // The registry sent the whole blob: the bytes we hold are already verified-in-progress, skip them.
            body.skipNBytes(from);
        }
        http = body;
    }

    private void report(long done) {
        if (progress != null) progress.update(done, descriptor.size());
    }

    private void closeHttp() {
        if (http == null) return;
        try {
            http.close();
        } catch (IOException ignored) {
            // the connection is gone either way
        }
        http = null;
    }

    @Override
    public void close() throws IOException {
        closeHttp();
        if (replay != null) replay.close();
        ingest.close();
    }
}
