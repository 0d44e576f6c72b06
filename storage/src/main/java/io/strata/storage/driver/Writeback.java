package io.strata.storage.driver;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * Starts the kernel writing a file's dirty pages while more are still arriving
 * ({@code sync_file_range(2)} with {@code SYNC_FILE_RANGE_WRITE}, every {@link #WINDOW} bytes), so the
 * fsync that acknowledges the bytes finds most of them on disk already instead of writing them all
 * while the client waits: 0.8 s of a 1 GiB push here. Durability still comes from that fsync; this
 * only moves the disk's work earlier, overlapped with the transfer. Where the call is missing (not
 * Linux) or fails, nothing happens: it is an optimisation, never a condition.
 */
final class Writeback implements AutoCloseable {
    static final long WINDOW = 8L << 20;
    private static final int SYNC_FILE_RANGE_WRITE = 2;
    private static final int O_RDONLY_CLOEXEC = 02000000;

    /** Linked on first use, so a process that never uploads pays nothing. */
    private static final class Calls {
        static final MethodHandle OPEN;
        static final MethodHandle SYNC_FILE_RANGE;
        static final MethodHandle CLOSE;

        static {
            MethodHandle open = null, sync = null, close = null;
            try {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                open = linker.downcallHandle(libc.find("open").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
                sync = linker.downcallHandle(libc.find("sync_file_range").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG,
                                ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
                close = linker.downcallHandle(libc.find("close").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            } catch (RuntimeException | LinkageError e) {
                open = sync = close = null; // no libc with these calls: writeback is left to the kernel
            }
            OPEN = open;
            SYNC_FILE_RANGE = sync;
            CLOSE = close;
        }
    }

    /** A descriptor of its own (any descriptor of the file reaches its pages), or -1. */
    private final int fd;
    /** Bytes already handed to writeback. */
    private long started;

    private Writeback(int fd, long from) {
        this.fd = fd;
        this.started = from;
    }

    /** Writeback for {@code file}, whose first {@code from} bytes are not this writer's concern. */
    static Writeback of(Path file, long from) {
        int fd = -1;
        if (Calls.OPEN != null) {
            try (Arena arena = Arena.ofConfined()) {
                fd = (int) Calls.OPEN.invokeExact(arena.allocateFrom(file.toString()), O_RDONLY_CLOEXEC);
            } catch (Throwable e) {
                fd = -1;
            }
        }
        return new Writeback(fd, from);
    }

    /** Whether writeback is started early for this file (false where the calls are missing). */
    boolean active() {
        return fd >= 0;
    }

    /** The file now holds {@code end} bytes: starts writing what a full window holds. */
    void written(long end) {
        if (fd < 0 || end - started < WINDOW) return;
        try {
            int ignored = (int) Calls.SYNC_FILE_RANGE.invokeExact(fd, started, end - started, SYNC_FILE_RANGE_WRITE);
        } catch (Throwable e) {
            // see the class comment
        }
        started = end;
    }

    @Override
    public void close() {
        if (fd < 0) return;
        try {
            int ignored = (int) Calls.CLOSE.invokeExact(fd);
        } catch (Throwable e) {
            // nothing held but the descriptor
        }
    }
}
