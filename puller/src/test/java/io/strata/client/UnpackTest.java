package io.strata.client;

import static io.strata.registry.ExternalTool.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.remote.RegistryClient;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Digest;
import io.strata.oci.Platform;
import io.strata.oci.Reference;
import io.strata.registry.ExternalTool;
import io.strata.registry.Registry;
import io.strata.registry.RegistryConfig;
import io.strata.snapshots.Applier;
import io.strata.snapshots.Mount;
import io.strata.snapshots.Native;
import io.strata.snapshots.OverlaySnapshotter;
import io.strata.snapshots.Snapshotter;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pulls with unpacking from a real registry and compares the merged overlay of the snapshots with
 * what umoci makes of the same image: every path's type, mode, owner, size, content, link target,
 * device numbers and xattrs must be equal.
 */
class UnpackTest {
    @TempDir
    Path tmp;

    private Registry registry;
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());
    private final List<Path> mounted = new ArrayList<>();

    @BeforeEach
    void start() throws Exception {
        ExternalTool.requireRoot();
        ExternalTool.require("skopeo");
        ExternalTool.require("umoci");
        Path f = tmp.resolve("strata.yml");
        Files.writeString(f, "listen: 127.0.0.1:0\nlog:\n  access: false\nstorage:\n  filesystem:\n    root: " + tmp.resolve("data") + "\n");
        registry = Registry.start(RegistryConfig.load(f, Map.of()));
    }

    @AfterEach
    void stop() throws Exception {
        for (Path p : mounted) {
            try {
                Mount.unmount(p);
            } catch (IOException ignored) {
                // the test unmounted it
            }
        }
        if (registry != null) registry.close();
    }

    private String host() {
        return "127.0.0.1:" + registry.port();
    }

    private void publish(Path layout, String repoTag) throws Exception {
        ok("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":v1", "docker://" + host() + "/" + repoTag);
    }

    private Puller.Pulled pull(LayoutStore store, String repoTag) throws IOException {
        Reference ref = Reference.parse(host() + "/" + repoTag);
        Puller.Events sink = new Puller.Events() {
            public void layer(Digest d, String status) {
                events.add(d + " " + status);
            }

            public void progress(Digest d, long done, long total) {}
        };
        var unpack = new Puller.Unpack(snapshotter(store), Applier.Limits.DEFAULT);
        return new Puller(new RegistryClient(ref.apiHost(), true, Optional.empty(), 3), store, 4, sink, Optional.of(unpack))
                .pull(ref, Platform.host());
    }

    static OverlaySnapshotter snapshotter(LayoutStore store) {
        return new OverlaySnapshotter(store.root().resolve("snapshots"));
    }

    /** The merged view of the image's snapshots, as a tree description. */
    private Map<String, String> merged(LayoutStore store, String name) throws Exception {
        var manifest = io.strata.oci.Manifest.parse(store.read(store.resolve(name).orElseThrow().digest()));
        var config = io.strata.oci.ImageConfig.parse(store.read(manifest.config().digest()));
        List<Digest> chain = config.rootfs().chainIds();
        Path dir = Files.createDirectories(tmp.resolve("merged-" + mounted.size()));
        snapshotter(store).readOnlyMount(chain.getLast().toString()).mount(dir);
        mounted.add(dir);
        try {
            return Trees.describe(dir);
        } finally {
            Mount.unmount(dir);
        }
    }

    private Map<String, String> umoci(Path layout) throws Exception {
        Path rootfs = tmp.resolve("umoci-" + layout.getFileName());
        ok("umoci", "raw", "unpack", "--image", layout + ":v1", rootfs.toString());
        return Trees.describe(rootfs);
    }

    // ---- the layers ------------------------------------------------------------------------------

    private static void file(Path root, String rel, String content, int mode, int uid, int gid) throws IOException {
        Path p = root.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
        Native.lchown(p, uid, gid);
        Native.chmod(p, mode);
    }

    private static void dir(Path root, String rel, int mode, int uid, int gid) throws IOException {
        Path p = Files.createDirectories(root.resolve(rel));
        Native.lchown(p, uid, gid);
        Native.chmod(p, mode);
    }

    /** vfs_cap_data v2 with cap_setuid (bit 7, a byte of 0x80: not valid UTF-8 on its own) effective and permitted. */
    static final byte[] CAP_SETUID = {1, 0, 0, 2, (byte) 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    static final String LONG_DIR = "d".repeat(90);
    static final String LONG_FILE = "f".repeat(120);
    static final String LONG_TARGET = "/" + "t".repeat(150);

    /** The base layer: every kind of entry and attribute. */
    private Path layer0() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("src0"));
        Native.chmod(s, 0755);
        dir(s, "etc", 0700, 0, 0);
        file(s, "etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644, 0, 0);
        dir(s, "usr/bin", 0755, 0, 0);
        file(s, "usr/bin/su", "#!/bin/sh\n", 04755, 0, 0);
        dir(s, "shared", 02775, 1000, 1000);
        dir(s, "tmp", 01777, 0, 0);
        dir(s, "home/user", 0750, 1000, 1001);
        file(s, "home/user/file", "mine", 0640, 1000, 1001);
        file(s, "caps", "capable", 0755, 0, 0);
        Native.lsetxattr(s.resolve("caps"), "security.capability", CAP_SETUID);
        file(s, "xattr-file", "x", 0644, 0, 0);
        Native.lsetxattr(s.resolve("xattr-file"), "user.plain", ImageBuilder.utf8("bar"));
        Native.lsetxattr(s.resolve("xattr-file"), "user.binary", new byte[] {0, (byte) 0xff, (byte) 0x80, 10});
        dir(s, "links", 0755, 0, 0);
        Files.createSymbolicLink(s.resolve("links/abs"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(s.resolve("links/rel"), Path.of("../etc/passwd"));
        Files.createSymbolicLink(s.resolve("links/dangling"), Path.of("nowhere"));
        Files.createSymbolicLink(s.resolve("links/long"), Path.of(LONG_TARGET));
        Native.lchown(s.resolve("links/rel"), 1000, 1000);
        file(s, "hard/a", "shared inode", 0600, 7, 8);
        Files.createLink(s.resolve("hard/b"), s.resolve("hard/a"));
        dir(s, "dev", 0755, 0, 0);
        Native.mknod(s.resolve("dev/null"), Native.S_IFCHR | 0666, Native.makedev(1, 3));
        Native.mknod(s.resolve("dev/loop0"), Native.S_IFBLK | 0660, Native.makedev(7, 0));
        Native.mknod(s.resolve("dev/fifo"), Native.S_IFIFO | 0644, 0);
        Native.chmod(s.resolve("dev/null"), 0666);
        Native.chmod(s.resolve("dev/loop0"), 0660);
        Native.chmod(s.resolve("dev/fifo"), 0644);
        file(s, "long/" + LONG_DIR + "/" + LONG_FILE, "long name", 0644, 0, 0);
        file(s, "unicode-é-名前", "utf-8", 0644, 0, 0);
        try (RandomAccessFile f = new RandomAccessFile(s.resolve("sparse").toFile(), "rw")) {
            f.write(ImageBuilder.utf8("head"));
            f.seek(3 << 20);
            f.write(ImageBuilder.utf8("middle"));
            f.setLength(4 << 20);
        }
        file(s, "deleted-file", "gone later", 0644, 0, 0);
        file(s, "deleted-dir/inner", "gone later", 0644, 0, 0);
        file(s, "replaced-dir/old1", "hidden by opaque", 0644, 0, 0);
        file(s, "replaced-dir/old2", "hidden by opaque", 0644, 0, 0);
        file(s, "file-to-dir", "a file first", 0644, 0, 0);
        file(s, "dir-to-file/inner", "a dir first", 0644, 0, 0);
        file(s, "recreated/old", "whited out and recreated", 0644, 0, 0);
        List<String> paths = new ArrayList<>();
        try (var walk = Files.walk(s)) {
            walk.forEach(p -> paths.add(s.relativize(p).toString().isEmpty() ? "." : "./" + s.relativize(p)));
        }
        return ImageBuilder.gnuTar(s, tmp.resolve("layer0.tar"), paths, "--sparse");
    }

    /** Whiteouts, an opaque directory, type changes, an implicit parent directory. */
    private Path layer1() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("src1"));
        file(s, ".wh.deleted-file", "", 0644, 0, 0);
        file(s, ".wh.deleted-dir", "", 0644, 0, 0);
        dir(s, "replaced-dir", 0750, 0, 0);
        file(s, "replaced-dir/.wh..wh..opq", "", 0644, 0, 0);
        file(s, "replaced-dir/new", "after opaque", 0644, 0, 0);
        dir(s, "file-to-dir", 0755, 0, 0);
        file(s, "file-to-dir/inside", "now a dir", 0644, 0, 0);
        file(s, "dir-to-file", "now a file", 0600, 0, 0);
        dir(s, "etc", 0755, 0, 0); // not in the tar: the layer below's 0700 must show through
        file(s, "etc/passwd", "root:x:0:0::/root:/bin/bash\n", 0644, 0, 0);
        file(s, "etc/newfile", "implicit parent", 0644, 0, 0);
        return ImageBuilder.gnuTar(s, tmp.resolve("layer1.tar"), List.of(".wh.deleted-file", ".wh.deleted-dir", "replaced-dir",
                "replaced-dir/.wh..wh..opq", "replaced-dir/new", "file-to-dir", "file-to-dir/inside", "dir-to-file",
                "etc/passwd", "etc/newfile"));
    }

    /** A directory back to a file; a whiteout and the path recreated in the same layer. */
    private Path layer2() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("src2"));
        file(s, "file-to-dir", "a file again", 0644, 0, 0);
        file(s, ".wh.recreated", "", 0644, 0, 0);
        dir(s, "recreated", 0755, 0, 0);
        file(s, "recreated/new", "the new one", 0644, 0, 0);
        return ImageBuilder.gnuTar(s, tmp.resolve("layer2.tar"), List.of("file-to-dir", ".wh.recreated", "recreated", "recreated/new"));
    }

    /** GNU format: long names and links as ././@LongLink entries (umoci cannot read GNU's old sparse entries: TarReaderTest has them). */
    private Path layer3() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("src3"));
        file(s, "gnu/" + LONG_DIR + "/" + LONG_FILE, "gnu long name", 0644, 0, 0);
        Files.createSymbolicLink(s.resolve("gnu/longlink"), Path.of(LONG_TARGET));
        Path out = tmp.resolve("layer3.tar");
        var r = ExternalTool.run(List.of("tar", "--format=gnu", "--numeric-owner", "-C", s.toString(), "-cf", out.toString(), "gnu"));
        assertEquals(0, r.exit(), r.err());
        return out;
    }

    private ImageBuilder fullImage() throws Exception {
        return new ImageBuilder().layer(layer0()).layer(layer1()).layer(layer2()).layer(layer3());
    }

    // ---- the tests -------------------------------------------------------------------------------

    @Test
    void mergedSnapshotsEqualUmociUnpack() throws Exception {
        Path layout = tmp.resolve("full");
        fullImage().write(layout, "v1", ImageBuilder.Compression.GZIP);
        publish(layout, "lib/full:v1");
        LayoutStore store = new LayoutStore(tmp.resolve("store"));
        assertEquals(4, pull(store, "lib/full:v1").unpacked());

        Map<String, String> ours = merged(store, host() + "/lib/full:v1");
        Map<String, String> theirs = umoci(layout);
        assertEquals("", Trees.diff(theirs, ours), "merged overlay against umoci raw unpack");

        // The comparison saw what it was meant to see.
        assertTrue(ours.get("caps").contains("xattr:security.capability=0100000280"), ours.get("caps"));
        assertTrue(ours.get("xattr-file").contains("xattr:user.binary=00ff800a"), ours.get("xattr-file"));
        assertTrue(ours.get("usr/bin/su").startsWith("mode=104755"), ours.get("usr/bin/su"));
        assertTrue(ours.get("tmp").startsWith("mode=041777"), ours.get("tmp"));
        assertTrue(ours.get("shared").startsWith("mode=042775 uid=1000 gid=1000"), ours.get("shared"));
        assertTrue(ours.get("etc").startsWith("mode=040700"), "implicit parent keeps the lower mode: " + ours.get("etc"));
        assertTrue(ours.get("dev/null").contains("dev=1,3"), ours.get("dev/null"));
        assertTrue(ours.get("dev/loop0").startsWith("mode=060660") && ours.get("dev/loop0").contains("dev=7,0"), ours.get("dev/loop0"));
        assertTrue(ours.get("dev/fifo").startsWith("mode=010644"), ours.get("dev/fifo"));
        assertTrue(ours.get("hard/b").contains("hardlinks=hard/a,hard/b"), ours.get("hard/b"));
        assertTrue(ours.get("links/long").endsWith("-> " + LONG_TARGET), ours.get("links/long"));
        assertTrue(ours.containsKey("long/" + LONG_DIR + "/" + LONG_FILE));
        assertTrue(ours.containsKey("gnu/" + LONG_DIR + "/" + LONG_FILE));
        assertTrue(ours.get("sparse").contains("size=4194304"), ours.get("sparse"));
        assertTrue(ours.containsKey("unicode-é-名前"));
        for (String gone : List.of("deleted-file", "deleted-dir", "deleted-dir/inner", "replaced-dir/old1", "recreated/old", "dir-to-file/inner")) {
            assertFalse(ours.containsKey(gone), gone + " was deleted");
        }
        assertTrue(ours.containsKey("replaced-dir/new") && ours.containsKey("recreated/new") && ours.containsKey("etc/newfile"));
        assertTrue(ours.get("file-to-dir").contains("size="), "a file again: " + ours.get("file-to-dir"));
        assertTrue(ours.get("dir-to-file").contains("size="), ours.get("dir-to-file"));
        // Sparse files keep their holes on disk.
        Path layerDir = snapshotter(store).chain(snapshotter(store).list().stream()
                .filter(i -> i.parent() == null).findFirst().orElseThrow().name()).getFirst();
        long blocks = Long.parseLong(ok("stat", "-c", "%b", layerDir.resolve("sparse").toString()).trim());
        assertTrue(blocks * 512 < (1 << 20), "sparse file allocates " + blocks + " blocks");
    }

    /** Files a later layer hardlinks, and the places around them that layer changes. */
    private Path linkedBase() throws Exception {
        Path s = Files.createDirectories(tmp.resolve("linked-src"));
        Native.chmod(s, 0755);
        dir(s, "data", 0755, 0, 0);
        file(s, "data/a", "lower a", 0640, 7, 8);
        Native.lsetxattr(s.resolve("data/a"), "user.k", ImageBuilder.utf8("v"));
        dir(s, "deep", 0711, 5, 5);
        dir(s, "deep/x", 0701, 6, 6);
        file(s, "deep/x/y", "lower y", 0600, 0, 0);
        file(s, "c", "old c", 0644, 0, 0);
        file(s, "w", "old w", 0644, 0, 0);
        dir(s, "op", 0755, 0, 0);
        file(s, "op/f", "old op/f", 0644, 0, 0);
        dir(s, "dd", 0755, 0, 0);
        file(s, "dd/f", "old dd/f", 0644, 0, 0);
        Files.createSymbolicLink(s.resolve("sym"), Path.of("data/a"));
        dir(s, "imp", 0711, 5, 5);
        return ImageBuilder.gnuTar(s, tmp.resolve("linked-base.tar"), List.of(".", "data", "data/a", "deep", "deep/x", "deep/x/y", "c", "w",
                "op", "op/f", "dd", "dd/f", "sym", "imp"));
    }

    private Path handTar(String name, Tar tar) throws IOException {
        return Files.write(tmp.resolve(name), tar.bytes());
    }

    private static final byte HARDLINK = org.apache.commons.compress.archivers.tar.TarConstants.LF_LINK;

    private static byte[] bytes(String s) {
        return ImageBuilder.utf8(s);
    }

    @Test
    void hardlinksToFilesOfLowerLayersUnpackAsUmociAndOverlayDo() throws Exception {
        // As overlay would, linking through a mount of the layers below: the file is copied up, the new name
        // links to the copy; what later entries do to either name applies to that name alone.
        Path linking = handTar("linking.tar", new Tar()
                .link("data/b", HARDLINK, "data/a")
                .link("data/b2", HARDLINK, "data/b") // a link to the link: the same inode
                .dir("new")
                .link("new/yy", HARDLINK, "deep/x/y") // deep and deep/x are not listed: they keep the attributes below
                .link("c2", HARDLINK, "c").file("c", bytes("new c")) // the copy-up replaced: c2 keeps the old file
                .link("w2", HARDLINK, "w").file(".wh.w", new byte[0]) // the copy-up deleted
                .link("op2", HARDLINK, "op/f").dir("op").file("op/.wh..wh..opq", new byte[0]) // hidden by an opaque directory
                .link("x", HARDLINK, "dd/f").file(".wh.dd", new byte[0]) // its directory deleted
                // Not a link: a directory the layer made as a parent, then replaced by a file, which keeps its own attributes.
                .file("imp/x", bytes("in imp")).file("imp", bytes("now a file"), 0600, 0, 0));
        Path layout = tmp.resolve("linked");
        new ImageBuilder().layer(linkedBase()).layer(linking).write(layout, "v1", ImageBuilder.Compression.GZIP);
        publish(layout, "lib/linked:v1");
        LayoutStore store = new LayoutStore(tmp.resolve("store"));
        assertEquals(2, pull(store, "lib/linked:v1").unpacked());

        Map<String, String> ours = merged(store, host() + "/lib/linked:v1");
        assertEquals("", Trees.diff(umoci(layout), ours), "merged overlay against umoci raw unpack");

        // The comparison saw what it was meant to see.
        assertTrue(ours.get("data/a").startsWith("mode=100640 uid=7 gid=8"), ours.get("data/a"));
        assertTrue(ours.get("data/a").contains("xattr:user.k=76"), ours.get("data/a"));
        assertTrue(ours.get("data/b2").endsWith("hardlinks=data/a,data/b,data/b2"), ours.get("data/b2"));
        assertTrue(ours.get("new/yy").endsWith("hardlinks=deep/x/y,new/yy"), ours.get("new/yy"));
        assertTrue(ours.get("deep").startsWith("mode=040711 uid=5 gid=5"), ours.get("deep"));
        assertTrue(ours.get("deep/x").startsWith("mode=040701 uid=6 gid=6"), ours.get("deep/x"));
        assertFalse(ours.get("c").contains("hardlinks") || ours.get("c2").contains("hardlinks"), ours.get("c") + " / " + ours.get("c2"));
        assertFalse(sha(ours.get("c")).equals(sha(ours.get("c2"))), "c2 keeps the old c");
        for (String gone : List.of("w", "op/f", "dd", "dd/f")) assertFalse(ours.containsKey(gone), gone + " was deleted");
        for (String kept : List.of("op", "w2", "op2", "x")) assertTrue(ours.containsKey(kept), kept + " is there");
        assertTrue(ours.get("imp").startsWith("mode=100600 uid=0 gid=0"), ours.get("imp"));

        // The layer's own directory holds the files it copied up, with their content, and nothing it deleted.
        Path top = snapshotter(store).chain(snapshotter(store).list().stream()
                .filter(i -> i.parent() != null).findFirst().orElseThrow().name()).getFirst();
        assertEquals("lower a", Files.readString(top.resolve("data/a")));
        assertEquals("old c", Files.readString(top.resolve("c2")));
        assertEquals("old dd/f", Files.readString(top.resolve("x")));
        assertFalse(Files.exists(top.resolve("op/f"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }

    private static String sha(String entry) {
        return entry.replaceAll(".* sha256=(\\S+).*", "$1");
    }

    @Test
    void aHardlinkToWhatTheLayersBelowDoNotHaveAsAFileIsRefused() throws Exception {
        Path base = linkedBase();
        Map<String, String> refusals = Map.of(
                "sym", "hardlink target sym is not a regular file in the layers below",
                "nowhere", "hardlink target nowhere is not in the layer nor in the layers below",
                "deep/x", "hardlink to a directory",
                "dd/f/under", "hardlink target dd/f/under is not in the layer nor in the layers below");
        int n = 0;
        for (var r : refusals.entrySet()) {
            String tag = "lib/refused:v" + n;
            Path layout = tmp.resolve("refused-" + n);
            new ImageBuilder().layer(base).layer(handTar("refused-" + n + ".tar", new Tar().link("h", HARDLINK, r.getKey())))
                    .write(layout, "v1", ImageBuilder.Compression.GZIP);
            publish(layout, tag);
            LayoutStore store = new LayoutStore(tmp.resolve("store-" + n++));
            IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> pull(store, tag));
            assertTrue(e.getMessage().contains("entry h: " + r.getValue()) && e.getMessage().contains("layer sha256:"), e.getMessage());
            List<Snapshotter.Info> left = snapshotter(store).list();
            assertEquals(1, left.size(), "the base layer's snapshot only: " + left);
            assertEquals(Snapshotter.Kind.COMMITTED, left.getFirst().kind());
            assertEquals(null, left.getFirst().parent());
        }
    }

    @Test
    void zstdAndGzipCopiesShareSnapshotsAndUnpackAlike() throws Exception {
        ImageBuilder image = fullImage();
        Path gzip = tmp.resolve("gzip");
        Path zstd = tmp.resolve("zstd");
        image.write(gzip, "v1", ImageBuilder.Compression.GZIP);
        image.write(zstd, "v1", ImageBuilder.Compression.ZSTD);
        publish(gzip, "lib/gz:v1");
        publish(zstd, "lib/zst:v1");
        LayoutStore shared = new LayoutStore(tmp.resolve("shared"));
        assertEquals(4, pull(shared, "lib/gz:v1").unpacked());
        assertEquals(0, pull(shared, "lib/zst:v1").unpacked(), "same DiffIDs, same snapshots");
        for (var m : io.strata.oci.Manifest.parse(shared.read(shared.resolve(host() + "/lib/zst:v1").orElseThrow().digest())).layers()) {
            assertTrue(shared.has(m.digest()), "the zstd blobs are stored even though their snapshots existed");
        }
        LayoutStore fresh = new LayoutStore(tmp.resolve("fresh"));
        assertEquals(4, pull(fresh, "lib/zst:v1").unpacked());
        assertEquals("", Trees.diff(merged(shared, host() + "/lib/gz:v1"), merged(fresh, host() + "/lib/zst:v1")));
    }

    @Test
    void aSecondImageUnpacksOnlyItsNewLayers() throws Exception {
        Path l0 = layer0(), l1 = layer1(), l2 = layer2();
        new ImageBuilder().layer(l0).layer(l1).write(tmp.resolve("base"), "v1", ImageBuilder.Compression.GZIP);
        new ImageBuilder().layer(l0).layer(l1).layer(l2).write(tmp.resolve("child"), "v1", ImageBuilder.Compression.GZIP);
        publish(tmp.resolve("base"), "lib/base:v1");
        publish(tmp.resolve("child"), "lib/child:v1");
        LayoutStore store = new LayoutStore(tmp.resolve("store"));
        assertEquals(2, pull(store, "lib/base:v1").unpacked());
        events.clear();
        assertEquals(1, pull(store, "lib/child:v1").unpacked());
        assertEquals(2, events.stream().filter(e -> e.endsWith("Already exists")).count(), events.toString());
        List<Snapshotter.Info> all = snapshotter(store).list();
        assertEquals(3, all.size(), all.toString());
        assertTrue(all.stream().allMatch(i -> i.kind() == Snapshotter.Kind.COMMITTED), all.toString());
    }

    @Test
    void gcRemovesSnapshotsNoImageUsesButNotThoseALeaseHolds() throws Exception {
        Path l0 = layer0(), l1 = layer1();
        new ImageBuilder().layer(l0).write(tmp.resolve("base"), "v1", ImageBuilder.Compression.GZIP);
        new ImageBuilder().layer(l0).layer(l1).write(tmp.resolve("child"), "v1", ImageBuilder.Compression.GZIP);
        publish(tmp.resolve("base"), "lib/base:v1");
        publish(tmp.resolve("child"), "lib/child:v1");
        LayoutStore store = new LayoutStore(tmp.resolve("store"));
        pull(store, "lib/base:v1");
        pull(store, "lib/child:v1");
        OverlaySnapshotter snapshots = snapshotter(store);
        assertEquals(0, GarbageCollector.collect(store, snapshots, java.time.Duration.ZERO, java.util.Set::of).snapshotsRemoved());

        store.untag(host() + "/lib/child:v1");
        String top = snapshots.list().stream().filter(i -> i.parent() != null).findFirst().orElseThrow().name();
        try (var lease = store.leases().acquire("test")) {
            lease.add(List.of(), List.of(top));
            assertEquals(0, GarbageCollector.collect(store, snapshots, java.time.Duration.ZERO, java.util.Set::of).snapshotsRemoved(), "the lease holds it");
        }
        var result = GarbageCollector.collect(store, snapshots, java.time.Duration.ZERO, java.util.Set::of);
        assertEquals(1, result.snapshotsRemoved());
        assertEquals(1, snapshots.list().size(), "the base image's snapshot stays");

        // A mounted snapshot is kept and reported.
        store.untag(host() + "/lib/base:v1");
        Path dir = Files.createDirectories(tmp.resolve("view"));
        snapshots.readOnlyMount(snapshots.list().getFirst().name()).mount(dir);
        mounted.add(dir);
        var held = GarbageCollector.collect(store, snapshots, java.time.Duration.ZERO, java.util.Set::of);
        assertEquals(0, held.snapshotsRemoved());
        assertEquals(1, held.kept().size(), held.toString());
        Mount.unmount(dir);
        assertEquals(1, GarbageCollector.collect(store, snapshots, java.time.Duration.ZERO, java.util.Set::of).snapshotsRemoved());
        assertTrue(snapshots.list().isEmpty());
    }

    @Test
    void gcReadsALeaseItsProcessHasTakenButNotYetWritten() throws Exception {
        LayoutStore store = new LayoutStore(tmp.resolve("store"));
        store.create();
        // Another process's lease, the instant after it was created and locked: an empty file.
        Path leases = Files.createDirectories(store.root().resolve("leases"));
        try (var ch = java.nio.channels.FileChannel.open(leases.resolve("other.json"), java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE); var lock = ch.lock()) {
            List<io.strata.client.store.Leases.Resources> live = store.leases().exclusively(l -> l);
            assertEquals(1, live.size(), live.toString());
            assertTrue(live.getFirst().blobs().isEmpty() && live.getFirst().snapshots().isEmpty(), live.toString());
            assertEquals(0, GarbageCollector.collect(store, snapshotter(store), java.time.Duration.ZERO, java.util.Set::of).snapshotsRemoved());
        }
    }

}
