package io.strata.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Paths inside a container's root filesystem, resolved as the container would see them: symlinks
 * are followed relative to the rootfs, never out of it (absolute targets start again at its root,
 * ".." stops at it).
 */
final class RootfsPaths {
    private RootfsPaths() {}

    private static final int MAX_LINKS = 40;

    /** The host path of {@code path} (absolute, in the container), or null if a component is missing. */
    static Path resolve(Path rootfs, String path) throws IOException {
        Deque<String> todo = new ArrayDeque<>(List.of(path.split("/")));
        Deque<String> done = new ArrayDeque<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String part = todo.pollFirst();
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) {
                done.pollLast();
                continue;
            }
            Path candidate = rootfs.resolve(String.join("/", done)).resolve(part);
            if (Files.isSymbolicLink(candidate)) {
                if (++links > MAX_LINKS) throw new IOException("too many levels of symbolic links in " + path);
                String target = Files.readSymbolicLink(candidate).toString();
                if (target.startsWith("/")) done.clear();
                List<String> parts = List.of(target.split("/"));
                for (int i = parts.size() - 1; i >= 0; i--) todo.addFirst(parts.get(i));
                continue;
            }
            if (!Files.exists(candidate, LinkOption.NOFOLLOW_LINKS)) return null;
            done.addLast(part);
        }
        return done.isEmpty() ? rootfs : rootfs.resolve(String.join("/", done));
    }
}
