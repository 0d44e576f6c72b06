package io.strata.runner;

import io.strata.snapshots.Native;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A file's capabilities ({@code security.capability}, as setcap writes it) against a container's
 * bounding set. execve(2) refuses with EPERM a file whose effective bit is set and whose permitted
 * capabilities the process cannot all get ({@code fP} outside the bounding set, the container's
 * inheritable set being empty): the runtime's init then dies with its own exit code, which would
 * read as the command's. Seen here first, the run answers 126 as docker does.
 */
final class FileCapabilities {
    private FileCapabilities() {}

    private static final String XATTR = "security.capability";
    private static final int EFFECTIVE = 0x000001;

    static long mask(List<String> names) {
        long m = 0;
        for (String n : names) m |= 1L << Capabilities.number(n);
        return m;
    }

    /** Whether execve of {@code file} fails for a process whose bounding set is {@code bounding}. */
    static boolean refusedUnder(Path file, long bounding) throws IOException {
        Optional<byte[]> value = Native.lgetxattr(file, XATTR);
        if (value.isEmpty() || value.get().length < 12) return false;
        ByteBuffer b = ByteBuffer.wrap(value.get()).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt();
        if ((magic & EFFECTIVE) == 0) return false; // no forced capabilities: execve succeeds with fewer
        long permitted = Integer.toUnsignedLong(b.getInt());
        b.getInt(); // inheritable
        if (value.get().length >= 20) permitted |= Integer.toUnsignedLong(b.getInt()) << 32; // revision 2 and 3: the upper 32 bits
        return (permitted & ~bounding) != 0;
    }
}
