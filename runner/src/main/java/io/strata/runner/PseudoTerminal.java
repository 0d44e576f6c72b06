package io.strata.runner;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * A pseudo-terminal pair made here (posix_openpt, through FFM), for a command that needs a terminal
 * when Strata has none ({@code exec -t} from a script): the command gets the slave as its stdio and
 * controlling terminal, Strata copies the master's output to its own stdout, as podman does.
 */
final class PseudoTerminal implements Closeable {
    private static final int O_RDWR = 2, O_NOCTTY = 0400, O_CLOEXEC = 02000000;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle OPENPT = fn("posix_openpt", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle GRANTPT = fn("grantpt", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle UNLOCKPT = fn("unlockpt", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
    private static final MethodHandle PTSNAME = fn("ptsname_r",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle READ = fn("read",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle WRITE = fn("write",
            FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
    private static final MethodHandle CLOSE = fn("close", FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));

    private final int master;
    private final Path slave;

    private static MethodHandle fn(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d);
    }

    private PseudoTerminal(int master, Path slave) {
        this.master = master;
        this.slave = slave;
    }

    static PseudoTerminal open() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            int fd = (int) OPENPT.invokeExact(O_RDWR | O_NOCTTY | O_CLOEXEC);
            if (fd < 0) throw new IOException("cannot open a pseudo-terminal (posix_openpt)");
            MemorySegment name = a.allocate(128);
            if ((int) GRANTPT.invokeExact(fd) != 0 || (int) UNLOCKPT.invokeExact(fd) != 0 || (int) PTSNAME.invokeExact(fd, name, 128L) != 0) {
                int ignored = (int) CLOSE.invokeExact(fd);
                throw new IOException("cannot set up a pseudo-terminal");
            }
            return new PseudoTerminal(fd, Path.of(name.getString(0)));
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The slave's path (/dev/pts/N), which the command opens as its stdio. */
    Path slave() {
        return slave;
    }

    /** Copies what the command writes to {@code out} until the last holder of the slave closes it (EIO). */
    void copyOutput(OutputStream out) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(8192);
            byte[] bytes = new byte[8192];
            while (true) {
                long n = (long) READ.invokeExact(master, buf, 8192L);
                if (n <= 0) break; // EIO once the slave is closed by all
                MemorySegment.copy(buf, ValueLayout.JAVA_BYTE, 0, bytes, 0, (int) n);
                out.write(bytes, 0, (int) n);
                out.flush();
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Copies {@code in} to the command's terminal until it ends. */
    void copyInput(InputStream in) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(8192);
            byte[] bytes = new byte[8192];
            for (int n; (n = in.read(bytes)) > 0; ) {
                MemorySegment.copy(bytes, 0, buf, ValueLayout.JAVA_BYTE, 0, n);
                long w = (long) WRITE.invokeExact(master, buf, (long) n);
                if (w < 0) break;
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void close() {
        try {
            int ignored = (int) CLOSE.invokeExact(master);
        } catch (Throwable ignored) {
            // closed already
        }
    }
}
