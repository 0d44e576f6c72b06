package io.strata.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.MediaType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Removes blobs no named image reaches (mark from index.json through indexes, manifests, configs and
 * layers; sweep the rest). Blobs younger than the grace period stay: a pull running now stores its
 * blobs before it names the image.
 */
public final class GarbageCollector {
    private static final ObjectMapper JSON = new ObjectMapper();

    public record Result(int removed, long bytes) {}

    public static Result collect(LayoutStore store, Duration grace) throws IOException {
        Set<Digest> live = new HashSet<>();
        Deque<Descriptor> todo = new ArrayDeque<>();
        for (var named : store.names()) todo.add(named.manifest());
        while (!todo.isEmpty()) {
            Descriptor d = todo.pop();
            if (!live.add(d.digest()) || !store.has(d.digest())) continue;
            if (!MediaType.MANIFESTS.contains(d.mediaType())) continue;
            JsonNode body = JSON.readTree(store.read(d.digest()));
            for (JsonNode m : body.path("manifests")) todo.add(JSON.treeToValue(m, Descriptor.class));
            if (body.has("config")) todo.add(JSON.treeToValue(body.path("config"), Descriptor.class));
            for (JsonNode l : body.path("layers")) todo.add(JSON.treeToValue(l, Descriptor.class));
        }
        Instant cutoff = Instant.now().minus(grace);
        int removed = 0;
        long bytes = 0;
        Path blobs = store.root().resolve("blobs");
        try (Stream<Path> files = Files.walk(blobs, 2)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
                Digest d;
                try {
                    d = Digest.parse(f.getParent().getFileName() + ":" + f.getFileName());
                } catch (IllegalArgumentException e) {
                    continue; // not a blob of ours
                }
                if (live.contains(d) || Files.getLastModifiedTime(f).toInstant().isAfter(cutoff)) continue;
                bytes += Files.size(f);
                Files.delete(f);
                removed++;
            }
        }
        return new Result(removed, bytes);
    }

    private GarbageCollector() {}
}
