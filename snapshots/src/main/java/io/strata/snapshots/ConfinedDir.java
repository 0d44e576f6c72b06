package io.strata.snapshots;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * An open directory of a tree that a container can change while Strata reads it, or left behind
 * when it stopped: its writable layer, its mounted root filesystem. Everything below is reached
 * through this directory's file descriptor, one component at a time, each opened with O_NOFOLLOW,
 * so a symlink (or a directory swapped for one, mid-walk) is never followed out of the tree, as
 * runc's securejoin and containerd's continuity do it.
 *
 * <p>An entry is named to path-based calls as {@code /proc/self/fd/FD/NAME}: the kernel resolves the
 * descriptor's link to the directory it holds, whatever its path has become, and the calls used on
 * it (lstat, readlink, listxattr, getxattr, unlink, rmdir) do not follow {@code NAME} itself.
 * Content is read through a descriptor opened with O_NOFOLLOW and checked to be a regular file.
 */
public final class ConfinedDir implements AutoCloseable {
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;
    private static final int MAX_LINKS = 40;

    private final int fd;
    private final String path; // below the root, for messages: "" for the root
    private boolean closed;

    private ConfinedDir(int fd, String path) {
        this.fd = fd;
        this.path = path;
    }

    /** Opens the root of the tree: a directory Strata made, never a symlink. */
    public static ConfinedDir open(Path root) throws IOException {
        return new ConfinedDir(Native.openat(Native.AT_FDCWD, root.toString(),
                Native.O_DIRECTORY | Native.O_NOFOLLOW, root.toString()), "");
    }

    /** The path of {@code name} below the root, for messages. */
    public String path(String name) {
        return path + "/" + name;
    }

    /** This directory as a path of its own (its fd's magic link: no lookup of its parents again). */
    public Path self() {
        return Path.of("/proc/self/fd/" + fd);
    }

    private static void check(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a directory entry's name: " + name);
        }
    }

    /**
     * {@code name} for a call that does not follow its last component (lstat, readlink, the l*xattr
     * calls, unlink): never for one that opens or follows it.
     */
    public Path entry(String name) {
        check(name);
        return self().resolve(name);
    }

    /** The entries' names, sorted, so that the same tree is walked in the same order. */
    public List<String> list() throws IOException {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(self())) {
            for (Path p : s) names.add(p.getFileName().toString());
        }
        names.sort(null);
        return names;
    }

    /** The entry's own attributes (a symlink's, not its target's); null when there is none. */
    public BasicFileAttributes lstat(String name) throws IOException {
        try {
            return Files.readAttributes(entry(name), BasicFileAttributes.class, NOFOLLOW);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** The entry's unix attributes (as {@code Files.readAttributes(p, "unix:…")}), the entry's own. */
    public Map<String, Object> attributes(String name, String attributes) throws IOException {
        return Files.readAttributes(entry(name), "unix:" + attributes, NOFOLLOW);
    }

    public String readlink(String name) throws IOException {
        return Files.readSymbolicLink(entry(name)).toString();
    }

    /** The subdirectory {@code name}; refused when it is not a directory now (a symlink included). */
    public ConfinedDir dir(String name) throws IOException {
        check(name);
        try {
            return new ConfinedDir(Native.openat(fd, name, Native.O_DIRECTORY | Native.O_NOFOLLOW, path(name)), path(name));
        } catch (Native.NativeException e) {
            if (e.errno() == Native.ELOOP || e.errno() == Native.ENOTDIR) throw new NotDirectoryException(path(name));
            if (e.errno() == Native.ENOENT) throw new NoSuchFileException(path(name));
            throw e;
        }
    }

    /**
     * The content of the regular file {@code name}; refused when it is anything else now (a symlink,
     * a fifo that would block, a device). Opened without following it and without blocking, then
     * read through the descriptor's own link, which is that very file.
     */
    public InputStream read(String name) throws IOException {
        check(name);
        int file;
        try {
            file = Native.openat(fd, name, Native.O_NOFOLLOW | Native.O_NONBLOCK, path(name));
        } catch (Native.NativeException e) {
            if (e.errno() == Native.ELOOP) throw new IOException(path(name) + ": not a regular file (a symlink)");
            if (e.errno() == Native.ENOENT) throw new NoSuchFileException(path(name));
            throw e;
        }
        try {
            Path opened = Path.of("/proc/self/fd/" + file);
            if (!Files.readAttributes(opened, BasicFileAttributes.class).isRegularFile()) {
                throw new IOException(path(name) + ": not a regular file");
            }
            return Files.newInputStream(opened);
        } finally {
            Native.close(file);
        }
    }

    /** Removes the entry (an empty directory, or anything else); never what a symlink points to. */
    public void delete(String name) throws IOException {
        Files.delete(entry(name));
    }

    /**
     * The regular file at {@code path} as the container sees it: symlinks on the way are followed
     * inside this tree (an absolute target starts again at this directory, {@code ..} stops at it),
     * never out of it. Null when a component is missing or the file is not a regular file.
     */
    public InputStream readInRoot(String path) throws IOException {
        return inRoot(path, (dir, name, a) -> a.isRegularFile() ? dir.read(name) : null);
    }

    /** The directory at {@code path} as the container sees it, resolved as {@link #readInRoot} does; null when there is none. */
    public ConfinedDir dirInRoot(String path) throws IOException {
        return inRoot(path, (dir, name, a) -> a.isDirectory() ? dir.dir(name) : null);
    }

    /** The attributes of this directory itself (the unix view, as {@link #attributes}). */
    public Map<String, Object> ownAttributes(String attributes) throws IOException {
        return Files.readAttributes(self(), "unix:" + attributes);
    }

    private interface Last<T> {
        T apply(ConfinedDir dir, String name, BasicFileAttributes a) throws IOException;
    }

    /** Walks {@code path} inside this tree, following symlinks inside it only, and gives {@code last} what the path names. */
    private <T> T inRoot(String path, Last<T> last) throws IOException {
        Deque<String> todo = new ArrayDeque<>(List.of(path.split("/")));
        Deque<ConfinedDir> opened = new ArrayDeque<>(); // below this directory, deepest last
        int links = 0;
        try {
            while (!todo.isEmpty()) {
                String part = todo.pollFirst();
                if (part.isEmpty() || part.equals(".")) continue;
                if (part.equals("..")) {
                    if (!opened.isEmpty()) opened.pollLast().close();
                    continue;
                }
                ConfinedDir dir = opened.isEmpty() ? this : opened.peekLast();
                BasicFileAttributes a = dir.lstat(part);
                if (a == null) return null;
                if (a.isSymbolicLink()) {
                    if (++links > MAX_LINKS) throw new IOException("too many levels of symbolic links in " + path);
                    String target = dir.readlink(part);
                    if (target.startsWith("/")) {
                        while (!opened.isEmpty()) opened.pollLast().close();
                    }
                    List<String> parts = List.of(target.split("/"));
                    for (int i = parts.size() - 1; i >= 0; i--) todo.addFirst(parts.get(i));
                    continue;
                }
                if (todo.stream().allMatch(p -> p.isEmpty() || p.equals("."))) return last.apply(dir, part, a);
                if (!a.isDirectory()) return null;
                opened.addLast(dir.dir(part));
            }
            return null; // the path is this directory itself
        } finally {
            for (ConfinedDir d : opened) d.close();
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Native.close(fd);
    }
}
