package io.strata.snapshots;

import io.strata.oci.Digest;
import io.strata.oci.DigestAlgorithm;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Applies one layer's tar, uncompressed, to an empty directory that becomes an overlay layer: the
 * entries as they are, {@code .wh.NAME} as an overlay whiteout (char device 0/0) and
 * {@code .wh..wh..opq} as {@code trusted.overlay.opaque=y}. It computes the DiffID as it reads and
 * refuses, naming the entry, anything that would write outside the directory or forge overlay
 * metadata. Parent directories the tar does not list are made here and reported, so that
 * {@link #inheritImplicitDirs} can give them the attributes of the layers below.
 */
public final class Applier {
    static final String WHITEOUT_PREFIX = ".wh.";
    static final String OPAQUE_MARKER = ".wh..wh..opq";
    static final String OPAQUE_XATTR = "trusted.overlay.opaque";
    private static final String OVERLAY_XATTRS = "trusted.overlay.";
    private static final LinkOption NOFOLLOW = LinkOption.NOFOLLOW_LINKS;

    /** Bounds on what one layer may unpack to: decompression bombs stop here. */
    public record Limits(long maxBytes, long maxEntries) {
        public static final Limits DEFAULT = new Limits(64L << 30, 10_000_000);
    }

    /** What was applied: the DiffID, the uncompressed size, the entries, and the directories made implicitly. */
    public record Result(Digest diffId, long bytes, long entries, Set<String> implicitDirs) {}

    private final Path root;
    private final Limits limits;
    private final Set<String> knownDirs = new HashSet<>();
    private final Set<String> implicitDirs = new LinkedHashSet<>();
    private final List<DirTime> dirTimes = new ArrayList<>();
    private final byte[] buffer = new byte[1 << 18];
    private long entries;

    private record DirTime(Path path, long seconds, long nanos) {}

    private Applier(Path root, Limits limits) {
        this.root = root;
        this.limits = limits;
    }

    /**
     * Applies {@code tar} (uncompressed) into {@code root}, an existing empty directory, reading the
     * stream to its end so the DiffID covers every byte.
     */
    public static Result apply(InputStream tar, Path root, Limits limits) throws IOException {
        DiffIdStream counted = new DiffIdStream(tar, limits.maxBytes());
        Applier a = new Applier(root, limits);
        a.implicitDirs.add("");
        a.knownDirs.add("");
        TarReader reader = new TarReader(counted);
        for (TarEntry e; (e = reader.next()) != null; ) {
            if (++a.entries > limits.maxEntries()) {
                throw new LayerException("layer has more than " + limits.maxEntries() + " entries (the limit)");
            }
            a.apply(e, reader);
        }
        counted.transferTo(java.io.OutputStream.nullOutputStream()); // trailing zero blocks count in the DiffID
        for (DirTime t : a.dirTimes) Native.lutimes(t.path(), t.seconds(), t.nanos(), t.seconds(), t.nanos());
        return new Result(counted.digest(), counted.count(), a.entries, Set.copyOf(a.implicitDirs));
    }

    private void apply(TarEntry e, TarReader reader) throws IOException {
        List<String> parts = components(e.name(), e.name());
        if (parts.isEmpty()) { // the layer's root directory itself
            if (e.type() != TarEntry.Type.DIRECTORY) throw LayerException.entry(e.name(), "the root must be a directory");
            implicitDirs.remove("");
            metadata(root, e);
            dirTimes.add(new DirTime(root, e.mtimeSeconds(), e.mtimeNanos()));
            return;
        }
        String base = parts.getLast();
        List<String> parentParts = parts.subList(0, parts.size() - 1);
        if (base.equals(OPAQUE_MARKER)) {
            Path dir = parents(e.name(), parentParts, true);
            Native.lsetxattr(dir, OPAQUE_XATTR, new byte[] {'y'});
            return;
        }
        if (base.startsWith(WHITEOUT_PREFIX)) {
            if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) return; // AUFS metadata (.wh..wh.plnk): not content
            String hidden = base.substring(WHITEOUT_PREFIX.length());
            if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) throw LayerException.entry(e.name(), "invalid whiteout");
            Path dir = parents(e.name(), parentParts, true);
            whiteout(dir.resolve(hidden), String.join("/", parentParts.isEmpty() ? List.of(hidden) : append(parentParts, hidden)));
            return;
        }
        Path parent = parents(e.name(), parentParts, true);
        Path target = parent.resolve(base);
        String rel = String.join("/", parts);
        BasicFileAttributes existing = lstat(target);
        boolean wasWhiteout = existing != null && isWhiteout(target, existing);
        if (existing != null) {
            if (existing.isDirectory() && e.type() == TarEntry.Type.DIRECTORY) {
                implicitDirs.remove(rel); // listed after all: its own attributes apply
            } else {
                remove(target, existing);
                if (existing.isDirectory()) knownDirs.clear();
                existing = null;
            }
        }
        switch (e.type()) {
            case DIRECTORY -> {
                if (existing == null) Files.createDirectory(target);
                if (wasWhiteout) Native.lsetxattr(target, OPAQUE_XATTR, new byte[] {'y'});
                knownDirs.add(rel);
                implicitDirs.remove(rel);
                metadata(target, e);
                dirTimes.add(new DirTime(target, e.mtimeSeconds(), e.mtimeNanos()));
                return;
            }
            case FILE -> writeFile(target, e, reader.data());
            case SYMLINK -> {
                if (e.linkName().isEmpty()) throw LayerException.entry(e.name(), "symlink with an empty target");
                Files.createSymbolicLink(target, Path.of(e.linkName()));
            }
            case HARDLINK -> {
                Path source = existingLinkTarget(e);
                if (source.equals(target)) throw LayerException.entry(e.name(), "hardlink to itself");
                Files.createLink(target, source);
                return; // the inode's attributes are the target's
            }
            case CHAR, BLOCK -> {
                if (e.type() == TarEntry.Type.CHAR && e.devMajor() == 0 && e.devMinor() == 0) {
                    throw LayerException.entry(e.name(), "a character device 0/0 is an overlay whiteout; layers express deletions as .wh. entries");
                }
                Native.mknod(target, (e.type() == TarEntry.Type.CHAR ? Native.S_IFCHR : Native.S_IFBLK) | 0600,
                        Native.makedev(e.devMajor(), e.devMinor()));
            }
            case FIFO -> Native.mknod(target, Native.S_IFIFO | 0600, 0);
        }
        metadata(target, e);
        Native.lutimes(target, e.mtimeSeconds(), e.mtimeNanos(), e.mtimeSeconds(), e.mtimeNanos());
    }

    private static List<String> append(List<String> list, String last) {
        List<String> out = new ArrayList<>(list);
        out.add(last);
        return out;
    }

    /**
     * A name's components, relative to the layer root: leading slashes and "." dropped (the spec
     * makes absolute names relative); ".." refused.
     */
    private static List<String> components(String name, String entry) throws LayerException {
        List<String> out = new ArrayList<>();
        for (String part : name.split("/")) {
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) throw LayerException.entry(entry, "'..' in a path would reach outside the layer");
            out.add(part);
        }
        return out;
    }

    /**
     * Walks to the directory that holds an entry, making missing directories. A symlink on the way
     * is refused: following one could write outside the layer. A whiteout on the way becomes an
     * opaque directory (the layer deleted the path below, then recreated it).
     */
    private Path parents(String entry, List<String> parts, boolean create) throws IOException {
        Path dir = root;
        StringBuilder rel = new StringBuilder();
        for (String part : parts) {
            if (!rel.isEmpty()) rel.append('/');
            rel.append(part);
            dir = dir.resolve(part);
            String key = rel.toString();
            if (knownDirs.contains(key)) continue;
            BasicFileAttributes a = lstat(dir);
            if (a == null) {
                if (!create) throw LayerException.entry(entry, "link target's directory " + key + " is not in the layer");
                Files.createDirectory(dir);
                implicitDirs.add(key);
            } else if (a.isSymbolicLink()) {
                throw LayerException.entry(entry, "path goes through the symlink " + key + " (it could point outside the layer)");
            } else if (isWhiteout(dir, a)) {
                if (!create) throw LayerException.entry(entry, "link target's directory " + key + " was deleted");
                Files.delete(dir);
                Files.createDirectory(dir);
                Native.lsetxattr(dir, OPAQUE_XATTR, new byte[] {'y'});
            } else if (!a.isDirectory()) {
                throw LayerException.entry(entry, key + " is not a directory");
            }
            knownDirs.add(key);
        }
        return dir;
    }

    private Path existingLinkTarget(TarEntry e) throws IOException {
        List<String> parts = components(e.linkName(), e.name());
        if (parts.isEmpty()) throw LayerException.entry(e.name(), "hardlink to the layer root");
        Path dir = parents(e.name(), parts.subList(0, parts.size() - 1), false);
        Path source = dir.resolve(parts.getLast());
        BasicFileAttributes a = lstat(source);
        if (a == null) throw LayerException.entry(e.name(), "hardlink target " + e.linkName() + " is not an earlier entry of this layer");
        if (a.isDirectory()) throw LayerException.entry(e.name(), "hardlink to a directory");
        if (isWhiteout(source, a)) throw LayerException.entry(e.name(), "hardlink to a deleted path");
        return source;
    }

    private void whiteout(Path hidden, String rel) throws IOException {
        BasicFileAttributes a = lstat(hidden);
        if (a == null) {
            Native.mknod(hidden, Native.S_IFCHR, 0);
        } else if (a.isDirectory()) {
            // The layer made this directory and deletes what lower layers had there.
            Native.lsetxattr(hidden, OPAQUE_XATTR, new byte[] {'y'});
            implicitDirs.remove(rel);
        }
        // A file the layer made already hides what is below it.
    }

    private void writeFile(Path target, TarEntry e, InputStream data) throws IOException {
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, NOFOLLOW)) {
            if (!e.isSparse()) {
                copy(data, ch, e.size());
                return;
            }
            for (TarEntry.Region r : e.sparse()) {
                ch.position(r.offset());
                copy(data, ch, r.length());
            }
        }
        if (e.isSparse()) {
            // Extends the file to its real size, leaving the tail a hole; the file was made just above.
            try (RandomAccessFile f = new RandomAccessFile(target.toFile(), "rw")) {
                if (f.length() < e.realSize()) f.setLength(e.realSize());
            }
        }
    }

    private void copy(InputStream in, FileChannel out, long n) throws IOException {
        while (n > 0) {
            int r = in.read(buffer, 0, (int) Math.min(buffer.length, n));
            if (r < 0) throw new java.io.EOFException("layer ends inside a file's data");
            ByteBuffer b = ByteBuffer.wrap(buffer, 0, r);
            while (b.hasRemaining()) out.write(b);
            n -= r;
        }
    }

    /** Owner, then mode (chown clears setuid), then xattrs (chown clears security.capability). */
    private static void metadata(Path p, TarEntry e) throws IOException {
        for (String name : e.xattrs().keySet()) {
            if (name.startsWith(OVERLAY_XATTRS)) {
                throw LayerException.entry(e.name(), "carries the overlay attribute " + name + " (only whiteout entries may make overlay metadata)");
            }
        }
        Native.lchown(p, (int) e.uid(), (int) e.gid());
        if (e.type() != TarEntry.Type.SYMLINK) Native.chmod(p, e.mode());
        for (Map.Entry<String, byte[]> x : e.xattrs().entrySet()) {
            try {
                Native.lsetxattr(p, x.getKey(), x.getValue());
            } catch (Native.NativeException ex) {
                // Filesystems without that namespace, and user.* on symlinks, cannot hold it (containerd skips these too).
                if (ex.errno() != Native.ENOTSUP && !(ex.errno() == Native.EPERM && e.type() == TarEntry.Type.SYMLINK)) throw ex;
            }
        }
    }

    static BasicFileAttributes lstat(Path p) throws IOException {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class, NOFOLLOW);
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Overlay's whiteout: a character device 0/0 (layers cannot make one: see {@link #apply}). */
    static boolean isWhiteout(Path p, BasicFileAttributes a) throws IOException {
        if (!a.isOther()) return false;
        int mode = (Integer) Files.getAttribute(p, "unix:mode", NOFOLLOW);
        return (mode & 0170000) == Native.S_IFCHR && (Long) Files.getAttribute(p, "unix:rdev", NOFOLLOW) == 0L;
    }

    static void remove(Path p, BasicFileAttributes a) throws IOException {
        if (!a.isDirectory()) {
            Files.delete(p);
            return;
        }
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) throw exc;
                try {
                    Files.delete(dir);
                } catch (DirectoryNotEmptyException e) {
                    throw new IOException("cannot remove " + dir + ": not empty", e);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /**
     * Gives the directories a layer did not list (made by {@link #apply} as parents) the owner, mode,
     * times and xattrs the same path has below, as overlay shows the upper directory's attributes.
     * {@code lowers} are the layer directories below, top first.
     */
    public static void inheritImplicitDirs(Path layer, Set<String> implicit, List<Path> lowers) throws IOException {
        for (String rel : implicit) {
            Path below = findBelow(rel, lowers);
            if (below == null) continue;
            Path dir = rel.isEmpty() ? layer : layer.resolve(rel);
            Map<String, Object> a = Files.readAttributes(below, "unix:uid,gid,mode,lastModifiedTime,lastAccessTime", NOFOLLOW);
            Native.lchown(dir, (Integer) a.get("uid"), (Integer) a.get("gid"));
            Native.chmod(dir, (Integer) a.get("mode"));
            for (String x : Native.llistxattr(below)) {
                if (x.startsWith(OVERLAY_XATTRS)) continue;
                var v = Native.lgetxattr(below, x);
                if (v.isPresent()) Native.lsetxattr(dir, x, v.get());
            }
            FileTime m = (FileTime) a.get("lastModifiedTime");
            FileTime at = (FileTime) a.get("lastAccessTime");
            var mi = m.toInstant();
            var ai = at.toInstant();
            Native.lutimes(dir, ai.getEpochSecond(), ai.getNano(), mi.getEpochSecond(), mi.getNano());
        }
    }

    /** The directory {@code rel} as the layers below show it, or null where it does not exist there. */
    private static Path findBelow(String rel, List<Path> lowers) throws IOException {
        List<String> parts = rel.isEmpty() ? List.of() : List.of(rel.split("/"));
        for (Path lower : lowers) {
            Path p = lower;
            boolean opaqueAbove = false;
            boolean present = true;
            for (int i = 0; i < parts.size(); i++) {
                p = p.resolve(parts.get(i));
                BasicFileAttributes a = lstat(p);
                if (a == null) {
                    present = false;
                    break;
                }
                if (!a.isDirectory()) return null; // a file, link or whiteout there hides everything below
                if (i < parts.size() - 1 && Native.lgetxattr(p, OPAQUE_XATTR).isPresent()) opaqueAbove = true;
            }
            if (present) return p;
            if (opaqueAbove) return null;
            if (parts.isEmpty()) return lower;
        }
        return null;
    }

    /** Hashes and counts the uncompressed tar as it streams, and stops a decompression bomb. */
    private static final class DiffIdStream extends FilterInputStream {
        private final MessageDigest sha = DigestAlgorithm.SHA256.newStreamingDigest();
        private final long max;
        private long count;

        DiffIdStream(InputStream in, long max) {
            super(in);
            this.max = max;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                sha.update(b, off, n);
                count += n;
                if (count > max) throw new LayerException("layer unpacks to more than " + max + " bytes (the limit)");
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            return read(new byte[(int) Math.min(n, 8192)], 0, (int) Math.min(n, 8192));
        }

        Digest digest() {
            return Digest.of(DigestAlgorithm.SHA256, sha.digest());
        }

        long count() {
            return count;
        }
    }
}
