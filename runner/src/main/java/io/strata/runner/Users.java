package io.strata.runner;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import io.strata.snapshots.ConfinedDir;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Resolves the image config's {@code User} (or {@code -u}) against the image's own
 * {@code /etc/passwd} and {@code /etc/group}, as config.md says: {@code user}, {@code uid},
 * {@code user:group}, {@code uid:gid}, {@code user:gid}, {@code uid:group}; supplementary groups
 * come from {@code /etc/group} for a named user.
 */
public final class Users {
    /** The most of /etc/passwd or /etc/group read: real ones are kilobytes. */
    static final int MAX_BYTES = 4 << 20;

    private Users() {}

    /** The ids a process runs as. */
    public record Ids(int uid, int gid, List<Integer> additionalGids, String home) {}

    public static Ids resolve(Path rootfs, String spec) throws IOException {
        if (spec == null || spec.isEmpty()) spec = "0";
        String userPart = spec;
        String groupPart = null;
        int colon = spec.indexOf(':');
        if (colon >= 0) {
            userPart = spec.substring(0, colon);
            groupPart = spec.substring(colon + 1);
        }
        List<String[]> passwd = read(rootfs, "etc/passwd");
        List<String[]> groups = read(rootfs, "etc/group");
        Integer uid = number(userPart);
        String name = null;
        Integer gid = null;
        String home = "/";
        for (String[] p : passwd) {
            if (p.length < 7) continue;
            boolean match = uid == null ? p[0].equals(userPart) : p[2].equals(String.valueOf(uid));
            if (match) {
                name = p[0];
                uid = Integer.parseInt(p[2]);
                gid = Integer.parseInt(p[3]);
                home = p[5];
                break;
            }
        }
        if (uid == null) throw new IOException("unable to find user " + userPart + ": no matching entries in the image's /etc/passwd");
        if (gid == null) gid = 0;
        if (groupPart != null && !groupPart.isEmpty()) {
            Integer g = number(groupPart);
            if (g == null) {
                g = null;
                for (String[] gr : groups) {
                    if (gr.length >= 3 && gr[0].equals(groupPart)) {
                        g = Integer.parseInt(gr[2]);
                        break;
                    }
                }
                if (g == null) throw new IOException("unable to find group " + groupPart + ": no matching entries in the image's /etc/group");
            }
            gid = g;
        }
        // The primary group is a supplementary group too, as podman gives it (id prints groups=GID(name),...).
        Set<Integer> extra = new LinkedHashSet<>(List.of(gid));
        if (name != null && groupPart == null) {
            for (String[] gr : groups) {
                if (gr.length < 4 || gr[3].isEmpty()) continue;
                for (String member : gr[3].split(",")) {
                    if (member.equals(name)) extra.add(Integer.parseInt(gr[2]));
                }
            }
        }
        return new Ids(uid, gid, new ArrayList<>(extra), home);
    }

    private static Integer number(String s) {
        if (s.isEmpty() || !s.chars().allMatch(Character::isDigit) || s.length() > 10) return null;
        long v = Long.parseLong(s);
        return v > Integer.MAX_VALUE ? null : (int) v;
    }

    /**
     * A colon-separated database of the image, read without following links out of the rootfs and
     * to at most {@link #MAX_BYTES}: an image decides its size, and a user database is small.
     */
    private static List<String[]> read(Path rootfs, String rel) throws IOException {
        byte[] content;
        try (ConfinedDir root = ConfinedDir.open(rootfs); InputStream in = root.readInRoot("/" + rel)) {
            if (in == null) return List.of();
            content = in.readNBytes(MAX_BYTES + 1);
        }
        if (content.length > MAX_BYTES) {
            throw new IOException("the image's /" + rel + " is larger than " + (MAX_BYTES >> 20) + " MiB: too large to be its user database");
        }
        List<String[]> out = new ArrayList<>();
        for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
            if (line.isBlank() || line.startsWith("#")) continue;
            out.add(line.split(":", -1));
        }
        return out;
    }
}
