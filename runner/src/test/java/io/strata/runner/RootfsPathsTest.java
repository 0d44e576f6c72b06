package io.strata.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Container paths found as the container sees them: in its rootfs, through its symlinks, and under its bind mounts. */
class RootfsPathsTest {
    @TempDir
    Path tmp;

    @Test
    void pathsUnderABindAreFoundInItsHostDirectoryAndTheDeepestBindWins() throws Exception {
        Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
        Files.createDirectories(rootfs.resolve("bin"));
        Files.writeString(rootfs.resolve("bin/sh"), "");
        Files.createDirectories(rootfs.resolve("usr/local/bin"));
        Files.createSymbolicLink(rootfs.resolve("usr/local/bin/tool"), Path.of("/opt/tools/tool"));
        Files.createSymbolicLink(rootfs.resolve("usr/local/bin/up"), Path.of("../../../opt/tools/deeper/x"));
        Path tools = Files.createDirectories(tmp.resolve("host-tools"));
        Files.writeString(tools.resolve("tool"), "");
        Path deeper = Files.createDirectories(tmp.resolve("host-deeper"));
        Files.writeString(deeper.resolve("x"), "");
        Map<String, Path> binds = Map.of("/opt/tools", tools, "/opt/tools/deeper", deeper);

        assertEquals(rootfs.resolve("bin/sh"), RootfsPaths.resolve(rootfs, binds, "/bin/sh"));
        assertEquals(tools.resolve("tool"), RootfsPaths.resolve(rootfs, binds, "/opt/tools/tool"));
        assertEquals(tools, RootfsPaths.resolve(rootfs, binds, "/opt/tools"));
        assertEquals(tools.resolve("tool"), RootfsPaths.resolve(rootfs, binds, "/usr/local/bin/tool"), "a symlink into a bind");
        assertEquals(deeper.resolve("x"), RootfsPaths.resolve(rootfs, binds, "/usr/local/bin/up"), "a relative one, to the deeper bind");
        assertEquals(deeper.resolve("x"), RootfsPaths.resolve(rootfs, binds, "/opt/tools/deeper/x"));
        assertNull(RootfsPaths.resolve(rootfs, binds, "/opt/toolsx/tool"), "a sibling of a bind is not under it");
        assertNull(RootfsPaths.resolve(rootfs, Map.of(), "/opt/tools/tool"), "without the bind, the image has no /opt");
    }
}
