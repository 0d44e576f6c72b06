package io.strata.client;

import io.strata.remote.RegistryClient;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.Index;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import io.strata.oci.Reference;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Pushes a stored image to a registry: each blob is checked with HEAD first, mounted from the
 * source repository when both are on one registry, else uploaded (one PUT, or chunks); then the
 * manifest. An index pushes its children first.
 */
public final class Pusher {
    private final RegistryClient client;
    private final LayoutStore store;
    private final int concurrency;
    private final long chunkSize;
    private final Puller.Events events;

    public Pusher(RegistryClient client, LayoutStore store, int concurrency, long chunkSize, Puller.Events events) {
        if (chunkSize < 1) throw new IllegalArgumentException("chunk size must be positive");
        this.client = client;
        this.store = store;
        this.concurrency = concurrency;
        this.chunkSize = chunkSize;
        this.events = events;
    }

    /**
     * Pushes {@code manifest} (stored locally) to {@code dst}. {@code mountFrom} is the repository the
     * image came from, when it is on the same registry as {@code dst}.
     */
    public void push(Descriptor manifest, Reference dst, Optional<Reference> mountFrom) throws IOException {
        pushManifest(manifest, dst, mountFrom, dst.tag() == null ? manifest.digest().toString() : dst.tag().value());
    }

    private void pushManifest(Descriptor manifest, Reference dst, Optional<Reference> mountFrom, String reference)
            throws IOException {
        byte[] content = store.read(manifest.digest());
        if (MediaType.INDEXES.contains(manifest.mediaType())) {
            for (Descriptor d : Index.parse(content).manifests()) {
                if (!store.has(d.digest())) {
                    throw new IOException("index entry " + d.digest() + " is not in the local store (pull it with --platform)");
                }
                pushManifest(d, dst, mountFrom, d.digest().toString());
            }
        } else {
            pushBlobs(Manifest.parse(content).blobs(), dst, mountFrom);
        }
        client.putManifest(dst.repository(), reference, manifest.mediaType(), content, manifest.digest());
    }

    private void pushBlobs(List<Descriptor> blobs, Reference dst, Optional<Reference> mountFrom) throws IOException {
        Parallel.forEach(blobs, concurrency, d -> pushBlob(d, dst, mountFrom));
    }

    private void pushBlob(Descriptor d, Reference dst, Optional<Reference> mountFrom) throws IOException {
        Digest digest = d.digest();
        if (!store.has(digest)) throw new IOException("blob " + digest + " is not in the local store");
        if (client.hasBlob(dst.repository(), digest)) {
            events.layer(digest, "Layer already exists");
            return;
        }
        if (mountFrom.isPresent() && !mountFrom.get().repository().equals(dst.repository())
                && client.mount(dst.repository(), digest, mountFrom.get().repository())) {
            events.layer(digest, "Mounted from " + mountFrom.get().repository());
            return;
        }
        events.layer(digest, "Pushing");
        client.uploadBlob(dst.repository(), d, RegistryClient.BlobSource.ofFile(store.blobPath(digest)), chunkSize);
        events.layer(digest, "Pushed");
    }
}
