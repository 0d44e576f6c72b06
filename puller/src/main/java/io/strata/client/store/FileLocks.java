package io.strata.client.store;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An exclusive lock on a file, across processes (a file lock) and across threads of this one: the
 * JVM grants one file lock per file and process, and a second thread asking for it gets an
 * OverlappingFileLockException instead of waiting (a build runs stages' containers at once, a sync
 * names several images in one store at once).
 */
public final class FileLocks {
    private static final Map<Path, ReentrantLock> THREADS = new ConcurrentHashMap<>();

    private FileLocks() {}

    /** Waits for the lock on {@code file} (made when missing); closing the answer releases it. */
    public static Closeable exclusive(Path file) throws IOException {
        ReentrantLock thread = THREADS.computeIfAbsent(file.toAbsolutePath().normalize(), k -> new ReentrantLock());
        thread.lock();
        FileChannel channel = null;
        try {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            channel.lock();
        } catch (IOException | RuntimeException e) {
            if (channel != null) channel.close();
            thread.unlock();
            throw e;
        }
        FileChannel held = channel;
        return () -> {
            try {
                held.close(); // releases the file lock
            } finally {
                thread.unlock();
            }
        };
    }
}
