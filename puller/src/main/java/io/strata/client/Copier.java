package io.strata.client;

import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.Index;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import io.strata.oci.Platform;
import io.strata.oci.Reference;
import io.strata.remote.Bounded;
import io.strata.remote.RegistryClient;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

/**
 * Copies an image (or an index with its images) from one place to another without holding a blob:
 * a registry (as {@link RegistryClient} reaches it) or an OCI image layout (a directory, the local
 * store among them). Each blob the destination lacks streams from source to destination (a
 * registry's from a ranged GET per chunk, so a retry or a chunk never needs more than the bytes in
 * flight); a blob the destination has (HEAD, or the layout's file) is skipped, which is also how an
 * interrupted copy resumes; between two repositories of one registry a blob is mounted, not moved.
 * Manifests go last, children before the index, so the destination never names what it lacks.
 */
public final class Copier {
    /** Where an image is: a registry's repository and tag or digest, or a layout and the name of an image in its index.json. */
    public sealed interface Endpoint permits Registry, Layout {}

    public record Registry(RegistryClient client, Reference ref) implements Endpoint {}

    /** {@code name}: the {@code org.opencontainers.image.ref.name} in index.json; null as a source: the layout's only image. */
    public record Layout(LayoutStore store, String name) implements Endpoint {}

    /** What to copy: {@code all} an index with every image it names, else one image ({@code platform}'s, from an index). */
    public record Options(Platform platform, boolean platformAsked, boolean all, int concurrency, long chunkSize,
                          io.strata.snapshots.Compression recompress, java.nio.file.Path scratch) {
        public Options(Platform platform, boolean platformAsked, boolean all, int concurrency, long chunkSize) {
            this(platform, platformAsked, all, concurrency, chunkSize, null, null);
        }

        /**
         * The same, each layer made {@code compression} (gzip or zstd) on the way, through a file of
         * {@code scratch} a layer (a new digest must be known before the upload ends): the images'
         * digests change, their DiffIDs do not.
         */
        public Options recompressing(io.strata.snapshots.Compression compression, java.nio.file.Path scratch) {
            return new Options(platform, platformAsked, all, concurrency, chunkSize, compression, scratch);
        }
    }

    /** What a copy did: the manifest at the destination (the source's, unless layers were recompressed), and how its blobs got there. */
    public record Result(Descriptor manifest, Descriptor source, int copied, int skipped, int mounted, long bytes) {}

    /** One lock a blob of a layout, for the copies of this process. */
    private static final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.locks.ReentrantLock> INGESTS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private final Puller.Events events;
    // Counted by the threads that copy blobs at once.
    private final java.util.concurrent.atomic.AtomicInteger copied = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger skipped = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger mounted = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();

    public Copier(Puller.Events events) {
        this.events = events;
    }

    /** Copies {@code from} to {@code to}; one copy at a time per Copier (its counts are the copy's). */
    public Result copy(Endpoint from, Endpoint to, Options o) throws IOException {
        copied.set(0);
        skipped.set(0);
        mounted.set(0);
        bytes.set(0);
        Descriptor root = resolve(from, o);
        Descriptor made = copyManifest(from, to, root, manifest(from, root.digest()), o, true);
        return new Result(made, root, copied.get(), skipped.get(), mounted.get(), bytes.get());
    }

    /**
     * The manifest a copy of {@code from} puts at the destination: the source's, or of an index
     * without --all, the image of the platform asked (refused when there is none, or when a plain
     * image is for another platform than one asked for).
     */
    public static Descriptor resolve(Endpoint from, Options o) throws IOException {
        Descriptor root = root(from);
        if (MediaType.INDEXES.contains(root.mediaType()) && !o.all()) {
            Index index = Index.parse(manifest(from, root.digest()));
            Descriptor chosen = index.select(o.platform()).orElseThrow(() -> new IOException(
                    "no " + o.platform() + " image in " + describe(from) + " (it has: " + String.join(", ", index.platforms()) + "; --all copies every one)"));
            return new Descriptor(chosen.mediaType(), chosen.digest(), chosen.size());
        }
        if (!MediaType.INDEXES.contains(root.mediaType()) && o.platformAsked()) {
            Platform offered = imagePlatform(from, manifest(from, root.digest()));
            if (offered != null && !o.platform().matches(offered)) {
                throw new IOException(describe(from) + " is an image for " + offered + ", not " + o.platform() + " (it is not a multi-platform index)");
            }
        }
        return root;
    }

    /** The digest an endpoint names now, without fetching the manifest where a HEAD tells; empty when it names nothing. */
    public static Optional<Digest> current(Endpoint at) throws IOException {
        switch (at) {
            case Registry r -> {
                try {
                    String reference = r.ref().digest() != null ? r.ref().digest().toString() : r.ref().tag().value();
                    Optional<Digest> head = r.client().manifestDigest(r.ref().repository(), reference);
                    return head.isPresent() ? head : Optional.of(fetched(r).digest());
                } catch (io.strata.remote.RegistryException e) {
                    if (e.status() == 404) return Optional.empty();
                    throw e;
                }
            }
            case Layout l -> {
                if (!java.nio.file.Files.isRegularFile(l.store().root().resolve("index.json"))) return Optional.empty();
                return l.store().resolve(l.name()).map(Descriptor::digest);
            }
        }
    }

    /** The platform an image's config says (null for an artifact, whose config is no image config). */
    private static Platform imagePlatform(Endpoint from, byte[] manifest) throws IOException {
        Descriptor config = Manifest.parse(manifest).config();
        if (!MediaType.IMAGE_CONFIGS.contains(config.mediaType())) return null;
        return io.strata.oci.ImageConfig.parse(smallBlob(from, config)).platform();
    }

    /** Copies a manifest and what it names; answers it as the destination has it (another digest when layers were recompressed). */
    private Descriptor copyManifest(Endpoint from, Endpoint to, Descriptor d, byte[] content, Options o, boolean root) throws IOException {
        if (MediaType.INDEXES.contains(d.mediaType())) {
            Index index = Index.parse(content);
            List<Descriptor> children = new java.util.ArrayList<>();
            boolean changed = false;
            for (Descriptor child : index.manifests()) {
                Descriptor made = copyManifest(from, to, child, manifest(from, child.digest()), o, false);
                changed |= !made.digest().equals(child.digest());
                children.add(new Descriptor(made.mediaType(), made.digest(), made.size(), child.urls(), child.annotations(), child.artifactType(),
                        child.platform()));
            }
            if (changed) {
                content = new Index(2, MediaType.OCI_INDEX, index.artifactType(), children, index.subject(), index.annotations()).toJson(false);
                d = new Descriptor(MediaType.OCI_INDEX, Digest.sha256(content), content.length);
            }
        } else {
            Manifest m = Manifest.parse(content);
            if (o.recompress() != null && MediaType.IMAGE_CONFIGS.contains(m.config().mediaType())) {
                Descriptor[] layers = new Descriptor[m.layers().size()];
                copyBlob(from, to, m.config(), o);
                Parallel.forEach(java.util.stream.IntStream.range(0, layers.length).boxed().toList(), o.concurrency(),
                        i -> layers[i] = recompressed(from, to, m.layers().get(i), o));
                Descriptor config = new Descriptor(MediaType.OCI_CONFIG, m.config().digest(), m.config().size());
                content = new Manifest(2, MediaType.OCI_MANIFEST, m.artifactType(), config, List.of(layers), m.subject(), m.annotations()).toJson();
                d = new Descriptor(MediaType.OCI_MANIFEST, Digest.sha256(content), content.length);
            } else {
                Parallel.forEach(m.blobs(), o.concurrency(), b -> copyBlob(from, to, b, o));
            }
        }
        putManifest(to, d, content, root);
        return d;
    }

    /**
     * A layer in {@code o.recompress()}'s compression at the destination: as it is when it already
     * is, else read (and checked against its digest), decompressed and compressed anew into a file of
     * the scratch directory, then put there from it.
     */
    private Descriptor recompressed(Endpoint from, Endpoint to, Descriptor layer, Options o) throws IOException {
        io.strata.snapshots.Compression have = io.strata.snapshots.Compression.ofMediaType(layer.mediaType());
        if (have == o.recompress()) {
            copyBlob(from, to, layer, o);
            return layer;
        }
        java.nio.file.Path file = java.nio.file.Files.createTempFile(o.scratch(), "layer-", ".tmp");
        try {
            java.security.MessageDigest read = layer.digest().algorithm().newStreamingDigest();
            java.security.MessageDigest written = io.strata.oci.DigestAlgorithm.SHA256.newStreamingDigest();
            events.layer(layer.digest(), "Recompressing");
            try (InputStream raw = new java.security.DigestInputStream(new java.io.BufferedInputStream(open(from, layer, 0), 1 << 16), read);
                 InputStream in = io.strata.snapshots.Compression.decompress(raw, layer.mediaType());
                 java.io.OutputStream out = new java.security.DigestOutputStream(
                         new java.io.BufferedOutputStream(java.nio.file.Files.newOutputStream(file), 1 << 16), written);
                 java.io.OutputStream compressed = o.recompress() == io.strata.snapshots.Compression.GZIP
                         ? new io.strata.snapshots.ParallelGzipOutputStream(out) : new com.github.luben.zstd.ZstdOutputStream(out)) {
                in.transferTo(compressed);
                raw.transferTo(java.io.OutputStream.nullOutputStream()); // what follows the compressed stream counts for its digest too
            }
            Digest source = Digest.of(layer.digest().algorithm(), read.digest());
            if (!source.equals(layer.digest())) throw new IOException("layer " + layer.digest() + " read as " + source + ": refused");
            Descriptor made = new Descriptor(o.recompress() == io.strata.snapshots.Compression.GZIP ? MediaType.OCI_LAYER_GZIP : MediaType.OCI_LAYER_ZSTD,
                    Digest.of(io.strata.oci.DigestAlgorithm.SHA256, written.digest()), java.nio.file.Files.size(file), null, layer.annotations(), null, null);
            switch (to) {
                case Registry dst -> {
                    if (dst.client().hasBlob(dst.ref().repository(), made.digest())) break;
                    dst.client().uploadBlob(dst.ref().repository(), made, RegistryClient.BlobSource.ofFile(file), o.chunkSize());
                }
                case Layout dst -> {
                    if (!dst.store().has(made.digest())) dst.store().putFile(file, made.digest());
                }
            }
            bytes.addAndGet(made.size());
            copied.incrementAndGet();
            events.layer(layer.digest(), "Recompressed as " + made.digest());
            return made;
        } finally {
            java.nio.file.Files.deleteIfExists(file);
        }
    }

    // ---- reading

    private static Descriptor root(Endpoint from) throws IOException {
        return switch (from) {
            case Registry r -> {
                // HEAD first: a sync that finds a tag up to date needs no more than the digest.
                String reference = r.ref().digest() != null ? r.ref().digest().toString() : r.ref().tag().value();
                Optional<Descriptor> head = r.client().headManifest(r.ref().repository(), reference);
                yield head.isPresent() ? head.get() : fetched(r).descriptor();
            }
            case Layout l -> {
                if (l.name() != null) {
                    yield l.store().resolve(l.name()).orElseThrow(() -> new IOException("no image named " + l.name() + " in " + l.store().root()));
                }
                List<LayoutStore.Named> names = l.store().names();
                if (names.size() != 1) {
                    throw new IOException(l.store().root() + " holds " + names.size() + " images: name one (" + names.stream().map(LayoutStore.Named::name).toList() + ")");
                }
                yield names.getFirst().manifest();
            }
        };
    }

    private static RegistryClient.Fetched fetched(Registry r) throws IOException {
        return r.client().manifest(r.ref().repository(), r.ref().digest() != null ? r.ref().digest().toString() : r.ref().tag().value());
    }

    private static byte[] manifest(Endpoint from, Digest digest) throws IOException {
        return switch (from) {
            case Registry r -> r.client().manifest(r.ref().repository(), digest.toString()).content();
            case Layout l -> {
                if (!l.store().has(digest)) throw new IOException("manifest " + digest + " is not in " + l.store().root());
                byte[] b = l.store().read(digest);
                digest.verify(b);
                yield b;
            }
        };
    }

    private static byte[] smallBlob(Endpoint from, Descriptor d) throws IOException {
        return switch (from) {
            case Registry r -> r.client().blobBytes(r.ref().repository(), d);
            case Layout l -> manifest(l, d.digest());
        };
    }

    /** The blob's bytes from {@code offset} on (a registry that ignores Range has the rest skipped to). */
    private static InputStream open(Endpoint from, Descriptor d, long offset) throws IOException {
        switch (from) {
            case Registry r -> {
                HttpResponse<InputStream> response = r.client().getBlob(r.ref().repository(), d.digest(), offset);
                InputStream in = response.body();
                if (offset > 0 && response.statusCode() == 200) in.skipNBytes(offset);
                return in;
            }
            case Layout l -> {
                if (!l.store().has(d.digest())) throw new IOException("blob " + d.digest() + " is not in " + l.store().root());
                FileChannel ch = FileChannel.open(l.store().blobPath(d.digest()), StandardOpenOption.READ);
                ch.position(offset);
                return Channels.newInputStream(ch);
            }
        }
    }

    // ---- writing

    private void copyBlob(Endpoint from, Endpoint to, Descriptor d, Options o) throws IOException {
        switch (to) {
            case Registry dst -> {
                RegistryClient client = dst.client();
                if (client.hasBlob(dst.ref().repository(), d.digest())) {
                    skipped(d);
                    return;
                }
                if (from instanceof Registry src && src.client().host().equals(client.host()) && !src.ref().repository().equals(dst.ref().repository())
                        && client.mount(dst.ref().repository(), d.digest(), src.ref().repository())) {
                    events.layer(d.digest(), "Mounted from " + src.ref().repository());
                    mounted.incrementAndGet();
                    return;
                }
                events.layer(d.digest(), "Copying");
                client.uploadBlob(dst.ref().repository(), d, (offset, length) -> HttpRequest.BodyPublishers.fromPublisher(
                        HttpRequest.BodyPublishers.ofInputStream(() -> {
                            try {
                                return new java.io.BufferedInputStream(new Bounded(open(from, d, offset), length), 1 << 16);
                            } catch (IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        }), length), o.chunkSize());
            }
            case Layout dst -> {
                if (dst.store().has(d.digest())) {
                    skipped(d);
                    return;
                }
                events.layer(d.digest(), "Copying");
                // Copies in one process that share a blob (a sync's tags) take turns: the second finds it stored.
                var turn = INGESTS.computeIfAbsent(dst.store().blobPath(d.digest()).toString(), k -> new java.util.concurrent.locks.ReentrantLock());
                turn.lock();
                try (LayoutStore.Ingest ingest = dst.store().ingest(d.digest())) {
                    if (ingest.stored()) {
                        skipped(d);
                        return;
                    }
                    if (ingest.offset() > d.size()) ingest.reset();
                    // What an interrupted copy left is kept: the rest is read from where it stopped.
                    try (InputStream in = new Bounded(open(from, d, ingest.offset()), d.size() - ingest.offset())) {
                        ingest.append(in);
                    }
                    if (ingest.offset() != d.size()) {
                        throw new IOException("blob " + d.digest() + " ended after " + ingest.offset() + " of its " + d.size() + " bytes");
                    }
                    ingest.commit();
                } finally {
                    turn.unlock();
                }
            }
        }
        bytes.addAndGet(d.size());
        copied.incrementAndGet();
        events.layer(d.digest(), "Copied");
    }

    private void skipped(Descriptor d) {
        events.layer(d.digest(), "Already exists");
        skipped.incrementAndGet();
    }

    /** A child by its digest; the root under the destination's tag (or its digest), last. */
    private static void putManifest(Endpoint to, Descriptor d, byte[] content, boolean root) throws IOException {
        switch (to) {
            case Registry dst -> {
                Reference ref = dst.ref();
                if (root && ref.digest() != null && !ref.digest().equals(d.digest())) {
                    throw new IOException("the destination names " + ref.digest() + " but the image copied is " + d.digest());
                }
                String reference = !root || ref.tag() == null || ref.digest() != null ? d.digest().toString() : ref.tag().value();
                dst.client().putManifest(ref.repository(), reference, d.mediaType(), content, d.digest());
            }
            case Layout dst -> {
                dst.store().put(d.digest(), content);
                if (root && dst.name() != null) dst.store().tag(dst.name(), d);
            }
        }
    }

    static String describe(Endpoint e) {
        return switch (e) {
            case Registry r -> "docker://" + r.ref();
            case Layout l -> l.store().root() + (l.name() == null ? "" : ":" + l.name());
        };
    }

}
