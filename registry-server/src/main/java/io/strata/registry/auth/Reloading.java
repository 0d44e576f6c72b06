package io.strata.registry.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

/**
 * A file's parsed content, read again when the file changes (its modification time or size), checked
 * at most once a second, so an operator edits htpasswd or the policy without a restart. A file that
 * no longer parses keeps the last good content and the error is reported once.
 */
final class Reloading<T> {
    interface Parser<T> {
        T parse(Path file) throws IOException;
    }

    private final Path file;
    private final Parser<T> parser;
    private volatile T value;
    private volatile FileTime modified;
    private volatile long size;
    private volatile long checkedAt;

    Reloading(Path file, Parser<T> parser) {
        this.file = file;
        this.parser = parser;
        try {
            this.modified = Files.getLastModifiedTime(file);
            this.size = Files.size(file);
            this.value = parser.parse(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        this.checkedAt = System.nanoTime();
    }

    T get() {
        long now = System.nanoTime();
        if (now - checkedAt < 1_000_000_000L) return value;
        synchronized (this) {
            if (now - checkedAt < 1_000_000_000L) return value;
            checkedAt = now;
            try {
                FileTime m = Files.getLastModifiedTime(file);
                long s = Files.size(file);
                if (!m.equals(modified) || s != size) {
                    T next = parser.parse(file);
                    value = next;
                    modified = m;
                    size = s;
                    org.slf4j.LoggerFactory.getLogger(Reloading.class).info("reloaded {}", file);
                }
            } catch (IOException | RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(Reloading.class).warn("{} changed but cannot be read, keeping what it said before: {}",
                        file, e.getMessage());
                try {
                    modified = Files.getLastModifiedTime(file);
                    size = Files.size(file);
                } catch (IOException ignored) {
                    // checked again in a second
                }
            }
            return value;
        }
    }
}
