package io.strata.snapshots;

import java.util.List;
import java.util.Map;

/**
 * One tar entry as a layer declares it, after PAX and GNU extensions were applied. Names are as
 * written (relative or absolute, not yet checked); {@code size} is the stored data's length and,
 * for a sparse file, {@code realSize} the file's length with its holes.
 */
public record TarEntry(
        String name,
        Type type,
        int mode,
        long uid,
        long gid,
        long size,
        long realSize,
        long mtimeSeconds,
        long mtimeNanos,
        String linkName,
        long devMajor,
        long devMinor,
        Map<String, byte[]> xattrs,
        List<Region> sparse) {

    public enum Type { FILE, HARDLINK, SYMLINK, CHAR, BLOCK, DIRECTORY, FIFO }

    /** A data region of a sparse file: {@code length} bytes at {@code offset}; the rest are holes. */
    public record Region(long offset, long length) {}

    public boolean isSparse() {
        return sparse != null;
    }
}
