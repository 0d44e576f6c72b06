package io.strata.runner;

import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A connection to conmon's attach socket: a Unix socket of type SOCK_SEQPACKET, which java.nio's
 * Unix channels do not speak, so it is made through FFM. Each packet conmon sends is one read of the
 * container's output, its first byte naming the stream ({@link #STDOUT}, {@link #STDERR}); what is
 * written goes to the container's stdin, and shutting the writing half closes that stdin.
 */
final class AttachSocket implements Closeable {
    /** conmon's stdpipe_t. */
    static final int STDOUT = 2, STDERR = 3;
    private static final int AF_UNIX = 1, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 02000000, SHUT_WR = 1, EINTR = 4;
    /** conmon's packets are at most its STDIO_BUF_SIZE (8192) and the stream byte. */
    static final int PACKET = 8193 + 7;

    private static final class Calls {
        static final Linker LINKER = Linker.nativeLinker();
        static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
        static final MemoryLayout STATE = Linker.Option.captureStateLayout();
        static final VarHandle ERRNO_HANDLE = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
        static final MethodHandle SOCKET = fn("socket", ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
        static final MethodHandle CONNECT = fn("connect", ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT);
        static final MethodHandle READ = fn("read", ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
        static final MethodHandle WRITE = fn("write", ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG);
        static final MethodHandle SHUTDOWN = fn("shutdown", ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
        static final MethodHandle CLOSE = fn("close", ValueLayout.JAVA_INT, ValueLayout.JAVA_INT);
        static final MethodHandle STRERROR = LINKER.downcallHandle(LINKER.defaultLookup().find("strerror").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(256, ValueLayout.JAVA_BYTE)),
                        ValueLayout.JAVA_INT));

        private static MethodHandle fn(String name, MemoryLayout ret, MemoryLayout... args) {
            return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), FunctionDescriptor.of(ret, args), ERRNO);
        }
    }

    private final int fd;
    private final Arena arena = Arena.ofAuto(); // freed with this object: a reader may still be in read() when it closes
    private final MemorySegment in = arena.allocate(PACKET), out = arena.allocate(PACKET);
    private final MemorySegment inState = arena.allocate(Calls.STATE), outState = arena.allocate(Calls.STATE);
    private volatile boolean closed;

    private AttachSocket(int fd) {
        this.fd = fd;
    }

    /** Connects to the socket at {@code path} (at most 107 bytes, sockaddr_un's limit). */
    static AttachSocket connect(Path path) throws IOException {
        byte[] name = path.toString().getBytes(StandardCharsets.UTF_8);
        if (name.length > 107) throw new IOException("attach socket path too long: " + path);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment state = a.allocate(Calls.STATE);
            int fd = (int) Calls.SOCKET.invokeExact(state, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
            if (fd < 0) throw failure("socket", state);
            MemorySegment address = a.allocate(110);
            address.set(ValueLayout.JAVA_SHORT, 0, (short) AF_UNIX);
            MemorySegment.copy(name, 0, address, ValueLayout.JAVA_BYTE, 2, name.length);
            int r = (int) Calls.CONNECT.invokeExact(state, fd, address, 110);
            if (r < 0) {
                IOException e = failure("connect to " + path, state);
                int ignored = (int) Calls.CLOSE.invokeExact(state, fd);
                throw e;
            }
            return new AttachSocket(fd);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** One packet into {@code buf} (from offset 0); 0 when conmon closed the connection. One reader at a time. */
    int read(byte[] buf) throws IOException {
        try {
            while (true) {
                long n = (long) Calls.READ.invokeExact(inState, fd, in, (long) Math.min(buf.length, PACKET));
                if (n >= 0) {
                    MemorySegment.copy(in, ValueLayout.JAVA_BYTE, 0, buf, 0, (int) n);
                    return (int) n;
                }
                if (errno(inState) != EINTR) {
                    if (closed) return 0;
                    throw failure("read from the attach socket", inState);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Sends {@code len} bytes of {@code buf} to the container's stdin, as packets conmon reads whole. One writer at a time. */
    void write(byte[] buf, int off, int len) throws IOException {
        try {
            while (len > 0) {
                int chunk = Math.min(len, PACKET);
                MemorySegment.copy(buf, off, out, ValueLayout.JAVA_BYTE, 0, chunk);
                long n = (long) Calls.WRITE.invokeExact(outState, fd, out, (long) chunk);
                if (n < 0) {
                    if (errno(outState) == EINTR) continue;
                    throw failure("write to the attach socket", outState);
                }
                off += (int) n;
                len -= (int) n;
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Closes the container's stdin (conmon closes it when its client stops writing, unless told to leave it open). */
    void shutdownOutput() {
        try {
            int ignored = (int) Calls.SHUTDOWN.invokeExact(outState, fd, SHUT_WR);
        } catch (Throwable ignored) {
            // already closed
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            // shutdown wakes a reader blocked in read; close alone would not.
            int ignored = (int) Calls.SHUTDOWN.invokeExact(outState, fd, 2);
            ignored = (int) Calls.CLOSE.invokeExact(outState, fd);
        } catch (Throwable ignored) {
            // nothing to do
        }
    }

    private static int errno(MemorySegment state) {
        return (int) Calls.ERRNO_HANDLE.get(state, 0L);
    }

    private static IOException failure(String what, MemorySegment state) {
        int errno = errno(state);
        String text;
        try {
            text = ((MemorySegment) Calls.STRERROR.invokeExact(errno)).getString(0);
        } catch (Throwable t) {
            text = "errno " + errno;
        }
        return new IOException(what + ": " + text);
    }
}
