package io.strata.runner;

import com.github.luben.zstd.ZstdOutputStream;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.DigestAlgorithm;
import io.strata.oci.ImageConfig;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import io.strata.snapshots.LayerWriter;
import io.strata.snapshots.OverlaySnapshotter;
import io.strata.snapshots.Snapshotter;
import io.strata.snapshots.TarWriter;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Commits a container's writable layer as a new image: the layer dir becomes a layer tar
 * (whiteouts as {@code .wh.} entries), compressed and stored; the config gets its DiffID and a
 * history entry; the manifest its descriptor. The container is not changed: it can be committed
 * again, before and after further changes, its diff and its image stay what they were, as docker's.
 * A running container is frozen while its layer is read (docker's --pause), so the layer is one
 * moment of it. The new image's top layer is unpacked from the stored blob like any pulled layer
 * (the caller's unpack), so its snapshot is what any host would make of the image.
 */
public final class Committer {
    public enum Compression {
        GZIP, ZSTD;

        /** --compress's value: gzip or zstd. */
        public static Compression parse(String name) {
            return switch (name) {
                case "gzip" -> GZIP;
                case "zstd" -> ZSTD;
                default -> throw new IllegalArgumentException("--compress must be gzip or zstd, was " + name);
            };
        }
    }

    private final LayoutStore store;
    private final OverlaySnapshotter snapshotter;
    private final Runner runner;

    public Committer(LayoutStore store, OverlaySnapshotter snapshotter, Runner runner) {
        this.store = store;
        this.snapshotter = snapshotter;
        this.runner = runner;
    }

    /** What commit made: the manifest stored (and named). */
    public record Committed(Descriptor manifest, Digest diffId, Digest layer) {}

    public Committed commit(Container c, String name, String message, List<String> changes, Compression compression, boolean pause)
            throws IOException {
        return commit(c, name, message, changes, compression, pause, String.join(" ", c.command()));
    }

    /** As above, with the history entry's created_by given (a build's step says what made it). */
    public Committed commit(Container c, String name, String message, List<String> changes, Compression compression, boolean pause,
                            String createdBy) throws IOException {
        return commit(c, name, message, changes, compression, pause, createdBy, null);
    }

    /** As above; with {@code sourceDateEpoch}, the times in the layer and the config are clamped to it (reproducible builds). */
    public Committed commit(Container c, String name, String message, List<String> changes, Compression compression, boolean pause,
                            String createdBy, Long sourceDateEpoch) throws IOException {
        Container now = runner.refresh(c);
        boolean running = now.status() == Container.Status.RUNNING;
        if (running && pause) runner.runtime(c).pause(c.id());
        try {
            return commitPaused(c, name, message, changes, compression, createdBy, sourceDateEpoch);
        } finally {
            if (running && pause) runner.runtime(c).resume(c.id());
        }
    }

    private Committed commitPaused(Container c, String name, String message, List<String> changes, Compression compression, String createdBy,
                                   Long sourceDateEpoch) throws IOException {
        Manifest base = Manifest.parse(store.read(Digest.parse(c.imageDigest())));
        ImageConfig baseConfig = ImageConfig.parse(store.read(base.config().digest()));
        Snapshotter.Info info = snapshotter.stat(c.snapshot()).orElseThrow(() -> new IOException("container " + c.name() + " has no snapshot"));

        // What the runtime made to mount on is not the container's change: left out of the tar.
        java.util.Set<String> leftOut = LayerWriter.mountpointsLeftOut(snapshotter.layerDir(c.snapshot()),
                info.parent() == null ? List.of() : snapshotter.chain(info.parent()), runner.mountpoints(c));

        Layer layer = storeLayer(store, compression, out -> {
            try (TarWriter tar = new TarWriter(out).clampTimes(sourceDateEpoch)) {
                LayerWriter.write(snapshotter.layerDir(c.snapshot()), tar, leftOut);
            }
        });
        Digest layerDigest = layer.digest();
        Digest diffId = layer.diffId();

        List<Digest> diffIds = new ArrayList<>(baseConfig.rootfs().diffIds());
        diffIds.add(diffId);
        List<ImageConfig.History> history = new ArrayList<>(baseConfig.history());
        String created = (sourceDateEpoch != null ? Instant.ofEpochSecond(sourceDateEpoch) : Instant.now()).toString();
        history.add(new ImageConfig.History(created, null, createdBy, message == null || message.isEmpty() ? null : message, false));
        ImageConfig config = new ImageConfig(created, baseConfig.author(), baseConfig.architecture(), baseConfig.os(),
                baseConfig.osVersion(), baseConfig.variant(), apply(baseConfig.config(), changes),
                new ImageConfig.RootFs("layers", diffIds), history);
        byte[] configBytes = config.toJson();
        Digest configDigest = Digest.sha256(configBytes);
        store.put(configDigest, configBytes);

        List<Descriptor> layers = new ArrayList<>();
        for (Descriptor d : base.layers()) layers.add(new Descriptor(ociLayerType(d.mediaType()), d.digest(), d.size()));
        layers.add(layer.descriptor());
        Manifest manifest = new Manifest(2, MediaType.OCI_MANIFEST, null, new Descriptor(MediaType.OCI_CONFIG, configDigest, configBytes.length),
                layers, null, null);
        Descriptor stored = store.put(manifest);

        if (name != null) store.tag(name, stored);
        return new Committed(stored, diffId, layerDigest);
    }

    /** A layer blob in the store: its digest, its DiffID and its size. */
    public record Layer(Digest digest, Digest diffId, long size, Compression compression) {
        public Descriptor descriptor() {
            return new Descriptor(compression == Compression.GZIP ? MediaType.OCI_LAYER_GZIP : MediaType.OCI_LAYER_ZSTD, digest, size);
        }
    }

    /** What writes a layer's tar bytes. */
    public interface TarSource {
        void writeTo(OutputStream tar) throws IOException;
    }

    /**
     * Stores the tar {@code source} writes as a layer blob: tar → DiffID hash → compression → blob
     * hash → a scratch file of the store, put in place under its digest once whole.
     */
    public static Layer storeLayer(LayoutStore store, Compression compression, TarSource source) throws IOException {
        Path scratch = store.scratch();
        MessageDigest blobHash = DigestAlgorithm.SHA256.newStreamingDigest();
        MessageDigest diffHash = DigestAlgorithm.SHA256.newStreamingDigest();
        try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(scratch), 1 << 16);
             OutputStream blob = new DigestOutputStream(file, blobHash);
             OutputStream compressed = compression == Compression.GZIP ? new io.strata.snapshots.ParallelGzipOutputStream(blob) : new ZstdOutputStream(blob);
             OutputStream tarBytes = new DigestOutputStream(compressed, diffHash)) {
            source.writeTo(tarBytes);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(scratch);
            throw e;
        }
        Digest layerDigest = Digest.of(DigestAlgorithm.SHA256, blobHash.digest());
        long size = Files.size(scratch);
        store.putFile(scratch, layerDigest);
        return new Layer(layerDigest, Digest.of(DigestAlgorithm.SHA256, diffHash.digest()), size, compression);
    }

    /** Docker's layer media types have OCI equivalents with the same bytes. */
    private static String ociLayerType(String type) {
        return switch (type) {
            case MediaType.DOCKER_LAYER_GZIP -> MediaType.OCI_LAYER_GZIP;
            case "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" -> "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
            default -> type;
        };
    }

    /** Dockerfile-style changes (docker commit --change): CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL. */
    static ImageConfig.Config apply(ImageConfig.Config base, List<String> changes) {
        if (changes == null) changes = List.of();
        ImageConfig.Config c = base != null ? base : new ImageConfig.Config(null, null, null, null, null, null, null, null, null);
        String user = c.user(), workdir = c.workingDir(), stop = c.stopSignal();
        List<String> env = c.env() == null ? new ArrayList<>() : new ArrayList<>(c.env());
        List<String> entrypoint = c.entrypoint(), cmd = c.cmd();
        Map<String, String> labels = c.labels() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(c.labels());
        Map<String, Object> ports = c.exposedPorts() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(c.exposedPorts());
        for (String change : changes) {
            String t = change.strip();
            int sp = t.indexOf(' ');
            if (sp < 0) throw new IllegalArgumentException("a change is INSTRUCTION ARGUMENTS, was " + change);
            String instruction = t.substring(0, sp).toUpperCase();
            String arg = t.substring(sp + 1).strip();
            switch (instruction) {
                case "CMD" -> cmd = commandForm(arg);
                case "ENTRYPOINT" -> entrypoint = commandForm(arg);
                case "ENV" -> {
                    String kv = arg.contains("=") ? arg : arg.replaceFirst("\\s+", "=");
                    String key = kv.substring(0, kv.indexOf('='));
                    env.removeIf(e -> e.startsWith(key + "="));
                    env.add(kv);
                }
                case "WORKDIR" -> workdir = arg;
                case "USER" -> user = arg;
                case "STOPSIGNAL" -> stop = arg;
                case "LABEL" -> {
                    int eq = arg.indexOf('=');
                    if (eq <= 0) throw new IllegalArgumentException("LABEL is KEY=VALUE, was " + arg);
                    labels.put(arg.substring(0, eq), unquote(arg.substring(eq + 1)));
                }
                case "EXPOSE" -> ports.put(arg.contains("/") ? arg : arg + "/tcp", Map.of());
                default -> throw new IllegalArgumentException("unsupported change " + instruction
                        + " (CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL)");
            }
        }
        return new ImageConfig.Config(user, ports.isEmpty() ? null : ports, env, entrypoint, cmd, c.volumes(), workdir,
                labels.isEmpty() ? null : labels, stop).withExtensionsOf(c);
    }

    /** The exec form (a JSON array) as it is; the shell form through /bin/sh -c. */
    private static List<String> commandForm(String arg) {
        if (arg.startsWith("[")) {
            try {
                return List.of(io.strata.oci.ImageJson.plain().readValue(arg.getBytes(StandardCharsets.UTF_8), String[].class));
            } catch (IOException e) {
                throw new IllegalArgumentException("invalid JSON array " + arg);
            }
        }
        return List.of("/bin/sh", "-c", arg);
    }

    private static String unquote(String s) {
        return s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"") ? s.substring(1, s.length() - 1) : s;
    }
}
