package io.strata.runner;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * A container's output stream kept in a file that never grows past a bound: when the file reaches
 * {@code max} bytes it becomes {@code NAME.1} (replacing the older one) and a new file starts, so a
 * chatty container holds at most twice the bound on disk.
 */
final class BoundedLog {
    static final long DEFAULT_MAX = 10L << 20;

    private BoundedLog() {}

    /** Copies {@code in} to {@code file} until it ends. */
    static void copy(InputStream in, Path file, long max) throws IOException {
        byte[] buf = new byte[8192];
        OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        long size = Files.size(file);
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                for (int off = 0; off < n; ) {
                    if (size >= max) {
                        out.close();
                        Files.move(file, file.resolveSibling(file.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
                        out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                        size = 0;
                    }
                    int chunk = (int) Math.min(n - off, max - size);
                    out.write(buf, off, chunk);
                    off += chunk;
                    size += chunk;
                }
                out.flush();
            }
        } finally {
            out.close();
        }
    }

    /** What a log holds, oldest first: the rotated file, then the current one. */
    static void print(Path file, OutputStream to) throws IOException {
        Path old = file.resolveSibling(file.getFileName() + ".1");
        if (Files.exists(old)) Files.copy(old, to);
        if (Files.exists(file)) Files.copy(file, to);
        to.flush();
    }
}
