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
import java.util.HashMap;
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
 * metadata. Parent directories the tar does not list are made here and reported, and so are
 * hardlinks to files of the layers below: {@link #finish} completes both once those layers exist.
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

    /**
     * What was applied: the DiffID, the uncompressed size, the entries, the directories made
     * implicitly, and the files of the layers below that entries hardlink.
     */
    public record Result(Digest diffId, long bytes, long entries, Set<String> implicitDirs, List<LowerLink> lowerLinks) {}

    /**
     * A hardlink (the entry {@code entry}) to {@code target}, a file this layer does not have and
     * the layers below do. Applied through an overlay mount of those layers, link(2) would copy the
     * file up into this layer and link the new name to the copy; the layers unpack at once, before
     * the ones below exist, so the copy is an empty file until {@link #finish} fills it. {@code
     * names} are this layer's paths of that inode still there at the end of the layer: the copy at
     * {@code target} unless a later entry replaced or deleted it, the hardlink, and any later
     * hardlinks to either.
     */
    public record LowerLink(String target, String entry, List<String> names) {}

    /** A copy-up in the making: its target and this layer's paths of its inode (see {@link LowerLink}). */
    private record CopyUp(String target, String entry, Set<String> names) {}

    private final Path root;
    private final Limits limits;
    private final boolean files; // a tar of files (cp), not a layer
    private final Set<String> knownDirs = new HashSet<>();
    private final Set<String> implicitDirs = new LinkedHashSet<>();
    private final List<DirTime> dirTimes = new ArrayList<>();
    private final List<CopyUp> copyUps = new ArrayList<>();
    private final Map<String, CopyUp> copyUpOf = new HashMap<>(); // a path of this layer -> the copy-up inode it names
    private final byte[] buffer = new byte[1 << 18];
    private long entries;

    private record DirTime(Path path, long seconds, long nanos) {}

    private Applier(Path root, Limits limits, boolean files) {
        this.root = root;
        this.limits = limits;
        this.files = files;
    }

    /**
     * Applies {@code tar} (uncompressed) into {@code root}, an existing empty directory, reading the
     * stream to its end so the DiffID covers every byte.
     */
    public static Result apply(InputStream tar, Path root, Limits limits) throws IOException {
        return apply(tar, root, limits, false);
    }

    /**
     * Applies a tar of plain files (cp into a container), not a layer: a {@code .wh.} name there is
     * refused, as it would delete what it names and, committed, be read as a deletion by every tool.
     */
    public static Result applyFiles(InputStream tar, Path root, Limits limits) throws IOException {
        return apply(tar, root, limits, true);
    }

    private static Result apply(InputStream tar, Path root, Limits limits, boolean files) throws IOException {
        DiffIdStream counted = new DiffIdStream(tar, limits.maxBytes());
        Applier a = new Applier(root, limits, files);
        a.implicitDirs.add("");
        a.knownDirs.add("");
        TarReader reader = new TarReader(counted);
        for (TarEntry e; (e = reader.next()) != null; ) {
            if (++a.entries > limits.maxEntries()) {
                throw new LayerException("layer has more than " + limits.maxEntries() + " entries (the limit)");
            }
            try {
                a.apply(e, reader);
            } catch (LayerException refused) {
                throw refused;
            } catch (java.nio.file.FileSystemException | Native.NativeException failed) {
                // Name the entry (shortened), not the host path the system call was given: it can be long
                // and says where the store is, not what in the layer failed.
                throw LayerException.entry(e.name(), reason(failed));
            }
        }
        counted.transferTo(java.io.OutputStream.nullOutputStream()); // trailing zero blocks count in the DiffID
        for (DirTime t : a.dirTimes) Native.lutimes(t.path(), t.seconds(), t.nanos(), t.seconds(), t.nanos());
        List<LowerLink> links = new ArrayList<>();
        for (CopyUp c : a.copyUps) {
            if (!c.names().isEmpty()) links.add(new LowerLink(c.target(), c.entry(), List.copyOf(c.names())));
        }
        return new Result(counted.digest(), counted.count(), a.entries, Set.copyOf(a.implicitDirs), List.copyOf(links));
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
        if (files && base.startsWith(WHITEOUT_PREFIX)) {
            throw LayerException.entry(e.name(), "a name starting with .wh. marks a deletion in an image layer: such a file cannot be kept");
        }
        if (base.equals(OPAQUE_MARKER)) {
            Path dir = parents(e.name(), parentParts);
            Native.lsetxattr(dir, OPAQUE_XATTR, new byte[] {'y'});
            dropCopyUps(String.join("/", parentParts)); // what was copied up from below is hidden now
            return;
        }
        if (base.startsWith(WHITEOUT_PREFIX)) {
            if (base.startsWith(WHITEOUT_PREFIX + WHITEOUT_PREFIX)) return; // AUFS metadata (.wh..wh.plnk): not content
            String hidden = base.substring(WHITEOUT_PREFIX.length());
            if (hidden.isEmpty() || hidden.equals(".") || hidden.equals("..")) throw LayerException.entry(e.name(), "invalid whiteout");
            Path dir = parents(e.name(), parentParts);
            whiteout(dir.resolve(hidden), String.join("/", parentParts.isEmpty() ? List.of(hidden) : append(parentParts, hidden)));
            return;
        }
        Path parent = parents(e.name(), parentParts);
        Path target = parent.resolve(base);
        String rel = String.join("/", parts);
        BasicFileAttributes existing = lstat(target);
        boolean wasWhiteout = existing != null && isWhiteout(target, existing);
        if (existing != null) {
            if (existing.isDirectory() && e.type() == TarEntry.Type.DIRECTORY) {
                implicitDirs.remove(rel); // listed after all: its own attributes apply
            } else {
                remove(target, existing);
                forget(rel);
                if (existing.isDirectory()) {
                    knownDirs.clear();
                    implicitDirs.removeIf(d -> atOrUnder(d, rel)); // gone: none may take attributes from below
                }
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
                List<String> to = components(e.linkName(), e.name());
                String toRel = String.join("/", to);
                if (toRel.equals(rel)) throw LayerException.entry(e.name(), "hardlink to itself");
                if (toRel.startsWith(rel + "/")) throw LayerException.entry(e.name(), "hardlink to a path below itself");
                Path source = linkSource(e, to);
                Files.createLink(target, source);
                CopyUp c = copyUpOf.get(toRel);
                if (c != null) {
                    c.names().add(rel);
                    copyUpOf.put(rel, c);
                }
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
    private Path parents(String entry, List<String> parts) throws IOException {
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
                Files.createDirectory(dir);
                implicitDirs.add(key);
            } else if (a.isSymbolicLink()) {
                throw LayerException.entry(entry, "path goes through the symlink " + key + " (it could point outside the layer)");
            } else if (isWhiteout(dir, a)) {
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

    /**
     * The file a hardlink entry links to: the layer's own where it has one; otherwise, where
     * nothing in this layer hides the path, a copy-up of the file below (see {@link LowerLink}).
     */
    private Path linkSource(TarEntry e, List<String> parts) throws IOException {
        if (parts.isEmpty()) throw LayerException.entry(e.name(), "hardlink to the layer root");
        Path p = root;
        StringBuilder key = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            p = p.resolve(parts.get(i));
            if (!key.isEmpty()) key.append('/');
            key.append(parts.get(i));
            boolean last = i == parts.size() - 1;
            if (!last && knownDirs.contains(key.toString())) continue;
            BasicFileAttributes a = lstat(p);
            if (a == null) return copyUp(e, parts, i);
            if (a.isSymbolicLink() && !last) {
                throw LayerException.entry(e.name(), "path goes through the symlink " + key + " (it could point outside the layer)");
            }
            if (isWhiteout(p, a)) throw LayerException.entry(e.name(), "hardlink to a deleted path");
            if (last) {
                if (a.isDirectory()) throw LayerException.entry(e.name(), "hardlink to a directory");
                return p;
            }
            if (!a.isDirectory()) throw LayerException.entry(e.name(), key + " is not a directory");
            knownDirs.add(key.toString());
        }
        throw new AssertionError("unreachable");
    }

    /**
     * An empty file at the target's path, to become the copy of the file below in {@link #finish};
     * the layer has the target's first {@code present} directories, and none of them may be opaque
     * (the layers below would not show the target there).
     */
    private Path copyUp(TarEntry e, List<String> parts, int present) throws IOException {
        for (int i = 1; i <= present; i++) {
            String dir = String.join("/", parts.subList(0, i));
            if (Native.lgetxattr(root.resolve(dir), OPAQUE_XATTR).isPresent()) {
                throw LayerException.entry(e.name(), "hardlink target " + e.linkName() + " is not in the layer, and the layer's opaque directory "
                        + dir + " hides the layers below");
            }
        }
        Path copy = parents(e.name(), parts.subList(0, parts.size() - 1)).resolve(parts.getLast());
        Files.createFile(copy);
        String target = String.join("/", parts);
        CopyUp c = new CopyUp(target, e.name(), new LinkedHashSet<>(List.of(target)));
        copyUps.add(c);
        copyUpOf.put(target, c);
        return copy;
    }

    /** The copy-up inodes lose {@code rel}, and every path below it: a later entry removed them. */
    private void forget(String rel) {
        if (copyUpOf.isEmpty()) return;
        copyUpOf.entrySet().removeIf(en -> {
            boolean gone = atOrUnder(en.getKey(), rel);
            if (gone) en.getValue().names().remove(en.getKey());
            return gone;
        });
    }

    /**
     * Removes the copies of files below under the directory {@code dirRel}, which now hides the
     * layers below, and the directories made only to hold them; the layer's own paths of those
     * inodes stay.
     */
    private void dropCopyUps(String dirRel) throws IOException {
        List<String> copies = new ArrayList<>();
        for (var en : copyUpOf.entrySet()) {
            if (en.getKey().equals(en.getValue().target()) && atOrUnder(en.getKey(), dirRel)) copies.add(en.getKey());
        }
        for (String copy : copies) {
            Files.delete(root.resolve(copy));
            forget(copy);
            // The directories made only to hold it go too, up to dirRel.
            String d = parentOf(copy);
            while (d != null && !d.equals(dirRel) && removeIfOnlyImplicit(d)) d = parentOf(d);
        }
    }

    /** Whether the layer path {@code path} is {@code dir} or below it ("" is the layer root). */
    private static boolean atOrUnder(String path, String dir) {
        return dir.isEmpty() || path.equals(dir) || path.startsWith(dir + "/");
    }

    private static String parentOf(String rel) {
        int slash = rel.lastIndexOf('/');
        return slash < 0 ? (rel.isEmpty() ? null : "") : rel.substring(0, slash);
    }

    /** Removes the directory {@code rel} when the layer made it implicitly and it is empty; says whether it did. */
    private boolean removeIfOnlyImplicit(String rel) throws IOException {
        Path dir = root.resolve(rel);
        if (!implicitDirs.contains(rel)) return false;
        try (var s = Files.newDirectoryStream(dir)) {
            if (s.iterator().hasNext()) return false;
        }
        Files.delete(dir);
        implicitDirs.remove(rel);
        knownDirs.remove(rel);
        return true;
    }

    private void whiteout(Path hidden, String rel) throws IOException {
        BasicFileAttributes a = lstat(hidden);
        CopyUp c = copyUpOf.get(rel);
        if (c != null && c.target().equals(rel)) {
            // A copy of the file below, not an entry of the layer: deleted with it.
            Files.delete(hidden);
            forget(rel);
            a = null;
        } else if (a != null && a.isDirectory()) {
            dropCopyUps(rel);
            if (removeIfOnlyImplicit(rel)) a = null; // it held copies of files below only, nothing of the layer's own
        }
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

    /** What failed, without the host path: the system's reason, or the call and errno's text. */
    private static String reason(IOException failed) {
        if (failed instanceof Native.NativeException n) return n.reason();
        String r = ((java.nio.file.FileSystemException) failed).getReason();
        return r != null ? r : failed.getClass().getSimpleName();
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

    /** Removes {@code p} and, if it is a directory, all below it, never following a symlink. */
    public static void removeTree(Path p) throws IOException {
        BasicFileAttributes a = lstat(p);
        if (a != null) remove(p, a);
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
     * Completes an applied layer once the layers below it exist ({@code lowers}, top first; empty
     * for a base layer): copies up the files of those layers that its entries hardlink (see {@link
     * LowerLink}), then gives the directories it did not list the attributes they have below.
     */
    public static void finish(Path layer, Result applied, List<Path> lowers) throws IOException {
        for (LowerLink l : applied.lowerLinks()) fill(layer, l, lowers);
        inheritImplicitDirs(layer, applied.implicitDirs(), lowers);
    }

    /** Fills the copy-up inode, through any of its paths, with the file below: its data, owner, mode, xattrs and times. */
    private static void fill(Path layer, LowerLink l, List<Path> lowers) throws IOException {
        Path below = lookupBelow(l.target(), lowers);
        if (below == null) {
            throw LayerException.entry(l.entry(), "hardlink target " + l.target() + " is not in the layer nor in the layers below it");
        }
        BasicFileAttributes a = lstat(below);
        if (a.isDirectory()) throw LayerException.entry(l.entry(), "hardlink to a directory");
        if (!a.isRegularFile()) {
            throw LayerException.entry(l.entry(), "hardlink target " + l.target() + " is not a regular file in the layers below"
                    + " (only regular files are linked across layers)");
        }
        Path copy = layer.resolve(l.names().getFirst());
        try (FileChannel in = FileChannel.open(below, StandardOpenOption.READ, NOFOLLOW);
             FileChannel out = FileChannel.open(copy, StandardOpenOption.WRITE, NOFOLLOW)) {
            for (long done = 0, size = in.size(); done < size; ) done += in.transferTo(done, size - done, out);
        }
        copyAttributes(below, copy);
    }

    /**
     * Gives the directories a layer did not list (made by {@link #apply} as parents) the owner, mode,
     * times and xattrs the same path has below, as overlay shows the upper directory's attributes.
     */
    private static void inheritImplicitDirs(Path layer, Set<String> implicit, List<Path> lowers) throws IOException {
        for (String rel : implicit) {
            Path below = lookupBelow(rel, lowers);
            if (below == null || !Files.isDirectory(below, NOFOLLOW)) continue;
            copyAttributes(below, rel.isEmpty() ? layer : layer.resolve(rel));
        }
    }

    /** Owner, mode (after the owner: chown clears setuid), xattrs but overlay's own, then times. */
    private static void copyAttributes(Path from, Path to) throws IOException {
        Map<String, Object> a = Files.readAttributes(from, "unix:uid,gid,mode,lastModifiedTime,lastAccessTime", NOFOLLOW);
        Native.lchown(to, (Integer) a.get("uid"), (Integer) a.get("gid"));
        Native.chmod(to, (Integer) a.get("mode"));
        for (String x : Native.llistxattr(from)) {
            if (x.startsWith(OVERLAY_XATTRS)) continue;
            var v = Native.lgetxattr(from, x);
            if (v.isPresent()) Native.lsetxattr(to, x, v.get());
        }
        var mi = ((FileTime) a.get("lastModifiedTime")).toInstant();
        var ai = ((FileTime) a.get("lastAccessTime")).toInstant();
        Native.lutimes(to, ai.getEpochSecond(), ai.getNano(), mi.getEpochSecond(), mi.getNano());
    }

    /**
     * What the layers below ({@code lowers}, top first) show at {@code rel}, as overlay would: the
     * topmost node there, or null where there is none (never made, deleted, or hidden by an opaque
     * directory or by a non-directory on the way).
     */
    private static Path lookupBelow(String rel, List<Path> lowers) throws IOException {
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
                if (i == parts.size() - 1) return isWhiteout(p, a) ? null : p;
                if (!a.isDirectory()) return null; // a file, link or whiteout there hides everything below
                if (Native.lgetxattr(p, OPAQUE_XATTR).isPresent()) opaqueAbove = true;
            }
            if (present) return p; // the root
            if (opaqueAbove) return null;
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
