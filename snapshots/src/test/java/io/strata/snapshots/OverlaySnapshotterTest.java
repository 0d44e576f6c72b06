package io.strata.snapshots;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The snapshot lifecycle on a real overlay mount. */
class OverlaySnapshotterTest {
    @TempDir
    Path tmp;

    private OverlaySnapshotter snapshots;

    @BeforeEach
    void setUp() {
        Root.require();
        snapshots = new OverlaySnapshotter(tmp.resolve("snapshots"));
    }

    private void commitLayer(String name, String parent, String file, String content) throws Exception {
        String key = "extract-" + name;
        snapshots.prepare(key, parent);
        Files.writeString(snapshots.layerDir(key).resolve(file), content);
        snapshots.commit(name, key);
    }

    @Test
    void everyMountUnderADirectoryIsDetachedDeepestFirstAndNoneBesideIt() throws Exception {
        commitLayer("base", null, "a", "base a");
        Path under = tmp.resolve("under");
        Path rootfs = Files.createDirectories(under.resolve("rootfs"));
        Path beside = Files.createDirectories(tmp.resolve("under-not"));
        Path source = Files.createDirectories(tmp.resolve("source"));
        snapshots.prepare("container", "base").getFirst().mount(rootfs);
        new Mount("bind", source.toString(), List.of()).mount(Files.createDirectories(rootfs.resolve("inner")));
        new Mount("bind", source.toString(), List.of()).mount(beside);
        try {
            Mount.unmountAllUnder(under);
            assertFalse(Mount.isMountPoint(rootfs.resolve("inner")), "the bind inside the overlay");
            assertFalse(Mount.isMountPoint(rootfs), "the overlay");
            assertTrue(Mount.isMountPoint(beside), "a directory whose name only begins the same");
        } finally {
            while (Mount.isMountPoint(rootfs)) Mount.unmount(rootfs);
            Mount.unmount(beside);
        }
    }

    @Test
    void preparedOnParentsTheMountShowsEveryLayerAndWritesGoUp() throws Exception {
        commitLayer("base", null, "a", "base a");
        commitLayer("mid", "base", "b", "mid b");
        List<Mount> mounts = snapshots.prepare("container", "mid");
        assertEquals("overlay", mounts.getFirst().type());
        Path dir = Files.createDirectories(tmp.resolve("rootfs"));
        mounts.getFirst().mount(dir);
        try {
            assertEquals("base a", Files.readString(dir.resolve("a")));
            assertEquals("mid b", Files.readString(dir.resolve("b")));
            Files.writeString(dir.resolve("a"), "changed");
            Files.delete(dir.resolve("b"));
            assertThrows(Snapshotter.InUseException.class, () -> snapshots.remove("container"), "mounted");
            assertThrows(Snapshotter.InUseException.class, () -> snapshots.remove("mid"), "a child uses it");
        } finally {
            Mount.unmount(dir);
        }
        assertEquals("changed", Files.readString(snapshots.layerDir("container").resolve("a")));
        assertEquals("base a", Files.readString(snapshots.layerDir("base").resolve("a")), "committed layers never change");
        assertTrue(Files.exists(snapshots.layerDir("mid").resolve("b")));
        assertEquals(Snapshotter.Kind.ACTIVE, snapshots.stat("container").orElseThrow().kind());
        snapshots.remove("container");
        snapshots.remove("mid");
        assertFalse(snapshots.stat("mid").isPresent());
        assertEquals(List.of("base"), snapshots.list().stream().map(Snapshotter.Info::name).toList());
    }

    @Test
    void committingAnExistingNameDiscardsTheDuplicate() throws Exception {
        commitLayer("layer", null, "a", "first");
        snapshots.prepare("again", null);
        assertThrows(Snapshotter.AlreadyExistsException.class, () -> snapshots.commit("layer", "again"));
        assertFalse(snapshots.stat("again").isPresent());
        assertEquals("first", Files.readString(snapshots.layerDir("layer").resolve("a")));
    }

    @Test
    void racingCommitsOfOneNameLeaveOneSnapshotAndTellTheOthers() throws Exception {
        int racers = 8;
        for (int i = 0; i < racers; i++) {
            snapshots.prepare("racer-" + i, null);
            Files.writeString(snapshots.layerDir("racer-" + i).resolve("f"), "same layer");
        }
        java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger won = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger lost = new java.util.concurrent.atomic.AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < racers; i++) {
            String key = "racer-" + i;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                    snapshots.commit("shared", key);
                    won.incrementAndGet();
                } catch (Snapshotter.AlreadyExistsException e) {
                    lost.incrementAndGet();
                } catch (Exception e) {
                    throw new AssertionError(key + ": " + e, e);
                }
            }));
        }
        go.countDown();
        for (Thread t : threads) t.join();
        assertEquals(1, won.get(), "one commit stands");
        assertEquals(racers - 1, lost.get(), "every other one is told the name exists, none fails otherwise");
        assertEquals(List.of("shared"), snapshots.list().stream().map(Snapshotter.Info::name).toList(), "and leaves nothing behind");
    }

    @Test
    void aViewIsReadOnlyAndUsageCountsTheLayer() throws Exception {
        commitLayer("one", null, "a", "12345");
        commitLayer("two", "one", "b", "678");
        assertEquals(new Snapshotter.Usage(3, 2), snapshots.stat("two").orElseThrow().usage(), "one directory and one file of 3 bytes");
        List<Mount> view = snapshots.view("look", "two");
        assertTrue(view.getFirst().readOnly());
        Path dir = Files.createDirectories(tmp.resolve("view"));
        view.getFirst().mount(dir);
        try {
            assertEquals("12345", Files.readString(dir.resolve("a")));
            assertThrows(java.io.IOException.class, () -> Files.writeString(dir.resolve("c"), "no"));
        } finally {
            Mount.unmount(dir);
        }
    }

    @Test
    void manyLayersMountPastThePageLimitOfMountOptions() throws Exception {
        String parent = null;
        int layers = 60; // about 100 bytes of lowerdir each: beyond mount(2)'s 4 KiB of options
        for (int i = 0; i < layers; i++) {
            commitLayer("layer-" + i, parent, "f" + i, "layer " + i);
            parent = "layer-" + i;
        }
        Mount m = snapshots.readOnlyMount(parent);
        assertTrue(String.join(",", m.options()).length() > 4096, "the options really are longer than a page");
        Path dir = Files.createDirectories(tmp.resolve("deep"));
        m.mount(dir);
        try {
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < layers; i++) seen.add(Files.readString(dir.resolve("f" + i)));
            assertEquals("layer 0", seen.getFirst());
            assertEquals("layer " + (layers - 1), seen.getLast());
        } finally {
            Mount.unmount(dir);
        }
    }
}
