package io.strata.builder;

import io.strata.snapshots.TarEntry;
import io.strata.snapshots.TarWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * What a COPY or ADD copies, as the Dockerfile reference says: each source (a path or a wildcard
 * of the context, or of another stage's tree) found without leaving its root, a directory's
 * contents rather than the directory, into the destination (a directory when it ends with / or when
 * there are several sources), as tar entries. The entries are named relative to the image's root,
 * owned by root unless --chown says otherwise (or, from another stage, as they were), with their
 * modes unless --chmod. Their digest (names, types, modes, owners, link targets and contents, never
 * times) is the step's cache key, as BuildKit keys a copy by its content.
 */
public final class CopySources {
    /** One file to copy: where it is (or its bytes, for a here-document), and its entry's name in the image. */
    record Item(Path source, String name, byte[] inline, boolean archive) {
        Item(Path source, String name) {
            this(source, name, null, false);
        }
    }

    /** A here-document COPY writes: its name and its body. */
    public record Inline(String name, byte[] content) {}

    private final Path root;
    private final IgnorePatterns ignore;
    private final List<Item> items = new ArrayList<>();

    private CopySources(Path root, IgnorePatterns ignore) {
        this.root = root;
        this.ignore = ignore;
    }

    /**
     * Resolves {@code sources} (as written, expanded) under {@code root} for destination {@code dest}
     * (absolute, in the image, after WORKDIR). Fails with a message naming a source that is not there,
     * and the ignore pattern that left it out when one did.
     */
    public static CopySources resolve(Path root, IgnorePatterns ignore, List<String> sources, String dest) throws IOException {
        return resolve(root, ignore, sources, List.of(), dest);
    }

    /** As above, with here-documents as files of their own (named in {@code dest} when it is a directory, else {@code dest} itself). */
    public static CopySources resolve(Path root, IgnorePatterns ignore, List<String> sources, List<Inline> inline, String dest) throws IOException {
        return resolve(root, ignore, sources, inline, dest, false);
    }

    /**
     * As above; with {@code extract} (ADD), a source that is a tar archive, plain or gzip or zstd
     * compressed, is unpacked into the destination directory instead of copied as a file.
     */
    public static CopySources resolve(Path root, IgnorePatterns ignore, List<String> sources, List<Inline> inline, String dest, boolean extract)
            throws IOException {
        CopySources c = new CopySources(root, ignore);
        boolean destIsDir = dest.endsWith("/") || sources.size() + inline.size() > 1;
        String target = IgnorePatterns.clean(dest);
        if (target.startsWith("/")) target = target.substring(1);
        if (target.equals(".")) target = "";
        for (Inline in : inline) {
            if (in.name().contains("/")) throw new IllegalArgumentException("COPY: a here-document's name is a file's: " + in.name());
            c.items.add(new Item(null, destIsDir ? join(target, in.name()) : target, in.content(), false));
        }
        for (String source : sources) {
            List<String> matches = c.glob(source);
            if (matches.isEmpty()) {
                String rel = relative(source);
                String why = ignore.excludedBy(rel).map(p -> " (left out by the ignore file's pattern " + p + ")").orElse("");
                throw new IllegalArgumentException("COPY: " + source + " is not in the " + (ignore == IgnorePatterns.none() ? "--from stage or image" : "build context") + why);
            }
            if (matches.size() > 1) destIsDir = true;
            for (String rel : matches) {
                Path p = c.root.resolve(rel.isEmpty() ? "." : rel).normalize();
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    c.below(p, rel, target);
                } else if (extract && isTarArchive(p)) {
                    c.items.add(new Item(p, target, null, true));
                } else {
                    String base = rel.contains("/") ? rel.substring(rel.lastIndexOf('/') + 1) : rel;
                    c.items.add(new Item(p, destIsDir ? join(target, base) : target));
                }
            }
        }
        return c;
    }

    /** Every entry under directory {@code dir} (context path {@code rel}), named under {@code target}; ignored ones left out. */
    private void below(Path dir, String rel, String target) throws IOException {
        List<Path> all;
        try (var walk = Files.walk(dir)) { // links are not followed: a link is copied as a link
            all = walk.sorted().toList();
        }
        for (Path p : all) {
            if (p.equals(dir)) continue; // its contents are copied, not the directory itself

            String inContext = root.relativize(p).toString();
            if (ignore.excluded(inContext)) continue;
            items.add(new Item(p, join(target, dir.relativize(p).toString())));
        }
    }

    /** The context paths a source names: itself, or what its wildcard matches (sorted). */
    private List<String> glob(String source) throws IOException {
        String rel = relative(source);
        if (rel.startsWith("..")) throw new IllegalArgumentException("COPY: " + source + " is outside the build context");
        if (!rel.contains("*") && !rel.contains("?") && !rel.contains("[")) {
            Path p = root.resolve(rel.isEmpty() ? "." : rel).normalize();
            if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS) || !rel.isEmpty() && ignore.excluded(rel)) return List.of();
            checkNoLinkOnTheWay(rel);
            return List.of(rel);
        }
        java.nio.file.PathMatcher m = root.getFileSystem().getPathMatcher("glob:" + rel);
        List<String> out = new ArrayList<>();
        int depth = rel.split("/").length;
        try (var walk = Files.walk(root, depth)) {
            for (Path p : (Iterable<Path>) walk::iterator) {
                Path r = root.relativize(p);
                if (r.toString().isEmpty() || !m.matches(r) || ignore.excluded(r.toString())) continue;
                out.add(r.toString());
            }
        }
        out.sort(null);
        for (String o : out) checkNoLinkOnTheWay(o);
        return out;
    }

    /** A source reached through a symbolic link on its way could lead out of its root: refused. */
    private void checkNoLinkOnTheWay(String rel) {
        Path p = root;
        String[] parts = rel.split("/");
        for (int i = 0; i < parts.length - 1; i++) {
            if (parts[i].isEmpty()) continue;
            p = p.resolve(parts[i]);
            if (Files.isSymbolicLink(p)) throw new IllegalArgumentException("COPY: " + rel + " goes through the symbolic link " + root.relativize(p)
                    + ": name the path the link leads to");
        }
    }

    private static String relative(String source) {
        String c = IgnorePatterns.clean(source);
        if (c.startsWith("/")) c = c.substring(1);
        return c.equals(".") ? "" : c;
    }

    private static String join(String a, String b) {
        return a.isEmpty() ? b : a + "/" + b;
    }

    /** Ownership and mode as COPY gives them: --chown's ids (null: root's, or the source's with {@code keepOwners}), --chmod's mode (null: the source's). */
    public record Attributes(Long uid, Long gid, Integer mode, boolean keepOwners) {}

    /** The entries' digest: what the step's cache key takes from the files. */
    public String digest(Attributes a) throws IOException {
        MessageDigest d = io.strata.oci.DigestAlgorithm.SHA256.newStreamingDigest();
        byte[] buf = new byte[1 << 16];
        for (Item i : items) {
            if (i.archive()) {
                d.update(("archive\0" + i.name() + "\0" + a + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                try (InputStream in = Files.newInputStream(i.source(), LinkOption.NOFOLLOW_LINKS)) {
                    for (int n; (n = in.read(buf)) > 0; ) d.update(buf, 0, n);
                }
                continue;
            }
            TarEntry e = entry(i, a);
            d.update((e.name() + "\0" + e.type() + "\0" + e.mode() + "\0" + e.uid() + "\0" + e.gid() + "\0" + e.linkName()
                    + "\0").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            if (e.type() == TarEntry.Type.FILE) {
                try (InputStream in = open(i)) {
                    for (int n; (n = in.read(buf)) > 0; ) d.update(buf, 0, n);
                }
            }
        }
        return HexFormat.of().formatHex(d.digest());
    }

    /**
     * Writes the entries as a layer's. Parent directories no source names are not written: the
     * layer's unpacking gives them the attributes the layers below have (a COPY into /tmp leaves
     * /tmp 1777), or root's 0755 where none does.
     */
    public void write(TarWriter tar, Attributes a) throws IOException {
        for (Item i : items) {
            if (i.archive()) {
                extract(i, tar, a);
                continue;
            }
            TarEntry e = entry(i, a);
            tar.header(e);
            if (e.type() == TarEntry.Type.FILE) {
                try (InputStream in = open(i)) {
                    tar.data(in, e.size());
                }
            }
        }
    }

    /** Whether {@code p} holds a tar archive, plain or compressed: a tar header's ustar magic where it belongs. */
    private static boolean isTarArchive(Path p) throws IOException {
        try (InputStream in = io.strata.snapshots.Compression.decompressAny(Files.newInputStream(p, LinkOption.NOFOLLOW_LINKS))) {
            byte[] header = in.readNBytes(512);
            return header.length == 512 && new String(header, 257, 5, java.nio.charset.StandardCharsets.US_ASCII).equals("ustar");
        } catch (IOException notCompressedRight) {
            return false; // a file that only starts like gzip: copied as it is
        }
    }

    /**
     * An archive's entries under the destination, as tar -x would make them (ADD): names made
     * relative and prefixed, owners kept unless --chown; the layer's unpacking checks every entry
     * as it checks any layer's (no .., no way out through links).
     */
    private void extract(Item i, TarWriter tar, Attributes a) throws IOException {
        try (InputStream in = io.strata.snapshots.Compression.decompressAny(Files.newInputStream(i.source(), LinkOption.NOFOLLOW_LINKS))) {
            io.strata.snapshots.TarReader reader = new io.strata.snapshots.TarReader(in);
            for (TarEntry e; (e = reader.next()) != null; ) {
                String name = IgnorePatterns.clean(e.name());
                if (name.startsWith("/")) name = name.substring(1);
                if (name.equals(".")) continue;
                if (e.isSparse()) throw new IllegalArgumentException("ADD: " + root.relativize(i.source()) + " holds a sparse file (" + e.name()
                        + "), which ADD does not unpack yet");
                if (name.startsWith("..")) throw new IllegalArgumentException("ADD: " + root.relativize(i.source()) + " has an entry outside its root: " + e.name());
                String full = join(i.name(), name) + (e.type() == TarEntry.Type.DIRECTORY ? "/" : "");
                String link = e.type() == TarEntry.Type.HARDLINK ? join(i.name(), IgnorePatterns.clean(e.linkName()).replaceFirst("^/", "")) : e.linkName();
                tar.header(new TarEntry(full, e.type(), a.mode() != null ? a.mode() : e.mode(), a.uid() != null ? a.uid() : e.uid(),
                        a.gid() != null ? a.gid() : e.gid(), e.size(), e.realSize(), e.mtimeSeconds(), e.mtimeNanos(), link, e.devMajor(), e.devMinor(),
                        e.xattrs(), null));
                if (e.type() == TarEntry.Type.FILE) tar.data(reader.data(), e.size());
            }
        }
    }

    private static InputStream open(Item i) throws IOException {
        return i.inline() != null ? new java.io.ByteArrayInputStream(i.inline()) : Files.newInputStream(i.source(), LinkOption.NOFOLLOW_LINKS);
    }

    private TarEntry entry(Item i, Attributes a) throws IOException {
        if (i.inline() != null) {
            // A here-document: a file of root's (or --chown's), 0644 (or --chmod's), made now.
            java.time.Instant now = java.time.Instant.now();
            return new TarEntry(i.name(), TarEntry.Type.FILE, a.mode() != null ? a.mode() : 0644, a.uid() != null ? a.uid() : 0,
                    a.gid() != null ? a.gid() : 0, i.inline().length, i.inline().length, now.getEpochSecond(), now.getNano(), "", 0, 0, Map.of(), null);
        }
        Map<String, Object> attrs = Files.readAttributes(i.source(), "unix:mode,uid,gid,size,lastModifiedTime", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) attrs.get("mode");
        TarEntry.Type type;
        String link = ""; // the tar header's: empty for what is no link
        long size = 0;
        if (Files.isSymbolicLink(i.source())) {
            type = TarEntry.Type.SYMLINK;
            link = Files.readSymbolicLink(i.source()).toString();
        } else if (Files.isDirectory(i.source(), LinkOption.NOFOLLOW_LINKS)) {
            type = TarEntry.Type.DIRECTORY;
        } else if (Files.isRegularFile(i.source(), LinkOption.NOFOLLOW_LINKS)) {
            type = TarEntry.Type.FILE;
            size = (Long) attrs.get("size");
        } else {
            throw new IllegalArgumentException("COPY: " + root.relativize(i.source()) + " is neither a file, a directory nor a link");
        }
        int perm = a.mode() != null && type != TarEntry.Type.SYMLINK ? a.mode() : mode & 07777;
        long uid = a.uid() != null ? a.uid() : a.keepOwners() ? ((Number) attrs.get("uid")).longValue() : 0;
        long gid = a.gid() != null ? a.gid() : a.keepOwners() ? ((Number) attrs.get("gid")).longValue() : 0;
        java.time.Instant mtime = ((java.nio.file.attribute.FileTime) attrs.get("lastModifiedTime")).toInstant();
        String name = type == TarEntry.Type.DIRECTORY ? i.name() + "/" : i.name();
        return new TarEntry(name, type, perm, uid, gid, size, size, mtime.getEpochSecond(), mtime.getNano(), link, 0, 0, Map.of(), null);
    }

    public int count() {
        return items.size();
    }
}
