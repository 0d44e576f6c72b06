package io.strata.snapshots;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The walks over a tree a container changes (LayerWriter's write, changes and mount point
 * removal, ConfinedDir's reads) against a thread that keeps swapping a directory of the tree for a
 * symlink to a host directory whose files have the same names: nothing of the host is ever read,
 * listed or removed, however the race falls.
 */
class ConfinedWalkTest {
    private static final String SECRET = "HOST-SECRET-5eed";
    private static final int FILES = 300;

    @TempDir
    Path tmp;

    /** The layer: x/ holds FILES files; y is a symlink to the host directory, which holds files of the same names. */
    private Path layer(Path host) throws IOException {
        Path layer = Files.createDirectories(tmp.resolve("layer"));
        Files.createDirectories(layer.resolve("x"));
        for (int i = 0; i < FILES; i++) {
            Files.writeString(layer.resolve("x/f" + i), "inside\n");
            Files.writeString(host.resolve("f" + i), SECRET + "\n");
        }
        Files.writeString(host.resolve("host-only"), SECRET + "\n");
        Files.createSymbolicLink(layer.resolve("y"), host);
        return layer;
    }

    /** renameat2(2) with RENAME_EXCHANGE: x and y trade places at once, so x is always there, a directory or a symlink. */
    private static final java.lang.invoke.MethodHandle RENAMEAT2 = java.lang.foreign.Linker.nativeLinker().defaultLookup()
            .find("renameat2").map(a -> java.lang.foreign.Linker.nativeLinker().downcallHandle(a, java.lang.foreign.FunctionDescriptor.of(
                    java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.ADDRESS,
                    java.lang.foreign.ValueLayout.JAVA_INT, java.lang.foreign.ValueLayout.ADDRESS, java.lang.foreign.ValueLayout.JAVA_INT)))
            .orElseThrow();

    /** Exchanges x and y until stopped, as the probe's container process did. */
    private static Thread swapper(Path layer, AtomicBoolean stop) {
        Thread t = new Thread(() -> {
            try (var arena = java.lang.foreign.Arena.ofConfined()) {
                var x = arena.allocateFrom(layer.resolve("x").toString());
                var y = arena.allocateFrom(layer.resolve("y").toString());
                while (!stop.get()) {
                    int r = (int) RENAMEAT2.invokeExact(-100, x, -100, y, 2);
                    if (r != 0) throw new IllegalStateException("renameat2 failed");
                }
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        });
        t.start();
        return t;
    }

    @Test
    void aWriteRacingASwapNeverReadsTheHost() throws Exception {
        Path host = Files.createDirectories(tmp.resolve("host"));
        Path layer = layer(host);
        AtomicBoolean stop = new AtomicBoolean();
        Thread swapping = swapper(layer, stop);
        int refused = 0;
        try {
            for (int i = 0; i < 60; i++) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (TarWriter tar = new TarWriter(out)) {
                    LayerWriter.write(layer, tar);
                } catch (IOException raced) {
                    refused++; // a directory became a symlink between its lstat and its open: refused, never followed
                    continue;
                }
                String archive = out.toString(StandardCharsets.ISO_8859_1);
                assertFalse(archive.contains(SECRET), "write " + i + " archived a host file's content");
            }
            for (int i = 0; i < 60; i++) {
                try {
                    for (LayerWriter.Change c : LayerWriter.changes(layer, List.of())) {
                        assertFalse(c.path().contains("host-only"), "listed the host directory: " + c);
                    }
                } catch (java.nio.file.NoSuchFileException | java.nio.file.NotDirectoryException raced) {
                    refused++;
                }
            }
        } finally {
            stop.set(true);
            swapping.join();
        }
        assertTrue(refused < 120, "most walks complete: " + refused + " of 120 raced");
        assertEquals(FILES + 1, Files.list(host).count());
    }

    @Test
    void mountpointsBelowASymlinkAreNeverLeftOut() throws Exception {
        Path host = Files.createDirectories(tmp.resolve("host"));
        Files.createFile(host.resolve("hosts"));
        Files.createFile(host.resolve("hostname"));
        Path layer = Files.createDirectories(tmp.resolve("layer"));
        Files.createSymbolicLink(layer.resolve("etc"), host);
        Files.createDirectories(layer.resolve("run/secrets"));
        Files.createFile(layer.resolve("run/secrets/token"));
        var leftOut = LayerWriter.mountpointsLeftOut(layer, List.of(), List.of("/etc/hosts", "/etc/hostname", "/run/secrets/token"));
        assertEquals(java.util.Set.of("run/secrets/token", "run/secrets", "run"), leftOut,
                "a real mount point is left out with the parents made to hold it; what is through the symlink is not looked at");
        assertTrue(Files.exists(host.resolve("hosts")) && Files.exists(host.resolve("hostname")), "the host's files stay");
        assertTrue(Files.isSymbolicLink(layer.resolve("etc")), "the container's change stays");
        assertTrue(Files.exists(layer.resolve("run/secrets/token")), "nothing in the layer is removed");
    }

    @Test
    void readInRootFollowsLinksInsideTheTreeOnly() throws Exception {
        Path host = Files.createDirectories(tmp.resolve("host"));
        Files.writeString(host.resolve("passwd"), SECRET);
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.createDirectories(root.resolve("etc"));
        Files.createDirectories(root.resolve("real"));
        Files.writeString(root.resolve("real/passwd"), "root:x:0:0::/:/bin/sh\n");
        Files.createSymbolicLink(root.resolve("etc/passwd"), Path.of("../../../../real/passwd"));
        Files.createSymbolicLink(root.resolve("etc/abs"), Path.of("/real/passwd"));
        Files.createSymbolicLink(root.resolve("etc/host"), host.resolve("passwd"));
        Files.createSymbolicLink(root.resolve("etc/loop"), Path.of("loop"));
        try (ConfinedDir dir = ConfinedDir.open(root)) {
            assertEquals("root:x:0:0::/:/bin/sh\n", read(dir.readInRoot("/etc/passwd")), ".. stops at the root");
            assertEquals("root:x:0:0::/:/bin/sh\n", read(dir.readInRoot("/etc/abs")), "an absolute link starts at the root");
            assertNull(dir.readInRoot("/etc/host"), "a host path is looked for inside the tree, where it is not");
            assertNull(dir.readInRoot("/etc"), "a directory is no file");
            assertNull(dir.readInRoot("/nosuch/passwd"));
            assertTrue(assertThrowsIo(() -> dir.readInRoot("/etc/loop")).getMessage().contains("too many levels of symbolic links"));
        }
    }

    private static String read(InputStream in) throws IOException {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static IOException assertThrowsIo(org.junit.jupiter.api.function.Executable e) {
        return org.junit.jupiter.api.Assertions.assertThrows(IOException.class, e);
    }
}
