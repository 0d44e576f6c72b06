package io.strata.runner;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.oci.ImageJson;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Named volumes under the store's {@code volumes/NAME/}: the data a container mounts at {@code _data}
 * (docker's layout), and {@code volume.json} with its name, labels, creation time and whether it
 * was made anonymously for an image's VOLUME. A volume outlives its containers; which containers use
 * one is read from what each recorded at create ({@link #recordUse}), so {@code rm} of a volume in
 * use is refused naming them.
 */
public final class Volumes {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}");
    private static final String USES = "volumes.json";

    private final Path root;
    private final ContainerStore containers;

    public Volumes(Path root, ContainerStore containers) {
        this.root = root;
        this.containers = containers;
    }

    /** A volume as {@code volume ls} and {@code inspect} show it. */
    public record Volume(String name, Path mountpoint, String createdAt, Map<String, String> labels, boolean anonymous) {}

    /** Whether {@code -v X:/path}'s X names a volume rather than a host path (which is absolute). */
    public static boolean isName(String source) {
        return !source.startsWith("/") && !source.startsWith(".");
    }

    static void checkName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid volume name " + name + ": letters, digits, _ . - (starting with a letter or digit)");
        }
    }

    private Path dir(String name) {
        return root.resolve(name);
    }

    /** Makes a volume; one of that name already there is refused, as podman refuses it. */
    public Volume create(String name, Map<String, String> labels) throws IOException {
        Volume v = createIfAbsent(name, labels, false);
        if (v == null) throw new IllegalArgumentException("volume " + name + " already exists");
        return v;
    }

    /** The volume of that name, made (empty) when there is none: {@code -v NAME:/path} on first use. */
    public Volume getOrCreate(String name) throws IOException {
        Volume made = createIfAbsent(name, Map.of(), false);
        return made != null ? made : get(name);
    }

    /** A volume of a fresh random name, for an image's VOLUME that no -v covers. */
    public Volume createAnonymous() throws IOException {
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        return createIfAbsent(HexFormat.of().formatHex(random), Map.of(), true);
    }

    private Volume createIfAbsent(String name, Map<String, String> labels, boolean anonymous) throws IOException {
        checkName(name);
        Files.createDirectories(root);
        try (FileChannel ch = FileChannel.open(root.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             var ignored = ch.lock()) {
            if (Files.exists(dir(name).resolve("volume.json"))) return null;
            // Made under a temporary name and renamed: a volume is whole or absent.
            Path temp = root.resolve(".new-" + name);
            io.strata.snapshots.OverlaySnapshotter.deleteTree(temp);
            Files.createDirectories(temp.resolve("_data"));
            Volume v = new Volume(name, dir(name).resolve("_data"), Instant.now().toString(), Map.copyOf(labels), anonymous);
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("name", name);
            meta.put("createdAt", v.createdAt());
            meta.put("labels", v.labels());
            meta.put("anonymous", anonymous);
            Files.write(temp.resolve("volume.json"), ImageJson.plain().writeValueAsBytes(meta));
            Files.move(temp, dir(name), StandardCopyOption.ATOMIC_MOVE);
            return v;
        }
    }

    public Volume get(String name) throws IOException {
        checkName(name);
        JsonNode n;
        try {
            n = ImageJson.plain().readTree(Files.readAllBytes(dir(name).resolve("volume.json")));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("no such volume: " + name);
        }
        Map<String, String> labels = new LinkedHashMap<>();
        n.path("labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        return new Volume(name, dir(name).resolve("_data"), n.path("createdAt").asText(), labels, n.path("anonymous").asBoolean());
    }

    public List<Volume> list() throws IOException {
        List<Volume> out = new ArrayList<>();
        if (!Files.isDirectory(root)) return out;
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : dirs.sorted().toList()) {
                if (Files.exists(d.resolve("volume.json"))) out.add(get(d.getFileName().toString()));
            }
        }
        return out;
    }

    /** The containers that use the volume (by id), running or not. */
    public List<String> users(String name) throws IOException {
        List<String> out = new ArrayList<>();
        for (Container c : containers.list()) {
            for (Use u : uses(containers.dir(c.id()))) if (u.volume().equals(name)) out.add(c.id());
        }
        out.sort(null);
        return out;
    }

    /** Removes a volume no container uses; one in use is refused, naming the containers. */
    public void remove(String name) throws IOException {
        get(name); // a clear error for one that does not exist
        List<String> users = users(name);
        if (!users.isEmpty()) {
            throw new IllegalStateException("volume " + name + " is in use by container " + String.join(", ",
                    users.stream().map(id -> id.substring(0, 12)).toList()));
        }
        // Renamed away first: a volume is either whole or gone, even if the removal is interrupted.
        Path gone = root.resolve(".gone-" + name);
        io.strata.snapshots.OverlaySnapshotter.deleteTree(gone);
        Files.move(dir(name), gone, StandardCopyOption.ATOMIC_MOVE);
        io.strata.snapshots.OverlaySnapshotter.deleteTree(gone);
    }

    /** Removes every volume no container uses; returns their names. */
    /** The bytes a volume's data holds (what system df counts). */
    public long size(String name) throws IOException {
        Path data = get(name).mountpoint();
        if (!Files.isDirectory(data)) return 0;
        long[] total = {0};
        Files.walkFileTree(data, new java.nio.file.SimpleFileVisitor<>() {
            @Override
            public java.nio.file.FileVisitResult visitFile(Path f, java.nio.file.attribute.BasicFileAttributes a) {
                if (a.isRegularFile()) total[0] += a.size();
                return java.nio.file.FileVisitResult.CONTINUE;
            }

            @Override
            public java.nio.file.FileVisitResult visitFileFailed(Path f, IOException e) {
                return java.nio.file.FileVisitResult.CONTINUE; // removed meanwhile
            }
        });
        return total[0];
    }

    public List<String> prune() throws IOException {
        List<String> removed = new ArrayList<>();
        for (Volume v : list()) {
            if (users(v.name()).isEmpty()) {
                remove(v.name());
                removed.add(v.name());
            }
        }
        return removed;
    }

    /** A volume a container mounts, and whether it was made for it anonymously (rm -v removes those). */
    public record Use(String volume, String destination, boolean anonymous) {}

    /** Records which volumes a container uses (at create). */
    static void recordUse(Path containerDir, List<Use> uses) throws IOException {
        if (uses.isEmpty()) return;
        Files.write(containerDir.resolve(USES), ImageJson.plain().writeValueAsBytes(uses));
    }

    static List<Use> uses(Path containerDir) throws IOException {
        JsonNode n;
        try {
            n = ImageJson.plain().readTree(Files.readAllBytes(containerDir.resolve(USES)));
        } catch (NoSuchFileException e) {
            return List.of();
        }
        List<Use> out = new ArrayList<>();
        for (JsonNode u : n) out.add(new Use(u.path("volume").asText(), u.path("destination").asText(), u.path("anonymous").asBoolean()));
        return out;
    }

}
