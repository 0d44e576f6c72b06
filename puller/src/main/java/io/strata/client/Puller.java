package io.strata.client;

import io.strata.remote.RegistryClient;
import io.strata.client.store.Leases;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.ImageConfig;
import io.strata.oci.Index;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import io.strata.oci.Platform;
import io.strata.oci.Reference;
import io.strata.snapshots.Applier;
import io.strata.snapshots.OverlaySnapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Pulls an image into the local store: resolves the reference, picks the platform from an index,
 * fetches config and layers concurrently (skipping what the store has), verifies every digest and,
 * unless asked not to, unpacks the layers into snapshots as they arrive, in the same pass. The
 * image is named only once everything it needs is stored; a lease keeps gc off it meanwhile.
 */
public final class Puller {
    /** What a pull tells the user as it goes. */
    public interface Events {
        void layer(Digest digest, String status);

        void progress(Digest digest, long done, long total);

        /** Something the user should know that does not stop the pull. */
        default void warning(String message) {}
    }

    /** Unpacking into snapshots; empty for a pull that only stores blobs. */
    public record Unpack(OverlaySnapshotter snapshotter, Applier.Limits limits) {}

    private final RegistryClient client;
    private final LayoutStore store;
    private final int concurrency;
    private final Events events;
    private final Optional<Unpack> unpack;
    private BeforeWork beforeWork = bytes -> {};

    /**
     * Told once a pull knows it will download or unpack something, with how many bytes (blobs the
     * store lacks, and stored layers still to unpack); may stop the pull there by throwing.
     */
    @FunctionalInterface
    public interface BeforeWork {
        void check(long bytes) throws IOException;
    }

    /** Calls {@code hook} before the first byte of a blob is downloaded or a layer unpacked, never for a pull of what is stored. */
    public Puller beforeWork(BeforeWork hook) {
        this.beforeWork = hook;
        return this;
    }

    public Puller(RegistryClient client, LayoutStore store, int concurrency, Events events) {
        this(client, store, concurrency, events, Optional.empty());
    }

    public Puller(RegistryClient client, LayoutStore store, int concurrency, Events events, Optional<Unpack> unpack) {
        if (concurrency < 1) throw new IllegalArgumentException("concurrency must be at least 1");
        this.client = client;
        this.store = store;
        this.concurrency = concurrency;
        this.events = events;
        this.unpack = unpack;
    }

    /** The image pulled: the manifest stored and named; {@code unpacked} counts layers unpacked now. */
    public record Pulled(Reference reference, Descriptor manifest, int unpacked) {}

    public Pulled pull(Reference ref, Platform platform) throws IOException {
        return pull(ref, platform, false);
    }

    /**
     * @param platformAsked the platform was asked for (--platform): an image for another one is
     *     refused; else (this host's default) it is pulled with a warning, as podman does
     */
    public Pulled pull(Reference ref, Platform platform, boolean platformAsked) throws IOException {
        RegistryClient.Fetched fetched = client.manifest(ref.repository(), ref.manifestReference());
        boolean single = !MediaType.INDEXES.contains(fetched.mediaType());
        if (!single) {
            Index index = Index.parse(fetched.content());
            Descriptor chosen = index.select(platform).orElseThrow(() -> new IOException(
                    "no " + platform + " image in " + ref + " (it has: " + String.join(", ", index.platforms()) + ")"));
            fetched = client.manifest(ref.repository(), chosen.digest().toString());
            if (MediaType.INDEXES.contains(fetched.mediaType())) throw new IOException("nested indexes are not supported");
        }
        Manifest manifest = Manifest.parse(fetched.content());
        if (!MediaType.IMAGE_CONFIGS.contains(manifest.config().mediaType())) {
            String type = manifest.artifactType() != null ? manifest.artifactType() : manifest.config().mediaType();
            throw new IOException(ref + " is an artifact (" + type + "), not an image: strata artifact pull fetches its files");
        }
        // A layer to download is one to unpack: link the unpacker's native calls beside the downloads.
        boolean linking = unpack.isPresent() && !manifest.layers().stream().allMatch(l -> store.has(l.digest()));
        if (linking) linkUnpackCallsAhead();
        int unpacked = 0;
        store.create(); // the first write makes the store, and says so plainly when it cannot
        try (Leases.Lease lease = store.leases().acquire("pull " + ref)) {
            List<Digest> blobs = new ArrayList<>();
            blobs.add(fetched.digest());
            for (Descriptor d : manifest.blobs()) blobs.add(d.digest());
            lease.add(blobs, List.of());
            String configType = manifest.config().mediaType();
            if (single && (configType.equals(MediaType.OCI_CONFIG) || configType.equals(MediaType.DOCKER_CONFIG))) {
                Platform offered = ImageConfig.parse(fetchSmall(ref, manifest.config())).platform();
                if (offered.os() != null && offered.architecture() != null && !platform.matches(offered)) {
                    if (platformAsked) throw new IOException(ref + " is an image for " + offered + ", not " + platform + " (it is not a multi-platform index)");
                    events.warning("the image's platform (" + offered + ") does not match this host's (" + platform + ")");
                }
            }
            ImageConfig config = unpack.isPresent() ? ImageConfig.parse(fetchSmall(ref, manifest.config())) : null;
            long work = work(manifest, config);
            if (work > 0) {
                beforeWork.check(work);
                if (unpack.isPresent() && !linking) linkUnpackCallsAhead(); // stored layers still to unpack
            }
            if (unpack.isPresent()) {
                Unpacker unpacker = new Unpacker(unpack.get().snapshotter(), unpack.get().limits(), concurrency, events);
                unpacked = unpacker.unpack(manifest, config, layer -> open(ref, layer), lease).unpacked();
                // Layers whose snapshot existed may still lack their blob in the store (the store keeps every blob).
                fetchAll(ref, manifest.layers());
            } else {
                fetchAll(ref, manifest.blobs());
            }
            store.put(fetched.digest(), fetched.content());
            Descriptor stored = fetched.descriptor();
            store.tag(nameOf(ref), stored);
            return new Pulled(ref, stored, unpacked);
        }
    }

    /**
     * Links the calls every unpacked file makes (lchown, chmod, utimensat) on a thread of its own:
     * each first link generates code, tens of milliseconds in a new JVM. Only for a pull with
     * something to unpack: on a pull of what is stored it took 19 ms of the other core (EPYC).
     */
    private static void linkUnpackCallsAhead() {
        Thread.ofVirtual().name("link-unpack-calls").start(io.strata.snapshots.Native::linkUnpackCalls);
    }

    /**
     * The bytes this pull will download or unpack: blobs the store lacks, and stored layers whose
     * snapshot is not committed (at least 1 when there is any such); 0 when everything is stored.
     * {@code config} is the image's, when unpacking.
     */
    private long work(Manifest manifest, ImageConfig config) throws IOException {
        long bytes = 0;
        boolean any = false;
        for (Descriptor d : manifest.blobs()) {
            if (!store.has(d.digest())) {
                bytes += Math.max(0, d.size());
                any = true;
            }
        }
        if (unpack.isPresent()) {
            List<Digest> chainIds = Unpacker.chainIds(manifest, config);
            for (int i = 0; i < chainIds.size(); i++) {
                boolean committed = unpack.get().snapshotter().stat(chainIds.get(i).toString())
                        .filter(snap -> snap.kind() == io.strata.snapshots.Snapshotter.Kind.COMMITTED).isPresent();
                if (committed) continue;
                any = true;
                Descriptor layer = manifest.layers().get(i);
                if (store.has(layer.digest())) bytes += Math.max(0, layer.size()); // a missing blob is counted above
            }
        }
        return any ? Math.max(1, bytes) : 0;
    }

    /** The config (small, read whole): from the store, else fetched, verified and stored. */
    private byte[] fetchSmall(Reference ref, Descriptor d) throws IOException {
        if (store.has(d.digest())) return store.read(d.digest());
        byte[] content = client.blobBytes(ref.repository(), d);
        store.put(d.digest(), content);
        return content;
    }

    /** A layer's bytes: the stored blob, or a download that stores it as it streams. */
    private java.io.InputStream open(Reference ref, Descriptor layer) throws IOException {
        if (store.has(layer.digest())) return Files.newInputStream(store.blobPath(layer.digest()));
        return BlobStream.open(client, ref.repository(), layer, store, (done, total) -> events.progress(layer.digest(), done, total));
    }

    /**
     * The name a pulled image gets in the store: {@code host/repo:tag}, or for a pull by digest
     * {@code host/repo@digest}, which never moves a tag (docker's rule too).
     */
    public static String nameOf(Reference ref) {
        if (ref.digest() != null) return ref.registry() + "/" + ref.repository() + "@" + ref.digest();
        return ref.toString();
    }

    /** Downloads what the store lacks, at most {@code concurrency} at a time. */
    private void fetchAll(Reference ref, List<Descriptor> blobs) throws IOException {
        List<Descriptor> missing = new ArrayList<>();
        for (Descriptor d : blobs) {
            if (store.has(d.digest())) {
                if (unpack.isEmpty()) events.layer(d.digest(), "Already exists");
            } else if (missing.stream().noneMatch(m -> m.digest().equals(d.digest()))) {
                missing.add(d);
            }
        }
        for (Descriptor d : missing) events.layer(d.digest(), "Waiting");
        Parallel.forEach(missing, concurrency, d -> {
            events.layer(d.digest(), "Pulling");
            BlobStream.download(client, ref.repository(), d, store, (done, total) -> events.progress(d.digest(), done, total));
            events.layer(d.digest(), "Pull complete");
        });
    }
}
