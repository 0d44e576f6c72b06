package io.strata.snapshots;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One mount as a snapshotter describes it (containerd's mount.Mount): a type, a source and
 * options. {@link #mount} performs it, as root.
 */
public record Mount(String type, String source, List<String> options) {
    public Mount {
        options = List.copyOf(options);
    }

    /** mount(2) takes options in one page; longer overlay lowerdir lists go through the new mount API. */
    private static final int PAGE = 4096;

    public boolean readOnly() {
        return options.contains("ro");
    }

    /** Mounts at {@code target}. */
    public void mount(Path target) throws IOException {
        if (type.equals("bind")) {
            long flags = Native.MS_BIND | Native.MS_REC;
            Native.mount(source, target, null, flags, null);
            if (readOnly()) Native.mount(source, target, null, flags | Native.MS_RDONLY | 32 /* MS_REMOUNT */, null);
            return;
        }
        List<String> data = new ArrayList<>();
        for (String o : options) if (!o.equals("ro")) data.add(o);
        String joined = String.join(",", data);
        if (joined.getBytes(StandardCharsets.UTF_8).length < PAGE - 1 || !Native.hasNewMountApi()) {
            Native.mount(source, target, type, readOnly() ? Native.MS_RDONLY : 0, joined);
            return;
        }
        List<String[]> config = new ArrayList<>();
        for (String o : data) {
            int eq = o.indexOf('=');
            String key = eq < 0 ? o : o.substring(0, eq);
            String value = eq < 0 ? "" : o.substring(eq + 1);
            if (key.equals("lowerdir")) {
                for (String dir : value.split(":")) config.add(new String[] {"lowerdir+", dir});
            } else {
                config.add(new String[] {key, value});
            }
        }
        Native.fsmount(type, config, readOnly(), target);
    }

    /** This process's mount table, one line per mount, with mountinfo's octal escapes undone in {@code field}. */
    static List<String> table() throws IOException {
        try {
            List<String> out = new ArrayList<>();
            for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/mountinfo"))) out.add(unescape(line));
            return out;
        } catch (java.nio.file.NoSuchFileException e) {
            return List.of();
        }
    }

    private static String unescape(String s) {
        return s.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\");
    }

    /** This process's mount points (mountinfo's fifth field, unescaped), in the table's order. */
    private static List<String> mountPoints() throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] fields = line.split(" ");
            if (fields.length > 4) out.add(unescape(fields[4]));
        }
        return out;
    }

    /** Whether something is mounted at {@code target}. */
    public static boolean isMountPoint(Path target) throws IOException {
        return mountPoints().contains(target.toAbsolutePath().normalize().toString());
    }

    /** Detaches every mount at or below {@code dir}, deepest first (what a killed process left behind). */
    public static void unmountAllUnder(Path dir) throws IOException {
        String root = dir.toAbsolutePath().normalize().toString();
        List<String> points = new ArrayList<>();
        for (String point : mountPoints()) if (point.equals(root) || point.startsWith(root + "/")) points.add(point);
        points.sort(java.util.Comparator.reverseOrder());
        for (String point : points) unmount(Path.of(point));
    }

    /**
     * Unmounts whatever is mounted at {@code target}. Another process may unmount it first (a
     * container's supervisor and {@code rm -f} both clean up after it exits): a target that is no
     * longer a mount point then is no error.
     */
    public static void unmount(Path target) throws IOException {
        try {
            Native.umount(target);
        } catch (Native.NativeException e) {
            if (e.errno() != Native.EINVAL || isMountPoint(target)) throw e;
        }
    }
}
