package io.strata.snapshots;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The Linux calls Java lacks, through the FFM API: device nodes, ownership and times of links,
 * extended attributes, mounts. Every failure names the call, the path and errno's text.
 */
public final class Native {
    private Native() {}

    /** The linker and libc, made on first use: an FFM call's first link costs a new JVM tens of milliseconds. */
    private static final class Libc {
        static final Linker LINKER = Linker.nativeLinker();
        static final SymbolLookup LIBC = LINKER.defaultLookup();
        static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
        static final MemoryLayout STATE = Linker.Option.captureStateLayout();
        static final VarHandle ERRNO_HANDLE = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    }

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    private static final java.lang.foreign.AddressLayout PTR = ValueLayout.ADDRESS;

    static final int AT_FDCWD = -100;
    static final int AT_SYMLINK_NOFOLLOW = 0x100;
    public static final int S_IFIFO = 0010000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFBLK = 0060000;
    public static final long MS_RDONLY = 1;
    public static final long MS_BIND = 4096;
    public static final long MS_REC = 16384;
    static final int MNT_DETACH = 2;
    static final int ENODATA = 61;
    static final int ENOTSUP = 95;
    static final int EPERM = 1;
    static final int EINVAL = 22;
    static final int ENOENT = 2;
    static final int EBUSY = 16;
    static final int ENOSYS = 38;
    private static final int O_RDONLY = 0;
    static final int O_DIRECTORY = 0200000;
    private static final int O_CLOEXEC = 02000000;
    private static final int FSCONFIG_SET_STRING = 1;
    private static final int FSCONFIG_CMD_CREATE = 6;
    private static final int FSMOUNT_CLOEXEC = 1;
    private static final int MOUNT_ATTR_RDONLY = 1;
    private static final int MOVE_MOUNT_F_EMPTY_PATH = 4;

    // Handles are made on first use, a holder class per group: linking a downcall generates code, and
    // a command that only mounts should not pay for the calls only unpacking makes.
    private static final class Files_ {
        static final MethodHandle LCHOWN = fn("lchown", INT, PTR, INT, INT);
        static final MethodHandle FCHMODAT = fn("fchmodat", INT, INT, PTR, INT, INT);
        static final MethodHandle UTIMENSAT = fn("utimensat", INT, INT, PTR, PTR, INT);
    }

    /**
     * Links the calls every unpacked file makes, ahead of the first one: linking a downcall generates
     * code (tens of milliseconds on two cores), which a pull does on another thread while it fetches
     * the manifest and config. A failure is left for the first call to report.
     */
    public static void linkUnpackCalls() {
        try {
            java.lang.invoke.MethodHandles.lookup().ensureInitialized(Files_.class);
        } catch (Throwable e) {
            // the first call fails the same way, where it can say so
        }
    }

    /** Apart from the calls every unpacked file makes: only whiteouts, devices and fifos need it. */
    private static final class Nodes {
        static final MethodHandle MKNOD = fn("mknod", INT, PTR, INT, LONG);
    }

    private static final class Xattrs {
        static final MethodHandle LSETXATTR = fn("lsetxattr", INT, PTR, PTR, PTR, LONG, INT);
        static final MethodHandle LGETXATTR = fn("lgetxattr", LONG, PTR, PTR, PTR, LONG);
        static final MethodHandle LLISTXATTR = fn("llistxattr", LONG, PTR, PTR, LONG);
        static final MethodHandle LREMOVEXATTR = fn("lremovexattr", INT, PTR, PTR);
    }

    private static final class Mounts {
        static final MethodHandle MOUNT = fn("mount", INT, PTR, PTR, PTR, LONG, PTR);
        static final MethodHandle UMOUNT2 = fn("umount2", INT, PTR, INT);
    }

    private static final class Sync {
        static final MethodHandle OPEN = Libc.LIBC.find("open").map(a -> Libc.LINKER.downcallHandle(a,
                FunctionDescriptor.of(INT, PTR, INT, INT), Libc.ERRNO, Linker.Option.firstVariadicArg(2))).orElseThrow();
        static final MethodHandle CLOSE = fn("close", INT, INT);
        static final MethodHandle SYNCFS = fn("syncfs", INT, INT);
    }

    /** Opens relative to a directory descriptor: what {@link ConfinedDir} walks a container's files with. */
    private static final class At {
        static final MethodHandle OPENAT = Libc.LIBC.find("openat").map(a -> Libc.LINKER.downcallHandle(a,
                FunctionDescriptor.of(INT, INT, PTR, INT, INT), Libc.ERRNO, Linker.Option.firstVariadicArg(3))).orElseThrow();
    }

    private static final class Ids {
        static final int EUID = euid();

        private static int euid() {
            try (var lines = java.nio.file.Files.lines(Path.of("/proc/self/status"))) {
                // Uid:<tab>real<tab>effective<tab>saved<tab>filesystem
                var uid = lines.filter(l -> l.startsWith("Uid:")).findFirst();
                if (uid.isPresent()) return Integer.parseInt(uid.get().substring(4).trim().split("\\s+")[1]);
            } catch (IOException | RuntimeException noProc) {
                // no procfs (a chroot without /proc): ask libc
            }
            try {
                return (int) Libc.LIBC.find("geteuid").map(a -> Libc.LINKER.downcallHandle(a, FunctionDescriptor.of(INT)))
                        .orElseThrow().invokeExact();
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    private static final class Terminals {
        static final MethodHandle IOCTL = Libc.LIBC.find("ioctl").map(a -> Libc.LINKER.downcallHandle(a,
                FunctionDescriptor.of(INT, INT, LONG, PTR), Libc.ERRNO, Linker.Option.firstVariadicArg(2))).orElseThrow();
    }

    private static final class Errors {
        static final MethodHandle STRERROR = Libc.LIBC.find("strerror")
                .map(a -> Libc.LINKER.downcallHandle(a, FunctionDescriptor.of(PTR, INT))).orElseThrow();
    }

    // The new mount API (Linux 5.2+, glibc 2.36+): overlay layers added one at a time, so the page-sized
    // limit of mount(2)'s option string does not bound how many layers an image may have.
    private static final class NewMounts {
        static final Optional<MethodHandle> FSOPEN = optional("fsopen", INT, PTR, INT);
        static final Optional<MethodHandle> FSCONFIG = optional("fsconfig", INT, INT, INT, PTR, PTR, INT);
        static final Optional<MethodHandle> FSMOUNT = optional("fsmount", INT, INT, INT, INT);
        static final Optional<MethodHandle> MOVE_MOUNT = optional("move_mount", INT, INT, PTR, INT, PTR, INT);
    }

    private static MethodHandle fn(String name, java.lang.foreign.MemoryLayout ret, java.lang.foreign.MemoryLayout... args) {
        return optional(name, ret, args).orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    }

    private static Optional<MethodHandle> optional(String name, java.lang.foreign.MemoryLayout ret,
                                                   java.lang.foreign.MemoryLayout... args) {
        return Libc.LIBC.find(name).map(a -> Libc.LINKER.downcallHandle(a, FunctionDescriptor.of(ret, args), Libc.ERRNO));
    }

    /** A failed call: its errno, and a message naming the call and the path. */
    public static final class NativeException extends IOException {
        private final int errno;
        private final String call;

        NativeException(String call, String subject, int errno) {
            super(call + " " + subject + ": " + strerror(errno) + " (errno " + errno + ")");
            this.errno = errno;
            this.call = call;
        }

        /** The call and errno's text, without the path it was given. */
        public String reason() {
            return call + ": " + strerror(errno);
        }

        public int errno() {
            return errno;
        }
    }

    /**
     * Whether this process runs as root (effective uid 0). Read from /proc/self/status where it can
     * be: commands that only ask this (a pull of what is stored, images, ps) would otherwise pay for
     * the first downcall, about 30 ms of linking in a new JVM.
     */
    public static boolean isRoot() {
        return Ids.EUID == 0;
    }

    static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) Errors.STRERROR.invokeExact(errno);
            return s.reinterpret(4096).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    /** Thrown through invokeExact; these calls declare no checked exceptions of their own. */
    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(t);
    }

    private static int errno(MemorySegment state) {
        return (int) Libc.ERRNO_HANDLE.get(state, 0L);
    }

    private static MemorySegment str(Arena a, String s) {
        return a.allocateFrom(s, StandardCharsets.UTF_8);
    }

    private static MemorySegment path(Arena a, Path p) {
        return str(a, p.toString());
    }

    /** glibc's makedev. */
    public static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    public static long major(long dev) {
        return ((dev >>> 32) & 0xfffff000L) | ((dev >>> 8) & 0xfffL);
    }

    public static long minor(long dev) {
        return ((dev >>> 12) & 0xffffff00L) | (dev & 0xffL);
    }

    public static void mknod(Path p, int mode, long dev) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.STATE);
            int r = (int) Nodes.MKNOD.invokeExact(st, path(a, p), mode, dev);
            if (r != 0) throw new NativeException("mknod", p.toString(), errno(st));
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void lchown(Path p, int uid, int gid) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.STATE);
            int r = (int) Files_.LCHOWN.invokeExact(st, path(a, p), uid, gid);
            if (r != 0) throw new NativeException("lchown", p.toString(), errno(st));
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** chmod with every bit (setuid, setgid, sticky), which Files.setPosixFilePermissions cannot set. Not for symlinks. */
    public static void chmod(Path p, int mode) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.STATE);
            int r = (int) Files_.FCHMODAT.invokeExact(st, AT_FDCWD, path(a, p), mode & 07777, 0);
            if (r != 0) throw new NativeException("chmod", p.toString(), errno(st));
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Sets access and modification times of the path itself, never of a symlink's target. */
    public static void lutimes(Path p, long atimeSeconds, long atimeNanos, long mtimeSeconds, long mtimeNanos)
            throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.STATE);
            MemorySegment times = a.allocate(LONG, 4);
            times.setAtIndex(LONG, 0, atimeSeconds);
            times.setAtIndex(LONG, 1, atimeNanos);
            times.setAtIndex(LONG, 2, mtimeSeconds);
            times.setAtIndex(LONG, 3, mtimeNanos);
            int r = (int) Files_.UTIMENSAT.invokeExact(st, AT_FDCWD, path(a, p), times, AT_SYMLINK_NOFOLLOW);
            if (r != 0) throw new NativeException("utimensat", p.toString(), errno(st));
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void lsetxattr(Path p, String name, byte[] value) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.STATE);
            MemorySegment v = a.allocate(Math.max(1, value.length));
            MemorySegment.copy(value, 0, v, ValueLayout.JAVA_BYTE, 0, value.length);
            int r = (int) Xattrs.LSETXATTR.invokeExact(st, path(a, p), str(a, name), v, (long) value.length, 0);
            if (r != 0) throw new NativeException("setxattr " + name + " on", p.toString(), errno(st));
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void lremovexattr(Path p, String name) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.STATE);
            int r = (int) Xattrs.LREMOVEXATTR.invokeExact(st, path(a, p), str(a, name));
            if (r != 0 && errno(st) != ENODATA) throw new NativeException("removexattr " + name + " on", p.toString(), errno(st));
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** An attribute's value, or empty when the path has none of that name. */
    public static Optional<byte[]> lgetxattr(Path p, String name) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.STATE);
            MemorySegment n = str(a, name);
            MemorySegment pp = path(a, p);
            for (int size = 256; ; size *= 4) {
                MemorySegment buf = a.allocate(size);
                long r = (long) Xattrs.LGETXATTR.invokeExact(st, pp, n, buf, (long) size);
                if (r >= 0) return Optional.of(buf.asSlice(0, r).toArray(ValueLayout.JAVA_BYTE));
                int e = errno(st);
                if (e == ENODATA || e == ENOTSUP) return Optional.empty();
                if (e != 34 /* ERANGE */ || size > (1 << 22)) throw new NativeException("getxattr " + name + " of", p.toString(), e);
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** The names of a path's extended attributes (the link's own for a symlink). */
    public static List<String> llistxattr(Path p) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.STATE);
            MemorySegment pp = path(a, p);
            for (int size = 1024; ; size *= 4) {
                MemorySegment buf = a.allocate(size);
                long r = (long) Xattrs.LLISTXATTR.invokeExact(st, pp, buf, (long) size);
                if (r >= 0) {
                    List<String> names = new ArrayList<>();
                    int start = 0;
                    for (int i = 0; i < r; i++) {
                        if (buf.get(ValueLayout.JAVA_BYTE, i) == 0) {
                            names.add(new String(buf.asSlice(start, i - start).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8));
                            start = i + 1;
                        }
                    }
                    return names;
                }
                int e = errno(st);
                if (e == ENOTSUP) return List.of();
                if (e != 34 || size > (1 << 22)) throw new NativeException("listxattr", p.toString(), e);
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    public static void mount(String source, Path target, String type, long flags, String data) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.STATE);
            MemorySegment fsType = type == null ? MemorySegment.NULL : str(a, type);
            MemorySegment options = data == null ? MemorySegment.NULL : str(a, data);
            int r = (int) Mounts.MOUNT.invokeExact(st, str(a, source), path(a, target), fsType, flags, options);
            if (r != 0) throw new NativeException("mount " + (type == null ? "" : type + " ") + "on", target.toString(), errno(st));
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Detaches the mount at {@code target} (lazily, as umount -l). */
    public static void umount(Path target) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.STATE);
            int r = (int) Mounts.UMOUNT2.invokeExact(st, path(a, target), MNT_DETACH);
            if (r != 0) throw new NativeException("umount", target.toString(), errno(st));
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Whether file descriptor {@code fd} is a terminal (isatty(3): TCGETS succeeds), whatever its window size. */
    public static boolean isTerminal(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.STATE);
            MemorySegment termios = a.allocate(64);
            return (int) Terminals.IOCTL.invokeExact(st, fd, 0x5401L /* TCGETS */, termios) == 0;
        } catch (Throwable t) {
            return false;
        }
    }

    /** The window size (rows, columns) of the terminal on file descriptor {@code fd}, or empty when it is none. */
    public static Optional<int[]> windowSize(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.STATE);
            MemorySegment ws = a.allocate(8);
            int r = (int) Terminals.IOCTL.invokeExact(st, fd, 0x5413L /* TIOCGWINSZ */, ws);
            if (r != 0) return Optional.empty();
            int rows = Short.toUnsignedInt(ws.get(ValueLayout.JAVA_SHORT, 0));
            int cols = Short.toUnsignedInt(ws.get(ValueLayout.JAVA_SHORT, 2));
            return rows == 0 || cols == 0 ? Optional.empty() : Optional.of(new int[] {rows, cols});
        } catch (Throwable t) {
            return Optional.empty();
        }
    }

    /** Flushes the filesystem holding {@code dir} (one syncfs instead of an fsync per file). */
    public static void syncfs(Path dir) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.STATE);
            int fd = (int) Sync.OPEN.invokeExact(st, path(a, dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
            if (fd < 0) throw new NativeException("open", dir.toString(), errno(st));
            try {
                int r = (int) Sync.SYNCFS.invokeExact(st, fd);
                if (r != 0) throw new NativeException("syncfs", dir.toString(), errno(st));
            } finally {
                int ignored = (int) Sync.CLOSE.invokeExact(st, fd);
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static final int O_NOFOLLOW = 0400000;
    static final int O_NONBLOCK = 04000;
    static final int ELOOP = 40;
    static final int ENOTDIR = 20;

    /**
     * openat(2): {@code name} relative to the directory descriptor {@code dirfd} (or {@link #AT_FDCWD}),
     * with O_CLOEXEC added; {@code what} names it in an error. Returns the new descriptor.
     */
    static int openat(int dirfd, String name, int flags, String what) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.STATE);
            int fd = (int) At.OPENAT.invokeExact(st, dirfd, str(a, name), flags | O_CLOEXEC, 0);
            if (fd < 0) throw new NativeException("open", what, errno(st));
            return fd;
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static void close(int fd) {
        try (Arena a = Arena.ofConfined()) {
            int ignored = (int) Sync.CLOSE.invokeExact(a.allocate(Libc.STATE), fd);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    static boolean hasNewMountApi() {
        return NewMounts.FSOPEN.isPresent() && NewMounts.FSCONFIG.isPresent() && NewMounts.FSMOUNT.isPresent() && NewMounts.MOVE_MOUNT.isPresent();
    }

    /**
     * Mounts a filesystem with the new mount API: each option is one fsconfig call, so option lists
     * (overlay's lowerdir+) have no total length limit.
     */
    static void fsmount(String type, List<String[]> options, boolean readOnly, Path target) throws NativeException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.STATE);
            int fs = (int) NewMounts.FSOPEN.orElseThrow().invokeExact(st, str(a, type), 1 /* FSOPEN_CLOEXEC */);
            if (fs < 0) throw new NativeException("fsopen " + type + " for", target.toString(), errno(st));
            try {
                for (String[] kv : options) {
                    int r = (int) NewMounts.FSCONFIG.orElseThrow().invokeExact(st, fs, FSCONFIG_SET_STRING, str(a, kv[0]), str(a, kv[1]), 0);
                    if (r != 0) throw new NativeException("fsconfig " + kv[0] + "=" + kv[1] + " for", target.toString(), errno(st));
                }
                int r = (int) NewMounts.FSCONFIG.orElseThrow().invokeExact(st, fs, FSCONFIG_CMD_CREATE, MemorySegment.NULL, MemorySegment.NULL, 0);
                if (r != 0) throw new NativeException("fsconfig create " + type + " for", target.toString(), errno(st));
                int mnt = (int) NewMounts.FSMOUNT.orElseThrow().invokeExact(st, fs, FSMOUNT_CLOEXEC, readOnly ? MOUNT_ATTR_RDONLY : 0);
                if (mnt < 0) throw new NativeException("fsmount " + type + " for", target.toString(), errno(st));
                try {
                    r = (int) NewMounts.MOVE_MOUNT.orElseThrow().invokeExact(st, mnt, str(a, ""), AT_FDCWD, path(a, target), MOVE_MOUNT_F_EMPTY_PATH);
                    if (r != 0) throw new NativeException("move_mount to", target.toString(), errno(st));
                } finally {
                    int ignored = (int) Sync.CLOSE.invokeExact(st, mnt);
                }
            } finally {
                int ignored = (int) Sync.CLOSE.invokeExact(st, fs);
            }
        } catch (NativeException e) {
            throw e;
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
