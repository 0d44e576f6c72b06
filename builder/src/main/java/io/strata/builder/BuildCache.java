package io.strata.builder;

import io.strata.oci.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The build cache: a step's key (its parent's key, its instruction as expanded, and for COPY the
 * digest of what it copies) to the image the step made, one small file each under the store's
 * {@code build-cache/}. The images are ordinary manifests in the store, unnamed: {@link #images()}
 * keeps them from {@code gc}, {@link #prune()} lets it take them. A file is written whole and then
 * renamed, so a crash leaves the entry or nothing.
 */
public final class BuildCache {
    private final Path dir;

    public BuildCache(Path storeRoot) {
        this.dir = storeRoot.resolve("build-cache");
    }

    public Optional<Digest> get(String key) throws IOException {
        Path f = dir.resolve(key);
        if (!Files.isRegularFile(f)) return Optional.empty();
        try {
            return Optional.of(Digest.parse(Files.readString(f).strip()));
        } catch (IllegalArgumentException e) {
            return Optional.empty(); // not an entry of ours: a miss
        }
    }

    public void put(String key, Digest image) throws IOException {
        Files.createDirectories(dir);
        Path tmp = dir.resolve(key + ".tmp-" + ProcessHandle.current().pid() + "-" + Thread.currentThread().threadId());
        Files.writeString(tmp, image.toString());
        Files.move(tmp, dir.resolve(key), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Every image the cache names: roots for gc. */
    public List<Digest> images() throws IOException {
        List<Digest> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (var s = Files.list(dir)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                if (f.getFileName().toString().contains(".tmp-")) continue;
                get(f.getFileName().toString()).ifPresent(out::add);
            }
        }
        return out;
    }

    /** Forgets every entry (strata builder prune); gc then removes what only the cache held. Answers how many. */
    public int prune() throws IOException {
        int n = 0;
        if (!Files.isDirectory(dir)) return 0;
        try (var s = Files.list(dir)) {
            for (Path f : (Iterable<Path>) s::iterator) {
                Files.deleteIfExists(f);
                n++;
            }
        }
        return n;
    }
}
