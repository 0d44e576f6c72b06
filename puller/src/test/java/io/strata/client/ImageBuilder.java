package io.strata.client;

import com.github.luben.zstd.ZstdOutputStream;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.ImageConfig;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import io.strata.registry.ExternalTool;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/**
 * Writes OCI image layouts from layer tars made by GNU tar (the real tool) or by a test, each layer
 * gzip, zstd or uncompressed; the config's DiffIDs are the tars' digests unless a test says otherwise.
 */
public final class ImageBuilder {
    public enum Compression { NONE, GZIP, ZSTD }

    private final List<Path> tars = new ArrayList<>();
    private final List<Digest> diffIdOverrides = new ArrayList<>();
    private ImageConfig.Config config =
            new ImageConfig.Config(null, null, List.of("PATH=/usr/bin:/bin"), null, List.of("/bin/sh"), null, null, null, null);

    private List<ImageConfig.History> history = List.of();
    private String created = "2026-01-01T00:00:00Z";

    /** The config's build steps, and when the image was made. */
    public ImageBuilder history(String created, List<ImageConfig.History> steps) {
        this.created = created;
        this.history = List.copyOf(steps);
        return this;
    }

    /** What the image runs (the config's "config"). */
    public ImageBuilder config(ImageConfig.Config runConfig) {
        this.config = runConfig;
        return this;
    }

    public ImageBuilder layer(Path tar) {
        tars.add(tar);
        diffIdOverrides.add(null);
        return this;
    }

    /** A layer whose config lists another DiffID than its content has. */
    ImageBuilder layerWithDiffId(Path tar, Digest claimed) {
        tars.add(tar);
        diffIdOverrides.add(claimed);
        return this;
    }

    /** GNU tar of {@code paths} (relative to {@code dir}, in this order, not recursing) in PAX format with xattrs. */
    public static Path gnuTar(Path dir, Path out, List<String> paths, String... extra) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tar", "--format=posix", "--xattrs", "--xattrs-include=*", "--numeric-owner",
                "--no-recursion", "-C", dir.toString(), "-cf", out.toString()));
        cmd.addAll(List.of(extra));
        cmd.add("--");
        cmd.addAll(paths);
        var r = ExternalTool.run(cmd);
        if (r.exit() != 0) throw new AssertionError(cmd + ": " + r.err());
        return out;
    }

    /** Writes the layout and names the image {@code tag}; returns the manifest. */
    public Manifest write(Path layout, String tag, Compression compression) throws IOException {
        Files.createDirectories(layout.resolve("blobs/sha256"));
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        List<Descriptor> layers = new ArrayList<>();
        List<Digest> diffIds = new ArrayList<>();
        for (int i = 0; i < tars.size(); i++) {
            Path tar = tars.get(i);
            Digest diffId = Digest.sha256(Files.readAllBytes(tar));
            diffIds.add(diffIdOverrides.get(i) != null ? diffIdOverrides.get(i) : diffId);
            Path temp = layout.resolve("blobs/tmp");
            MessageDigest sha = io.strata.oci.DigestAlgorithm.SHA256.newMessageDigest();
            try (OutputStream file = new DigestOutputStream(Files.newOutputStream(temp), sha);
                 OutputStream out = switch (compression) {
                     case NONE -> file;
                     case GZIP -> new GZIPOutputStream(file);
                     case ZSTD -> new ZstdOutputStream(file);
                 }) {
                Files.copy(tar, out);
            }
            Digest d = Digest.of(io.strata.oci.DigestAlgorithm.SHA256, sha.digest());
            long size = Files.size(temp);
            Files.move(temp, layout.resolve("blobs/sha256/" + d.encoded()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            layers.add(new Descriptor(switch (compression) {
                case NONE -> MediaType.OCI_LAYER;
                case GZIP -> MediaType.OCI_LAYER_GZIP;
                case ZSTD -> MediaType.OCI_LAYER_ZSTD;
            }, d, size));
        }
        ImageConfig config = new ImageConfig(created, null, "amd64", "linux", null, null, this.config,
                new ImageConfig.RootFs("layers", diffIds), history);
        Descriptor c = blob(layout, MediaType.OCI_CONFIG, config.toJson());
        Manifest manifest = new Manifest(2, MediaType.OCI_MANIFEST, null, c, layers, null, null);
        Descriptor m = blob(layout, MediaType.OCI_MANIFEST, manifest.toJson());
        Files.writeString(layout.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" + MediaType.OCI_MANIFEST
                + "\",\"digest\":\"" + m.digest() + "\",\"size\":" + m.size()
                + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + tag + "\"}}]}");
        return manifest;
    }

    private static Descriptor blob(Path layout, String type, byte[] content) throws IOException {
        Digest d = Digest.sha256(content);
        Files.write(layout.resolve("blobs/sha256/" + d.encoded()), content);
        return new Descriptor(type, d, content.length);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
