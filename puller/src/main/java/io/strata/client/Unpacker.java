package io.strata.client;

import io.strata.client.store.Leases;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.DigestMismatchException;
import io.strata.oci.ImageConfig;
import io.strata.oci.Manifest;
import io.strata.snapshots.Applier;
import io.strata.snapshots.Compression;
import io.strata.snapshots.LayerException;
import io.strata.snapshots.OverlaySnapshotter;
import io.strata.snapshots.Snapshotter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Unpacks an image's layers into committed snapshots named by ChainID, all layers at once: each
 * layer streams from its source through decompression, the DiffID check and the applier into its
 * own active snapshot, which is committed on its parent once the layers below it are. A layer whose
 * snapshot exists is not unpacked again; a failed layer leaves no snapshot behind.
 */
public final class Unpacker {
    /** Where a layer's compressed bytes come from: the store, or a download that stores them as it goes. */
    @FunctionalInterface
    public interface LayerSource {
        InputStream open(Descriptor layer) throws IOException;
    }

    /** Tries at a layer whose download arrived corrupted. */
    private static final int ATTEMPTS = 3;

    private final OverlaySnapshotter snapshotter;
    private final Applier.Limits limits;
    private final int concurrency;
    private final Puller.Events events;

    public Unpacker(OverlaySnapshotter snapshotter, Applier.Limits limits, int concurrency, Puller.Events events) {
        if (concurrency < 1) throw new IllegalArgumentException("concurrency must be at least 1");
        this.snapshotter = snapshotter;
        this.limits = limits;
        this.concurrency = concurrency;
        this.events = events;
    }

    /** What an unpack did: the layers unpacked now and those whose snapshot existed. */
    public record Result(int unpacked, int existing) {}

    /** The ChainIDs of a manifest's layers, after checking the config lists one DiffID per layer. */
    public static List<Digest> chainIds(Manifest manifest, ImageConfig config) throws IOException {
        if (config.rootfs().diffIds().size() != manifest.layers().size()) {
            throw new IOException("the image config lists " + config.rootfs().diffIds().size() + " DiffIDs for "
                    + manifest.layers().size() + " layers");
        }
        return config.rootfs().chainIds();
    }

    /**
     * Unpacks every layer whose snapshot is missing; {@code lease} holds the snapshots made here
     * until the caller is done. {@code fetchOnly} layers have a snapshot but their blob is missing:
     * they are read from the source to store them, not unpacked.
     */
    public Result unpack(Manifest manifest, ImageConfig config, LayerSource source, Leases.Lease lease) throws IOException {
        List<Digest> chain = chainIds(manifest, config);
        List<Descriptor> layers = manifest.layers();
        List<Digest> diffIds = config.rootfs().diffIds();
        lease.add(List.of(), chain.stream().map(Digest::toString).toList());
        int n = layers.size();
        List<CompletableFuture<Void>> committed = new ArrayList<>(n);
        for (int i = 0; i < n; i++) committed.add(new CompletableFuture<>());
        // One reader per blob: an image may list the same blob twice (empty layers), and the store's
        // ingest takes one writer. Later layers with that blob read it from the first's stream's result.
        Map<Digest, CompletableFuture<Void>> firstRead = new HashMap<>();
        List<Integer> todo = new ArrayList<>();
        int existing = 0;
        for (int i = 0; i < n; i++) {
            if (snapshotter.stat(chain.get(i).toString()).filter(s -> s.kind() == Snapshotter.Kind.COMMITTED).isPresent()) {
                events.layer(layers.get(i).digest(), "Already exists");
                committed.get(i).complete(null);
                existing++;
            } else {
                events.layer(layers.get(i).digest(), "Waiting");
                todo.add(i);
            }
        }
        Semaphore slots = new Semaphore(concurrency, true);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<Void>> running = new ArrayList<>();
            for (int i : todo) {
                Descriptor layer = layers.get(i);
                CompletableFuture<Void> first = firstRead.get(layer.digest());
                CompletableFuture<Void> mine = new CompletableFuture<>();
                if (first == null) firstRead.put(layer.digest(), mine);
                int index = i;
                running.add(pool.submit(() -> {
                    try {
                        if (first != null) first.get(); // the same blob is being fetched by an earlier layer
                        unpackOne(index, layer, diffIds.get(index), chain, committed, source, slots, lease, mine);
                    } catch (Exception | Error t) {
                        mine.completeExceptionally(t);
                        committed.get(index).completeExceptionally(t);
                        throw t;
                    }
                    return null;
                }));
            }
            IOException failure = null;
            for (Future<Void> f : running) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                        running.forEach(r -> r.cancel(true));
                    }
                } catch (InterruptedException e) {
                    running.forEach(r -> r.cancel(true));
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                } catch (java.util.concurrent.CancellationException e) {
                    // cancelled after the first failure
                }
            }
            if (failure != null) throw failure;
        }
        return new Result(todo.size(), existing);
    }

    private void unpackOne(int i, Descriptor layer, Digest diffId, List<Digest> chain, List<CompletableFuture<Void>> committed,
                           LayerSource source, Semaphore slots, Leases.Lease lease, CompletableFuture<Void> read) throws Exception {
        Applier.Result applied = null;
        String key = null;
        slots.acquire();
        try {
            events.layer(layer.digest(), "Extracting");
            for (int attempt = 1; applied == null; attempt++) {
                key = "extract-" + UUID.randomUUID() + "-" + chain.get(i);
                lease.add(List.of(), List.of(key));
                snapshotter.prepare(key, null);
                try (InputStream blob = source.open(layer)) {
                    applied = Applier.apply(Compression.decompress(blob, layer.mediaType()), snapshotter.layerDir(key), limits);
                    blob.transferTo(OutputStream.nullOutputStream()); // the blob's digest covers bytes after the tar's end too
                } catch (DigestMismatchException e) {
                    // Corrupted in transit: the download was discarded, so another attempt fetches it anew.
                    discard(key);
                    applied = null;
                    if (attempt >= ATTEMPTS) throw e;
                    Thread.sleep(200L << attempt); // as any retry: give a troubled registry a moment
                }
            }
            read.complete(null);
            if (!applied.diffId().equals(diffId)) {
                throw new LayerException("unpacks to DiffID " + applied.diffId() + ", but the image config says " + diffId);
            }
        } catch (IOException e) {
            if (key != null) discard(key);
            throw naming(layer, e);
        } catch (Exception | Error t) {
            if (key != null) discard(key);
            throw t;
        } finally {
            slots.release();
        }
        try {
            if (i > 0) committed.get(i - 1).get(); // commit in order: the parent must exist
            String parent = i == 0 ? null : chain.get(i - 1).toString();
            try {
                Applier.finish(snapshotter.layerDir(key), applied, parent == null ? List.of() : snapshotter.chain(parent));
            } catch (IOException e) {
                throw naming(layer, e);
            }
            try {
                snapshotter.commit(chain.get(i).toString(), key, parent);
            } catch (Snapshotter.AlreadyExistsException e) {
                // another pull committed the same layer stack meanwhile: theirs is as good as ours
            }
        } catch (Exception | Error t) {
            discard(key);
            throw t;
        }
        committed.get(i).complete(null);
        events.layer(layer.digest(), "Pull complete");
    }

    /** {@code e} with the layer named first, so the user knows which one failed; a LayerException stays one. */
    private static IOException naming(Descriptor layer, IOException e) {
        String message = "layer " + layer.digest() + ": " + e.getMessage();
        return e instanceof LayerException ? new LayerException(message) : new IOException(message, e);
    }

    private void discard(String key) {
        try {
            if (snapshotter.stat(key).isPresent()) snapshotter.remove(key);
        } catch (IOException ignored) {
            // gc removes an active snapshot no lease holds
        }
    }
}
