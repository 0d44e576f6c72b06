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

    public static void write(Path layer, TarWriter tar) throws IOException {
        Map<Object, String> firstPathOfInode = new HashMap<>();
        walk(layer, layer, "", tar, firstPathOfInode);
    }

    private static void walk(Path root, Path dir, String rel, TarWriter tar, Map<Object, String> links) throws IOException {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(children::add);
        }
        children.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        for (Path p : children) {
            String name = (rel.isEmpty() ? "" : rel + "/") + p.getFileName();
            var a = Applier.lstat(p);
            if (Applier.isWhiteout(p, a)) {
                String parent = rel.isEmpty() ? "" : rel + "/";
                tar.header(new TarEntry(parent + Applier.WHITEOUT_PREFIX + p.getFileName(), TarEntry.Type.FILE, 0644, 0, 0, 0, 0,
                        0, 0, "", 0, 0, Map.of(), null));
                continue;
            }
            Map<String, Object> u = Files.readAttributes(p, "unix:mode,uid,gid,rdev,size,nlink,ino,dev,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
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
            if (a.isDirectory()) {
                tar.header(new TarEntry(name, TarEntry.Type.DIRECTORY, mode, uid, gid, 0, 0, seconds, nanos, "", 0, 0, xattrs, null));
                if (Native.lgetxattr(p, Applier.OPAQUE_XATTR).map(v -> v.length == 1 && v[0] == 'y').orElse(false)) {
                    tar.header(new TarEntry(name + "/" + Applier.OPAQUE_MARKER, TarEntry.Type.FILE, 0644, 0, 0, 0, 0, 0, 0, "", 0, 0, Map.of(), null));
                }
                walk(root, p, name, tar, links);
            } else if (a.isSymbolicLink()) {
                tar.header(new TarEntry(name, TarEntry.Type.SYMLINK, 0777, uid, gid, 0, 0, seconds, nanos,
                        Files.readSymbolicLink(p).toString(), 0, 0, xattrs, null));
            } else if (a.isRegularFile()) {
                Object inode = u.get("dev") + ":" + u.get("ino");
                String first = (Integer) u.get("nlink") > 1 ? links.putIfAbsent(inode, name) : null;
                if (first != null) {
                    tar.header(new TarEntry(name, TarEntry.Type.HARDLINK, mode, uid, gid, 0, 0, seconds, nanos, first, 0, 0, Map.of(), null));
                    continue;
                }
                long size = (Long) u.get("size");
                tar.header(new TarEntry(name, TarEntry.Type.FILE, mode, uid, gid, size, size, seconds, nanos, "", 0, 0, xattrs, null));
                try (InputStream in = Files.newInputStream(p)) {
                    tar.data(in, size);
                }
            } else {
                int type = mode & 0170000;
                long rdev = (Long) u.get("rdev");
                TarEntry.Type t = type == Native.S_IFCHR ? TarEntry.Type.CHAR : type == Native.S_IFBLK ? TarEntry.Type.BLOCK : TarEntry.Type.FIFO;
                tar.header(new TarEntry(name, t, mode, uid, gid, 0, 0, seconds, nanos, "", Native.major(rdev), Native.minor(rdev), xattrs, null));
            }
        }
    }

    /**
     * The changes of a layer directory against the layers below (top first): A for a path that is
     * new, C for one that existed below (directories holding changes included), D for one deleted.
     */
    public static List<Change> changes(Path layer, List<Path> lowers) throws IOException {
        List<Change> out = new ArrayList<>();
        changes(layer, "", lowers, out);
        return out;
    }

    /**
     * Removes what a runtime made in a layer only to mount on (empty files and directories that the
     * layers below lack, at the given container paths), and the directories overlay copied up just
     * to hold them: they are not changes the container made.
     */
    public static void removeMountpoints(Path layer, List<Path> lowers, List<String> mountpoints) throws IOException {
        for (String m : mountpoints) {
            String rel = m.replaceAll("^/+", "");
            if (rel.isEmpty()) continue;
            Path p = layer.resolve(rel);
            var a = Applier.lstat(p);
            if (a == null || existsBelow("/" + rel, lowers)) continue;
            boolean empty = a.isRegularFile() ? a.size() == 0 : a.isDirectory() && isEmptyDir(p);
            if (!empty) continue;
            Files.delete(p);
            // Parents overlay copied up only for this: empty, not opaque, present below.
            for (Path parent = p.getParent(); !parent.equals(layer); parent = parent.getParent()) {
                String prel = "/" + layer.relativize(parent);
                if (!isEmptyDir(parent) || !existsBelow(prel, lowers) || Native.lgetxattr(parent, Applier.OPAQUE_XATTR).isPresent()) break;
                Files.delete(parent);
            }
        }
    }

    private static boolean isEmptyDir(Path p) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(p)) {
            return !s.iterator().hasNext();
        }
    }

    private static void changes(Path dir, String rel, List<Path> lowers, List<Change> out) throws IOException {
        List<Path> children = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            s.forEach(children::add);
        }
        children.sort((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()));
        for (Path p : children) {
            String path = rel + "/" + p.getFileName();
            var a = Applier.lstat(p);
            if (Applier.isWhiteout(p, a)) {
                out.add(new Change('D', path));
                continue;
            }
            boolean below = existsBelow(path, lowers);
            out.add(new Change(below ? 'C' : 'A', path));
            if (a.isDirectory()) changes(p, path, lowers, out);
        }
    }

    private static boolean existsBelow(String path, List<Path> lowers) throws IOException {
        for (Path lower : lowers) {
            Path p = lower.resolve(path.substring(1));
            var a = Applier.lstat(p);
            if (a == null) continue;
            return !Applier.isWhiteout(p, a);
        }
        return false;
    }
}
