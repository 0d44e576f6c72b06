package io.strata.client.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A readers-writer lock over a store, across processes (a file lock) and across threads of this
 * one (the JVM allows one file lock per file and process). Pulls hold it shared while they record
 * what they use in a lease; gc holds it exclusively while it marks and sweeps.
 */
final class StoreLock {
    private static final Map<Path, StoreLock> LOCKS = new ConcurrentHashMap<>();

    private final Path file;
    private final ReentrantReadWriteLock threads = new ReentrantReadWriteLock();
    private int readers;
    private FileChannel channel;
    private FileLock lock;

    private StoreLock(Path file) {
        this.file = file;
    }

    static StoreLock of(Path file) {
        return LOCKS.computeIfAbsent(file.toAbsolutePath().normalize(), StoreLock::new);
    }

    interface Held extends AutoCloseable {
        @Override
        void close() throws IOException;
    }

    Held shared() throws IOException {
        threads.readLock().lock();
        try {
            synchronized (this) {
                if (readers == 0) take(true);
                readers++;
            }
        } catch (IOException | RuntimeException e) {
            threads.readLock().unlock();
            throw e;
        }
        return () -> {
            try {
                synchronized (this) {
                    if (--readers == 0) release();
                }
            } finally {
                threads.readLock().unlock();
            }
        };
    }

    Held exclusive() throws IOException {
        threads.writeLock().lock();
        try {
            synchronized (this) {
                take(false);
            }
        } catch (IOException | RuntimeException e) {
            threads.writeLock().unlock();
            throw e;
        }
        return () -> {
            try {
                synchronized (this) {
                    release();
                }
            } finally {
                threads.writeLock().unlock();
            }
        };
    }

    private void take(boolean shared) throws IOException {
        channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            lock = channel.lock(0, Long.MAX_VALUE, shared);
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    private void release() throws IOException {
        try {
            lock.release();
        } finally {
            channel.close();
        }
    }
}
