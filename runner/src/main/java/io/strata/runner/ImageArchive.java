package io.strata.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.DigestAlgorithm;
import io.strata.oci.ImageConfig;
import io.strata.oci.ImageJson;
import io.strata.oci.Index;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import io.strata.snapshots.TarEntry;
import io.strata.snapshots.TarReader;
import io.strata.snapshots.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Images in a tar, to move them without a registry. {@link #save} writes an OCI image layout
 * (read by {@code skopeo copy oci-archive:} and {@code podman load}) with Docker's
 * {@code manifest.json} beside it (read by {@code docker load}); {@link #load} reads those and
 * {@code docker save} archives. Every blob is verified against its digest before it is stored.
 */
public final class ImageArchive {
    private static final int MAX_METADATA = 4 << 20;

    private ImageArchive() {}

    /** A named image to save: its name in the store and its manifest. */
    public record Named(String name, Descriptor manifest) {}

    public static void save(LayoutStore store, List<Named> images, OutputStream out) throws IOException {
        Set<Digest> written = new LinkedHashSet<>();
        ArrayNode dockerManifest = ImageJson.plain().createArrayNode();
        ObjectNode index = ImageJson.plain().createObjectNode();
        index.put("schemaVersion", 2);
        index.put("mediaType", MediaType.OCI_INDEX);
        ArrayNode manifests = index.putArray("manifests");
        try (TarWriter tar = new TarWriter(out)) {
            file(tar, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes());
            for (Named image : images) {
                if (MediaType.INDEXES.contains(image.manifest().mediaType())) {
                    throw new IllegalArgumentException(image.name() + " is an index: save one platform's image");
                }
                Manifest m = Manifest.parse(store.read(image.manifest().digest()));
                for (Descriptor d : m.blobs()) blob(tar, store, d.digest(), written);
                blob(tar, store, image.manifest().digest(), written);
                ObjectNode entry = manifests.addObject();
                entry.put("mediaType", image.manifest().mediaType());
                entry.put("digest", image.manifest().digest().toString());
                entry.put("size", image.manifest().size());
                ObjectNode annotations = entry.putObject("annotations");
                annotations.put("org.opencontainers.image.ref.name", image.name());
                annotations.put("io.containerd.image.name", image.name());
                ObjectNode d = dockerManifest.addObject();
                d.put("Config", path(m.config().digest()));
                d.putArray("RepoTags").add(image.name());
                ArrayNode layers = d.putArray("Layers");
                for (Descriptor l : m.layers()) layers.add(path(l.digest()));
            }
            file(tar, "index.json", ImageJson.plain().writeValueAsBytes(index));
            file(tar, "manifest.json", ImageJson.plain().writeValueAsBytes(dockerManifest));
        }
    }

    private static String path(Digest d) {
        return "blobs/" + d.algorithm().id() + "/" + d.encoded();
    }

    private static void file(TarWriter tar, String name, byte[] content) throws IOException {
        tar.header(new TarEntry(name, TarEntry.Type.FILE, 0644, 0, 0, content.length, content.length, 0, 0, "", 0, 0, Map.of(), null));
        tar.data(new ByteArrayInputStream(content), content.length);
    }

    private static void blob(TarWriter tar, LayoutStore store, Digest d, Set<Digest> written) throws IOException {
        if (!written.add(d)) return;
        if (!store.has(d)) throw new IOException("blob " + d + " is not in the store: pull the image again");
        long size = Files.size(store.blobPath(d));
        tar.header(new TarEntry(path(d), TarEntry.Type.FILE, 0644, 0, 0, size, size, 0, 0, "", 0, 0, Map.of(), null));
        try (InputStream in = Files.newInputStream(store.blobPath(d))) {
            tar.data(in, size);
        }
    }

    /** Loads every image of an archive into the store; returns the names given. */
    public static List<String> load(LayoutStore store, InputStream archive) throws IOException {
        TarReader tar = new TarReader(archive);
        Map<String, byte[]> metadata = new HashMap<>();      // index.json, manifest.json, docker's configs
        Map<String, Digest> fileDigests = new HashMap<>();    // archive path → digest of its bytes
        Map<String, String> links = new HashMap<>();
        for (TarEntry e; (e = tar.next()) != null; ) {
            String name = e.name().replaceFirst("^\\./", "");
            if (e.type() == TarEntry.Type.SYMLINK || e.type() == TarEntry.Type.HARDLINK) {
                String target = e.type() == TarEntry.Type.SYMLINK && !e.linkName().startsWith("/")
                        ? Path.of(name).resolveSibling(e.linkName()).normalize().toString() : e.linkName().replaceFirst("^\\./", "");
                links.put(name, target);
                continue;
            }
            if (e.type() != TarEntry.Type.FILE) continue;
            InputStream data = tar.data();
            if (name.equals("index.json") || name.equals("manifest.json") || (name.endsWith(".json") && !name.startsWith("blobs/"))) {
                if (e.size() > MAX_METADATA) throw new IOException(name + " in the archive is larger than 4 MiB");
                byte[] bytes = data.readAllBytes();
                metadata.put(name, bytes);
                data = new ByteArrayInputStream(bytes);
            }
            if (name.equals("index.json") || name.equals("manifest.json") || name.equals("oci-layout") || name.equals("repositories")) continue;
            fileDigests.put(name, store(store, data, name));
        }
        for (var l : links.entrySet()) {
            Digest d = fileDigests.get(l.getValue());
            if (d != null) fileDigests.put(l.getKey(), d);
        }
        if (metadata.containsKey("index.json")) return loadLayout(store, metadata.get("index.json"));
        if (metadata.containsKey("manifest.json")) return loadDocker(store, metadata, fileDigests);
        throw new IOException("not an image archive: it has neither index.json (OCI) nor manifest.json (docker save)");
    }

    /** Stores one file of the archive, verified: a blob by its name, anything else by the digest computed. */
    private static Digest store(LayoutStore store, InputStream data, String name) throws IOException {
        Path scratch = store.scratch();
        MessageDigest sha = DigestAlgorithm.SHA256.newStreamingDigest();
        try (OutputStream out = new DigestOutputStream(Files.newOutputStream(scratch), sha)) {
            data.transferTo(out);
        }
        Digest actual = Digest.of(DigestAlgorithm.SHA256, sha.digest());
        if (name.startsWith("blobs/sha256/")) {
            Digest named = Digest.parse("sha256:" + name.substring("blobs/sha256/".length()));
            if (!named.equals(actual)) {
                Files.deleteIfExists(scratch);
                throw new io.strata.oci.DigestMismatchException(name, named, actual);
            }
        }
        store.putFile(scratch, actual);
        return actual;
    }

    private static List<String> loadLayout(LayoutStore store, byte[] indexJson) throws IOException {
        List<String> names = new ArrayList<>();
        for (Descriptor d : Index.parse(indexJson).manifests()) {
            String name = d.annotations().getOrDefault("io.containerd.image.name", d.annotations().get("org.opencontainers.image.ref.name"));
            if (!store.has(d.digest())) throw new IOException("the archive's index names " + d.digest() + ", which it does not hold");
            if (!MediaType.INDEXES.contains(d.mediaType())) {
                for (Descriptor b : Manifest.parse(store.read(d.digest())).blobs()) {
                    if (!store.has(b.digest())) throw new IOException("the archive lacks blob " + b.digest() + " of " + d.digest());
                }
            }
            name = name == null ? d.digest().toString() : normalise(name);
            store.tag(name, new Descriptor(d.mediaType(), d.digest(), d.size()));
            names.add(name);
        }
        return names;
    }

    /** The name a pull would give the reference (docker.io/library/busybox:latest for busybox:latest). */
    private static String normalise(String name) {
        try {
            return io.strata.client.Puller.nameOf(io.strata.oci.Reference.parse(name));
        } catch (IllegalArgumentException e) {
            return name;
        }
    }

    /** docker save: manifest.json lists each image's config file and uncompressed layer files. */
    private static List<String> loadDocker(LayoutStore store, Map<String, byte[]> metadata, Map<String, Digest> files) throws IOException {
        List<String> names = new ArrayList<>();
        for (JsonNode image : ImageJson.plain().readTree(metadata.get("manifest.json"))) {
            String configPath = image.path("Config").asText();
            Digest configDigest = files.get(configPath);
            if (configDigest == null) throw new IOException("the archive lacks " + configPath);
            byte[] config = store.read(configDigest);
            ImageConfig parsed = ImageConfig.parse(config);
            List<Descriptor> layers = new ArrayList<>();
            for (JsonNode l : image.path("Layers")) {
                Digest d = files.get(l.asText());
                if (d == null) throw new IOException("the archive lacks layer " + l.asText());
                layers.add(new Descriptor(MediaType.OCI_LAYER, d, Files.size(store.blobPath(d))));
            }
            List<Digest> diffIds = parsed.rootfs().diffIds();
            for (int i = 0; i < layers.size(); i++) {
                if (i >= diffIds.size() || !layers.get(i).digest().equals(diffIds.get(i))) {
                    throw new IOException("layer " + i + " of " + configPath + " is not the DiffID its config lists");
                }
            }
            Manifest manifest = new Manifest(2, MediaType.OCI_MANIFEST, null, new Descriptor(MediaType.OCI_CONFIG, configDigest, config.length),
                    layers, null, null);
            Descriptor stored = store.put(manifest);
            Digest digest = stored.digest();
            List<String> tags = new ArrayList<>();
            for (JsonNode t : image.path("RepoTags")) tags.add(t.asText());
            if (tags.isEmpty()) tags.add(digest.toString());
            for (String t : tags) {
                store.tag(normalise(t), stored);
                names.add(normalise(t));
            }
        }
        return names;
    }

}
