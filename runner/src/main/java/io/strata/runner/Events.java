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
}
