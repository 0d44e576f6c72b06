package io.strata.client;

import io.strata.oci.Digest;
import io.strata.snapshots.Native;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a root filesystem holds, path by path: type, mode with its special bits, owner, size, content
 * hash, link target, device numbers, xattrs and hardlink groups (times are not compared: the
 * tools set directory times differently and the spec does not fix them).
 */
public final class Trees {
    private Trees() {}

    public static Map<String, String> describe(Path root) throws IOException {
        Map<String, String> out = new TreeMap<>();
        Map<Object, java.util.TreeSet<String>> pathsOfInode = new HashMap<>();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                out.put(rel(dir), entry(dir, attrs));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) pathsOfInode.computeIfAbsent(attrs.fileKey(), k -> new java.util.TreeSet<>()).add(rel(file));
                out.put(rel(file), entry(file, attrs));
                return FileVisitResult.CONTINUE;
            }

            private String rel(Path p) {
                String r = root.relativize(p).toString();
                return r.isEmpty() ? "." : r;
            }
        });
        // Hardlinks: every path of an inode names the whole group, whatever order the walk found them in.
        for (var group : pathsOfInode.values()) {
            if (group.size() > 1) for (String p : group) out.put(p, out.get(p) + " hardlinks=" + String.join(",", group));
        }
        return out;
    }

    private static String entry(Path p, BasicFileAttributes a) throws IOException {
        Map<String, Object> u = Files.readAttributes(p, "unix:mode,uid,gid,rdev,size", LinkOption.NOFOLLOW_LINKS);
        int mode = (Integer) u.get("mode");
        StringBuilder s = new StringBuilder();
        s.append(String.format("mode=%06o uid=%d gid=%d", mode, (Integer) u.get("uid"), (Integer) u.get("gid")));
        if (a.isRegularFile()) s.append(" size=").append(u.get("size")).append(" sha256=").append(sha256(p));
        if (a.isSymbolicLink()) s.append(" -> ").append(Files.readSymbolicLink(p));
        if (a.isOther()) {
            long rdev = (Long) u.get("rdev");
            s.append(" dev=").append(Native.major(rdev)).append(',').append(Native.minor(rdev));
        }
        List<String> names = Native.llistxattr(p).stream().filter(n -> !n.startsWith("trusted.overlay.")).sorted().toList();
        for (String n : names) {
            s.append(" xattr:").append(n).append('=').append(HexFormat.of().formatHex(Native.lgetxattr(p, n).orElseThrow()));
        }
        return s.toString();
    }

    private static String sha256(Path p) throws IOException {
        MessageDigest md = io.strata.oci.DigestAlgorithm.SHA256.newMessageDigest();
        try (var in = Files.newInputStream(p)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        return Digest.of(io.strata.oci.DigestAlgorithm.SHA256, md.digest()).encoded().substring(0, 16);
    }

    /** The differences, one line each, or "" when the trees are equal. */
    public static String diff(Map<String, String> expected, Map<String, String> actual) {
        StringBuilder out = new StringBuilder();
        for (var e : expected.entrySet()) {
            String a = actual.get(e.getKey());
            if (a == null) out.append("missing ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
            else if (!a.equals(e.getValue())) out.append("differs ").append(e.getKey()).append(":\n  expected ").append(e.getValue())
                    .append("\n  actual   ").append(a).append('\n');
        }
        for (var e : actual.entrySet()) {
            if (!expected.containsKey(e.getKey())) out.append("extra ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        }
        return out.toString();
    }
}
