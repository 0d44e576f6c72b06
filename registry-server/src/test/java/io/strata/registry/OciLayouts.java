package io.strata.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.oci.Digest;
import io.strata.oci.MediaType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Writes small but real OCI image layouts (gzip tar layers, config with diff ids) for interop tests. */
public final class OciLayouts {
    private static final ObjectMapper JSON = new ObjectMapper();

    private OciLayouts() {}

    public record Image(Digest manifest, List<Digest> blobs) {}

    /** The bytes of {@code layer<i>/file.bin} in an image {@link #write} made with these arguments. */
    public static byte[] fileContent(int layer, int fileSize, long seed) {
        Random random = new Random(seed);
        byte[] content = new byte[fileSize];
        for (int i = 0; i <= layer; i++) random.nextBytes(content);
        return content;
    }

    /** An image of {@code layers} layers, layer i holding {@code layer<i>/file.bin} of {@code fileSize} random bytes. */
    public static Image write(Path dir, String refName, int layers, int fileSize, long seed) throws IOException {
        return write(dir, refName, layers, fileSize, seed, "amd64");
    }

    /**
     * One image per architecture in one layout, and an OCI index over them named {@code refName};
     * returns the index digest first, then each image's manifest digest in order.
     */
    public static List<Digest> writeIndex(Path dir, String refName, List<String> architectures, long seed) throws IOException {
        List<Digest> out = new ArrayList<>();
        List<String> entries = new ArrayList<>();
        for (int i = 0; i < architectures.size(); i++) {
            Image image = write(dir, refName + "-" + architectures.get(i), 2, 1000, seed + i, architectures.get(i));
            out.add(image.manifest());
            entries.add("{\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"digest\":\"" + image.manifest() + "\",\"size\":"
                    + Files.size(dir.resolve("blobs/sha256/" + image.manifest().encoded()))
                    + ",\"platform\":{\"architecture\":\"" + architectures.get(i) + "\",\"os\":\"linux\"}}");
        }
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_INDEX + "\",\"manifests\":["
                + String.join(",", entries) + "]}").getBytes(StandardCharsets.UTF_8);
        Digest d = blob(dir, index);
        out.addFirst(d);
        Files.writeString(dir.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" + MediaType.OCI_INDEX
                + "\",\"digest\":\"" + d + "\",\"size\":" + index.length
                + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + refName + "\"}}]}");
        return out;
    }

    private static Image write(Path dir, String refName, int layers, int fileSize, long seed, String architecture) throws IOException {
        Files.createDirectories(dir.resolve("blobs/sha256"));
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Random random = new Random(seed);
        List<String> layerDescriptors = new ArrayList<>();
        List<String> diffIds = new ArrayList<>();
        List<Digest> blobs = new ArrayList<>();
        for (int i = 0; i < layers; i++) {
            byte[] content = new byte[fileSize];
            random.nextBytes(content);
            ByteArrayOutputStream tar = new ByteArrayOutputStream();
            try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
                TarArchiveEntry e = new TarArchiveEntry("layer" + i + "/file.bin");
                e.setSize(content.length);
                e.setModTime(0);
                out.putArchiveEntry(e);
                out.write(content);
                out.closeArchiveEntry();
            }
            diffIds.add(Digest.sha256(tar.toByteArray()).toString());
            ByteArrayOutputStream gz = new ByteArrayOutputStream();
            try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
                out.write(tar.toByteArray());
            }
            Digest d = blob(dir, gz.toByteArray());
            blobs.add(d);
            layerDescriptors.add("{\"mediaType\":\"" + MediaType.OCI_LAYER_GZIP + "\",\"digest\":\"" + d + "\",\"size\":"
                    + gz.size() + "}");
        }
        byte[] config = ("{\"architecture\":\"" + architecture + "\",\"os\":\"linux\",\"config\":{},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":"
                + JSON.writeValueAsString(diffIds) + "},\"history\":[]}").getBytes(StandardCharsets.UTF_8);
        Digest c = blob(dir, config);
        blobs.add(c);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
                + MediaType.OCI_CONFIG + "\",\"digest\":\"" + c + "\",\"size\":" + config.length + "},\"layers\":["
                + String.join(",", layerDescriptors) + "]}").getBytes(StandardCharsets.UTF_8);
        Digest m = blob(dir, manifest);
        Files.writeString(dir.resolve("index.json"), "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" + MediaType.OCI_MANIFEST
                + "\",\"digest\":\"" + m + "\",\"size\":" + manifest.length
                + ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + refName + "\"}}]}");
        return new Image(m, blobs);
    }

    private static Digest blob(Path dir, byte[] content) throws IOException {
        Digest d = Digest.sha256(content);
        Files.write(dir.resolve("blobs/sha256/" + d.encoded()), content);
        return d;
    }

    /** The manifest digest index.json names for {@code refName}. */
    public static Digest manifestOf(Path dir, String refName) throws IOException {
        JsonNode index = JSON.readTree(dir.resolve("index.json").toFile());
        for (JsonNode m : index.path("manifests")) {
            if (refName.equals(m.path("annotations").path("org.opencontainers.image.ref.name").asText())) {
                return Digest.parse(m.path("digest").asText());
            }
        }
        throw new AssertionError("no " + refName + " in " + index);
    }

    /** Whether the layout holds the blob, with bytes that hash to its name. */
    public static boolean hasBlob(Path dir, Digest d) throws Exception {
        Path p = dir.resolve("blobs/" + d.algorithm().id() + "/" + d.encoded());
        if (!Files.exists(p)) return false;
        MessageDigest md = d.algorithm().newMessageDigest();
        return Digest.of(d.algorithm(), md.digest(Files.readAllBytes(p))).equals(d);
    }
}
