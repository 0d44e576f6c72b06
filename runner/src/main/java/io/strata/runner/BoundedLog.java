package io.strata.runner;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

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
        printTail(file, to, Long.MAX_VALUE);
    }

    /**
     * The last {@code lines} lines of what the log holds (a last line without its newline counts),
     * in two passes over the files, so nothing but a buffer is held however long the lines. Returns
     * the bytes of the current file it read, where a follower goes on from.
     */
    static long printTail(Path file, OutputStream to, long lines) throws IOException {
        List<Path> parts = new ArrayList<>();
        for (Path p : List.of(file.resolveSibling(file.getFileName() + ".1"), file)) if (Files.exists(p)) parts.add(p);
        long[] sizes = new long[parts.size()];
        for (int i = 0; i < sizes.length; i++) sizes[i] = Files.size(parts.get(i)); // what is read: not what comes meanwhile
        byte[] buf = new byte[8192];
        long total = 0;
        int last = '\n';
        // All of it (print, logs without --tail): nothing to count first.
        for (int i = 0; i < sizes.length && lines != Long.MAX_VALUE; i++) {
            try (InputStream in = new io.strata.remote.Bounded(Files.newInputStream(parts.get(i)), sizes[i])) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    for (int k = 0; k < n; k++) if (buf[k] == '\n') total++;
                    last = buf[n - 1];
                }
            }
        }
        if (last != '\n') total++;
        long skip = Math.max(0, total - lines);
        for (int i = 0; i < sizes.length; i++) {
            try (InputStream in = new io.strata.remote.Bounded(Files.newInputStream(parts.get(i)), sizes[i])) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    int from = 0;
                    while (skip > 0 && from < n) if (buf[from++] == '\n') skip--;
                    if (skip == 0 && from < n) to.write(buf, from, n - from);
                }
            }
        }
        to.flush();
        return parts.isEmpty() || !parts.getLast().equals(file) ? 0 : sizes[sizes.length - 1];
    }
}
