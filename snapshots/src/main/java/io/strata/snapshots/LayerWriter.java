package io.strata.snapshots;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a snapshot's layer directory (an overlay upper dir) back into a layer tar, the inverse of
 * {@link Applier}: an overlay whiteout becomes {@code .wh.NAME}, an opaque directory gets a
 * {@code .wh..wh..opq} entry, everything else is archived as it is (owners, modes, times, xattrs
 * but overlay's own, hardlinks, devices). Entries are sorted by name, so the same directory gives
 * the same tar, byte for byte.
 */
public final class LayerWriter {
    private LayerWriter() {}

    /** One change of a layer against what is below it, as docker diff shows it. */
    public record Change(char kind, String path) {}

    /**
     * Writes the tree at {@code layer} as a layer tar. The tree may be one a container changes while
     * this runs, or left changed: it is walked through {@link ConfinedDir}, so nothing outside it is
     * ever read, whatever its symlinks say or become.
     */
    public static void write(Path layer, TarWriter tar) throws IOException {
        write(layer, tar, java.util.Set.of());
    }

    /** As {@link #write(Path, TarWriter)}, without the paths (relative, as {@link #mountpointsLeftOut} gives them) in {@code leftOut}. */
    public static void write(Path layer, TarWriter tar, java.util.Set<String> leftOut) throws IOException {
        try (ConfinedDir root = ConfinedDir.open(layer)) {
            walk(root, "", tar, new HashMap<>(), leftOut);
        }
    }

    /** As {@link #write(Path, TarWriter)}, of a directory already open (what is below it, not itself). */
    public static void write(ConfinedDir dir, TarWriter tar) throws IOException {
        walk(dir, "", tar, new HashMap<>(), java.util.Set.of());
    }

    private static void walk(ConfinedDir dir, String rel, TarWriter tar, Map<Object, String> links, java.util.Set<String> leftOut)
            throws IOException {
        for (String child : dir.list()) {
            String name = (rel.isEmpty() ? "" : rel + "/") + child;
            if (leftOut.contains(name)) continue;
            entry(dir, child, name, tar, links, leftOut);
        }
    }

    /**
     * Writes {@code dir}'s entry {@code child} (a directory with all below it) under the tar name
     * {@code name}: what cp copies out of a container, walked as a layer is.
     */
    public static void writeEntry(ConfinedDir dir, String child, String name, TarWriter tar) throws IOException {
        entry(dir, child, name, tar, new HashMap<>(), java.util.Set.of());
    }

    /** Writes what is below {@code dir}, its tar names under {@code prefix} ("": none). */
    public static void writeBelow(ConfinedDir dir, String prefix, TarWriter tar) throws IOException {
        walk(dir, prefix, tar, new HashMap<>(), java.util.Set.of());
    }

    private static void entry(ConfinedDir dir, String child, String name, TarWriter tar, Map<Object, String> links, java.util.Set<String> leftOut)
            throws IOException {
        String rel = name.contains("/") ? name.substring(0, name.lastIndexOf('/')) : "";
        Path p = dir.entry(child);
        var a = Applier.lstat(p);
        if (a == null) return; // removed since it was listed
        if (Applier.isWhiteout(p, a)) {
            String parent = rel.isEmpty() ? "" : rel + "/";
            tar.header(new TarEntry(parent + Applier.WHITEOUT_PREFIX + child, TarEntry.Type.FILE, 0644, 0, 0, 0, 0,
                    0, 0, "", 0, 0, Map.of(), null));
            return;
        }
        Map<String, Object> u = dir.attributes(child, "mode,uid,gid,rdev,size,nlink,ino,dev,lastModifiedTime");
        int mode = (Integer) u.get("mode");
        FileTime mtime = (FileTime) u.get("lastModifiedTime");
        long seconds = mtime.toInstant().getEpochSecond();
        long nanos = mtime.toInstant().getNano();
        Map<String, byte[]> xattrs = new LinkedHashMap<>();
        for (String x : Native.llistxattr(p)) {
            if (x.startsWith("trusted.overlay.")) continue;
            Native.lgetxattr(p, x).ifPresent(v -> xattrs.put(x, v));
        }
        int uid = (Integer) u.get("uid");
        int gid = (Integer) u.get("gid");
        int type = mode & 0170000;
        if (type == 0040000) {
            tar.header(new TarEntry(name, TarEntry.Type.DIRECTORY, mode, uid, gid, 0, 0, seconds, nanos, "", 0, 0, xattrs, null));
            if (Native.lgetxattr(p, Applier.OPAQUE_XATTR).map(v -> v.length == 1 && v[0] == 'y').orElse(false)) {
                tar.header(new TarEntry(name + "/" + Applier.OPAQUE_MARKER, TarEntry.Type.FILE, 0644, 0, 0, 0, 0, 0, 0, "", 0, 0, Map.of(), null));
            }
            try (ConfinedDir sub = dir.dir(child)) {
                walk(sub, name, tar, links, leftOut);
            }
        } else if (type == 0120000) {
            tar.header(new TarEntry(name, TarEntry.Type.SYMLINK, 0777, uid, gid, 0, 0, seconds, nanos,
                    dir.readlink(child), 0, 0, xattrs, null));
        } else if (type == 0100000) {
            Object inode = u.get("dev") + ":" + u.get("ino");
            String first = (Integer) u.get("nlink") > 1 ? links.putIfAbsent(inode, name) : null;
            if (first != null) {
                tar.header(new TarEntry(name, TarEntry.Type.HARDLINK, mode, uid, gid, 0, 0, seconds, nanos, first, 0, 0, Map.of(), null));
                return;
            }
            long size = (Long) u.get("size");
            try (InputStream in = dir.read(child)) {
                tar.header(new TarEntry(name, TarEntry.Type.FILE, mode, uid, gid, size, size, seconds, nanos, "", 0, 0, xattrs, null));
                tar.data(in, size);
            }
        } else {
            long rdev = (Long) u.get("rdev");
            TarEntry.Type t = type == Native.S_IFCHR ? TarEntry.Type.CHAR : type == Native.S_IFBLK ? TarEntry.Type.BLOCK : TarEntry.Type.FIFO;
            tar.header(new TarEntry(name, t, mode, uid, gid, 0, 0, seconds, nanos, "", Native.major(rdev), Native.minor(rdev), xattrs, null));
        }
    }

    /**
     * The changes of a layer directory against the layers below (top first): A for a path that is
     * new, C for one that existed below (directories holding changes included), D for one deleted.
     */
    public static List<Change> changes(Path layer, List<Path> lowers) throws IOException {
        List<Change> out = new ArrayList<>();
        try (ConfinedDir root = ConfinedDir.open(layer)) {
            changes(root, "", lowers, out);
        }
        return out;
    }

    /**
     * What a runtime made in a layer only to mount on (empty files and directories that the layers
     * below lack, at the given container paths), and the directories overlay copied up just to hold
     * them: not changes the container made, so left out of what is committed. Paths relative to the
     * layer. Nothing is changed; the layer is one a container wrote, so it is walked through
     * {@link ConfinedDir}: a mount point's parent that the container replaced with a symlink is not
     * followed, and what is below it is not left out.
     */
    public static java.util.Set<String> mountpointsLeftOut(Path layer, List<Path> lowers, List<String> mountpoints) throws IOException {
        java.util.Set<String> leftOut = new java.util.HashSet<>();
        try (ConfinedDir root = ConfinedDir.open(layer)) {
            for (String m : mountpoints) {
                List<String> parts = new ArrayList<>();
                for (String part : m.split("/")) if (!part.isEmpty() && !part.equals(".")) parts.add(part);
                if (parts.isEmpty() || parts.contains("..")) continue;
                mountpointLeftOut(root, parts, lowers, leftOut);
            }
        }
        return leftOut;
    }

    private static void mountpointLeftOut(ConfinedDir root, List<String> parts, List<Path> lowers, java.util.Set<String> leftOut)
            throws IOException {
        List<ConfinedDir> dirs = new ArrayList<>(); // dirs.get(i) holds parts.get(i)
        dirs.add(root);
        try {
            for (int i = 0; i < parts.size() - 1; i++) {
                var a = dirs.getLast().lstat(parts.get(i));
                if (a == null || !a.isDirectory()) return; // not there, or not a directory the walk may enter
                dirs.add(dirs.getLast().dir(parts.get(i)));
            }
            String name = parts.getLast();
            ConfinedDir parent = dirs.getLast();
            var a = parent.lstat(name);
            if (a == null || existsBelow(parts, lowers)) return;
            String path = String.join("/", parts);
            boolean empty = a.isRegularFile() ? a.size() == 0 : a.isDirectory() && isEmptyDir(parent, name, path, leftOut);
            if (!empty) return;
            leftOut.add(path);
            // Parents made only for this: empty but for what is left out and not opaque, whether overlay
            // copied them up (present below) or the runtime created them to reach the mount point (as
            // BuildKit removes the stubs a RUN's mounts needed, /run/buildkit of an ssh mount among them).
            for (int i = parts.size() - 2; i >= 0; i--) {
                ConfinedDir holder = dirs.get(i);
                String dir = parts.get(i);
                String dirPath = String.join("/", parts.subList(0, i + 1));
                if (!isEmptyDir(holder, dir, dirPath, leftOut) || Native.lgetxattr(holder.entry(dir), Applier.OPAQUE_XATTR).isPresent()) {
                    break;
                }
                leftOut.add(dirPath);
            }
        } finally {
            for (int i = dirs.size() - 1; i > 0; i--) dirs.get(i).close();
        }
    }

    /** Whether the directory {@code name} (at {@code path}) holds nothing but what is left out. */
    private static boolean isEmptyDir(ConfinedDir parent, String name, String path, java.util.Set<String> leftOut) throws IOException {
        try (ConfinedDir d = parent.dir(name)) {
            for (String child : d.list()) if (!leftOut.contains(path + "/" + child)) return false;
            return true;
        } catch (java.nio.file.NotDirectoryException e) {
            return false;
        }
    }

    private static void changes(ConfinedDir dir, String rel, List<Path> lowers, List<Change> out) throws IOException {
        for (String child : dir.list()) {
            String path = rel + "/" + child;
            Path p = dir.entry(child);
            var a = Applier.lstat(p);
            if (a == null) continue; // removed since it was listed
            if (Applier.isWhiteout(p, a)) {
                out.add(new Change('D', path));
                continue;
            }
            List<String> parts = List.of(path.substring(1).split("/"));
            out.add(new Change(existsBelow(parts, lowers) ? 'C' : 'A', path));
            if (a.isDirectory()) {
                try (ConfinedDir sub = dir.dir(child)) {
                    changes(sub, path, lowers, out);
                } catch (java.nio.file.NotDirectoryException swapped) {
                    // replaced by something else since its lstat: there is nothing below it to list
                }
            }
        }
    }

    /**
     * Whether the layers below (top first; committed snapshots, which nothing changes) have the path,
     * as an overlay mount of them would: a component that is not a directory (a file, a symlink, a
     * whiteout) ends the path there, in that layer and all below it; symlinks are never followed.
     */
    private static boolean existsBelow(List<String> parts, List<Path> lowers) throws IOException {
        for (Path lower : lowers) {
            Path p = lower;
            for (int i = 0; i < parts.size(); i++) {
                p = p.resolve(parts.get(i));
                var a = Applier.lstat(p);
                if (a == null) break; // not in this layer: look below
                if (Applier.isWhiteout(p, a)) return false;
                if (i == parts.size() - 1) return true;
                if (!a.isDirectory()) return false;
            }
        }
        return false;
    }
}
