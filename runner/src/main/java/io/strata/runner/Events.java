package io.strata.runner;

import io.strata.oci.JsonOut;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What happened to containers and images, as docker events reports it: a JSON line per event in
 * {@code events.jsonl} at the store's root, appended by whichever command did it (one write of one
 * line, O_APPEND: lines of concurrent commands never mix), kept to about 10 MiB (one older file).
 */
public final class Events {
    static final long MAX = 10L << 20;
    private final Path file;

    public Events(Path storeRoot) {
        this.file = storeRoot.resolve("events.jsonl");
    }

    public Path file() {
        return file;
    }

    /** Records an event: {@code type} container or image, docker's {@code action} (create, start, die, pull, tag…), the object's id and attributes. */
    public void emit(String type, String action, String id, Map<String, String> attributes) {
        try {
            Instant now = Instant.now();
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("Type", type);
            e.put("Action", action);
            e.put("ID", id);
            e.put("Attributes", attributes);
            e.put("time", now.getEpochSecond());
            e.put("timeNano", now.getEpochSecond() * 1_000_000_000L + now.getNano());
            byte[] line = (new String(JsonOut.tree(false, e), java.nio.charset.StandardCharsets.UTF_8) + "\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8);
            Files.createDirectories(file.getParent());
            if (Files.exists(file) && Files.size(file) > MAX) {
                Files.move(file, file.resolveSibling("events.jsonl.1"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.write(file, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException | RuntimeException e) {
            // An event that cannot be written does not fail what happened.
        }
    }

    void container(Container c, String action, Map<String, String> more) {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("image", c.image());
        a.put("name", c.name());
        a.putAll(more);
        emit("container", action, c.id(), a);
    }

    void container(Container c, String action) {
        container(c, action, Map.of());
    }

    /**
     * The exit code the last {@code die} event of container {@code id} recorded, looked for in the
     * file's last {@link #TAIL} bytes: what a container removed at its exit (--rm) leaves of its end.
     */
    java.util.Optional<Integer> lastExitCode(String id) {
        try (var ch = java.nio.channels.FileChannel.open(file, StandardOpenOption.READ)) {
            long from = Math.max(0, ch.size() - TAIL);
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) (ch.size() - from));
            while (buf.hasRemaining() && ch.read(buf, from + buf.position()) > 0) {
                // read on
            }
            String[] lines = new String(buf.array(), 0, buf.position(), java.nio.charset.StandardCharsets.UTF_8).split("\n");
            for (int i = lines.length - 1; i >= 0; i--) {
                if (!lines[i].contains(id) || !lines[i].contains("\"die\"")) continue;
                try {
                    var e = io.strata.oci.ImageJson.plain().readTree(lines[i]);
                    if (e.path("ID").asText().equals(id) && e.path("Action").asText().equals("die")) {
                        return java.util.Optional.of(e.path("Attributes").path("exitCode").asInt(255));
                    }
                } catch (IOException partial) {
                    // the first line of the tail, cut: not the one
                }
            }
        } catch (IOException | RuntimeException e) {
            // no events: no record of it
        }
        return java.util.Optional.empty();
    }

    static final int TAIL = 256 << 10;
}
