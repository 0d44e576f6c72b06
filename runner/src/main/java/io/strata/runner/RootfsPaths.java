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
        return resolve(rootfs, java.util.Map.of(), path);
    }

    /**
     * As {@link #resolve(Path, String)}, in a container that has {@code binds} (container path to host
     * path) mounted over its rootfs: what lies under one is looked for in its host directory.
     */
    static Path resolve(Path rootfs, java.util.Map<String, Path> binds, String path) throws IOException {
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
            Path candidate = host(rootfs, binds, done, part);
            if (Files.isSymbolicLink(candidate)) {
                if (++links > MAX_LINKS) throw new IOException("too many levels of symbolic links in " + path);
                String target = Files.readSymbolicLink(candidate).toString();
                if (target.startsWith("/")) done.clear();
                List<String> parts = List.of(target.split("/"));
                for (int i = parts.size() - 1; i >= 0; i--) todo.addFirst(parts.get(i));
                continue;
            }
            if (!Files.exists(candidate, LinkOption.NOFOLLOW_LINKS) && !holdsABind(binds, done, part)) return null;
            done.addLast(part);
        }
        return done.isEmpty() ? rootfs : host(rootfs, binds, done, null);
    }

    /** Of mount destinations (normalised container paths), the deepest that is {@code path} or holds it; null if none does. */
    static String deepestHolding(java.util.Collection<String> destinations, String path) {
        String deepest = null;
        for (String d : destinations) {
            boolean holds = path.equals(d) || path.startsWith(d.endsWith("/") ? d : d + "/");
            if (holds && (deepest == null || d.length() > deepest.length())) deepest = d;
        }
        return deepest;
    }

    /** Whether the container path {@code done}/{@code part} lies on the way to a bind: the runtime makes it to mount on. */
    private static boolean holdsABind(java.util.Map<String, Path> binds, Deque<String> done, String part) {
        String prefix = "/" + String.join("/", done) + (done.isEmpty() ? "" : "/") + part + "/";
        for (String destination : binds.keySet()) if (destination.startsWith(prefix)) return true;
        return false;
    }

    /** The host path of the container path {@code done} (then {@code part}, unless null): under the deepest bind that holds it, else in the rootfs. */
    private static Path host(Path rootfs, java.util.Map<String, Path> binds, Deque<String> done, String part) {
        String inContainer = "/" + String.join("/", done) + (part == null ? "" : (done.isEmpty() ? "" : "/") + part);
        String deepest = deepestHolding(binds.keySet(), inContainer);
        if (deepest == null) return inContainer.equals("/") ? rootfs : rootfs.resolve(inContainer.substring(1));
        String rest = inContainer.substring(deepest.length());
        while (rest.startsWith("/")) rest = rest.substring(1);
        return rest.isEmpty() ? binds.get(deepest) : binds.get(deepest).resolve(rest);
    }
}
