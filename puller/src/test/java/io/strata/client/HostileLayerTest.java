package io.strata.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdOutputStream;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.ImageConfig;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import io.strata.registry.ExternalTool;
import io.strata.snapshots.Applier;
import io.strata.snapshots.OverlaySnapshotter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Layers made to escape the snapshot, forge overlay metadata, exhaust the disk or lie about their
 * content: each is refused with an error naming what is wrong, and leaves no snapshot and no file.
 */
class HostileLayerTest {
    @TempDir
    Path tmp;

    private LayoutStore store;
    private OverlaySnapshotter snapshotter;
    private Path outside;

    @BeforeEach
    void setUp() throws IOException {
        ExternalTool.requireRoot();
        store = new LayoutStore(tmp.resolve("store"));
        snapshotter = new OverlaySnapshotter(store.root().resolve("snapshots"));
        outside = Files.createDirectories(tmp.resolve("outside"));
    }

    static byte[] gzip(byte[] tar) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream z = new GZIPOutputStream(out)) {
            z.write(tar);
        }
        return out.toByteArray();
    }

    static byte[] zstd(byte[] tar) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream z = new ZstdOutputStream(out)) {
            z.write(tar);
        }
        return out.toByteArray();
    }

    /** Unpacks a one-layer image whose blob and DiffID are given. */
    private void unpack(byte[] blob, String mediaType, Digest diffId, Applier.Limits limits) throws IOException {
        Descriptor layer = new Descriptor(mediaType, Digest.sha256(blob), blob.length);
        ImageConfig config = new ImageConfig(null, null, "amd64", "linux", null, null, null,
                new ImageConfig.RootFs("layers", List.of(diffId)), List.of());
        Manifest manifest = new Manifest(2, MediaType.OCI_MANIFEST, null,
                new Descriptor(MediaType.OCI_CONFIG, Digest.sha256(config.toJson()), config.toJson().length), List.of(layer), null, null);
        Puller.Events quiet = new Puller.Events() {
            public void layer(Digest d, String status) {}

            public void progress(Digest d, long done, long total) {}
        };
        try (var lease = store.leases().acquire("test")) {
            new Unpacker(snapshotter, limits, 2, quiet).unpack(manifest, config, l -> new ByteArrayInputStream(blob), lease);
        }
    }

    private void unpackTar(byte[] tar, Applier.Limits limits) throws IOException {
        unpack(gzip(tar), MediaType.OCI_LAYER_GZIP, Digest.sha256(tar), limits);
    }

    static Stream<Arguments> hostile() throws IOException {
        String abs = "/proc/1/root/tmp"; // replaced per test by the real outside dir, see below
        return Stream.of(
                Arguments.of("dot-dot name", new Tar().file("../escape", new byte[] {1}).bytes(), "'..'"),
                Arguments.of("dot-dot deep", new Tar().file("a/../../escape", new byte[] {1}).bytes(), "'..'"),
                Arguments.of("write through a planted symlink", new Tar().link("link", TarConstants.LF_SYMLINK, "OUTSIDE")
                        .file("link/planted", new byte[] {1}).bytes(), "symlink link"),
                Arguments.of("whiteout through a planted symlink", new Tar().link("link", TarConstants.LF_SYMLINK, "OUTSIDE")
                        .file("link/.wh.victim", new byte[0]).bytes(), "symlink link"),
                Arguments.of("hardlink escaping", new Tar().link("h", TarConstants.LF_LINK, "../../../../etc/passwd").bytes(), "'..'"),
                Arguments.of("hardlink to a host path", new Tar().link("h", TarConstants.LF_LINK, "/etc/passwd").bytes(), "is not in the layer nor in the layers below"),
                Arguments.of("hardlink to a path the layer's opaque directory hides", new Tar().dir("d").file("d/.wh..wh..opq", new byte[0])
                        .link("h", TarConstants.LF_LINK, "d/below").bytes(), "opaque directory d hides the layers below"),
                Arguments.of("hardlink to a path the layer deleted", new Tar().file(".wh.gone", new byte[0])
                        .link("h", TarConstants.LF_LINK, "gone").bytes(), "hardlink to a deleted path"),
                Arguments.of("hardlink to a path below itself", new Tar().link("h", TarConstants.LF_LINK, "h/x").bytes(), "below itself"),
                Arguments.of("hardlink through a planted symlink", new Tar().link("link", TarConstants.LF_SYMLINK, "/etc")
                        .link("h", TarConstants.LF_LINK, "link/passwd").bytes(), "symlink link"),
                Arguments.of("forged whiteout device", new Tar().device("victim", 0, 0).bytes(), "whiteout"),
                Arguments.of("forged opaque xattr", new Tar().dir("d", "SCHILY.xattr.trusted.overlay.opaque", "y").bytes(), "overlay attribute"),
                Arguments.of("names that are not UTF-8 (a\\xff and a\\xfe would both become a\\ufffd)", new Tar("ISO-8859-1")
                        .file("a\u00ff", new byte[] {1}).file("a\u00fe", new byte[] {2}).bytes(), "tar entry a\\xff: its name is not valid UTF-8"),
                Arguments.of("a link name that is not UTF-8", new Tar("ISO-8859-1").link("l", TarConstants.LF_SYMLINK, "t\u00ff").bytes(),
                        "tar entry t\\xff: its name is not valid UTF-8"),
                Arguments.of("a name component longer than a file name may be", new Tar().file("d/" + "n".repeat(300), new byte[] {1}).bytes(),
                        "entry d/nnnn"),
                Arguments.of("not a tar", new byte[2048], null),
                Arguments.of("garbage header", garbage(), "checksum"));
    }

    private static byte[] garbage() {
        byte[] b = new byte[1024];
        Arrays.fill(b, 0, 512, (byte) 'x');
        return b;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void hostileEntriesAreRefused(String what, byte[] tar, String expected) throws IOException {
        byte[] real = replace(tar, "OUTSIDE", outside.toString());
        if (expected == null) {
            // Only zero blocks: an empty layer, which is valid. The control case for the harness.
            unpackTar(real, Applier.Limits.DEFAULT);
            assertEquals(1, snapshotter.list().size());
            return;
        }
        IOException e = assertThrows(IOException.class, () -> unpackTar(real, Applier.Limits.DEFAULT));
        assertTrue(e.getMessage().contains(expected), what + ": " + e.getMessage());
        assertTrue(e.getMessage().contains("layer sha256:"), "names the layer: " + e.getMessage());
        assertNothingLeft();
    }

    /** Writes the real outside dir into symlink targets (same length not needed: tar headers are rebuilt). */
    private static byte[] replace(byte[] tar, String marker, String with) throws IOException {
        String text = new String(tar, java.nio.charset.StandardCharsets.ISO_8859_1);
        if (!text.contains(marker)) return tar;
        // Rebuild rather than patch, so the header checksums stay right.
        try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            Tar out = new Tar();
            for (TarArchiveEntry e; (e = in.getNextEntry()) != null; ) {
                if (e.isSymbolicLink()) out.link(e.getName(), TarConstants.LF_SYMLINK, e.getLinkName().replace(marker, with));
                else if (e.isLink()) out.link(e.getName(), TarConstants.LF_LINK, e.getLinkName());
                else out.file(e.getName(), in.readAllBytes());
            }
            return out.bytes();
        }
    }

    private void assertNothingLeft() throws IOException {
        assertEquals(List.of(), snapshotter.list(), "no snapshot, active or committed, is left");
        try (var files = Files.list(outside)) {
            assertEquals(List.of(), files.toList(), "nothing was written outside");
        }
        try (var walk = Files.walk(tmp)) {
            assertFalse(walk.anyMatch(p -> p.getFileName().toString().equals("escape")), "no escape file anywhere");
        }
    }

    @Test
    void anErrorNamesTheEntryShortenedNeverTheHostPath() throws IOException {
        // 64 KiB of name in 200-byte components: the system refuses it; the message names the entry, in a line.
        StringBuilder name = new StringBuilder();
        while (name.length() < 64 * 1024) name.append("c".repeat(199)).append('/');
        IOException e = assertThrows(IOException.class, () -> unpackTar(new Tar().file(name + "f", new byte[] {1}).bytes(), Applier.Limits.DEFAULT));
        assertTrue(e.getMessage().length() < 600, "one short line: " + e.getMessage().length() + " characters");
        assertTrue(e.getMessage().contains("entry cccc") && e.getMessage().contains("…"), e.getMessage());
        assertFalse(e.getMessage().contains(tmp.toString()), "no host path: " + e.getMessage());
        assertNothingLeft();
    }

    /** A PAX global header's path changes no entry's name, as Go's archive/tar and containerd read it. */
    @Test
    void aGlobalHeaderRenamesNoEntry() throws IOException {
        byte[] global = (Tar.paxRecord("path", "everyone") + Tar.paxRecord("comment", "made by a tool"))
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        raw.write(Tar.record("pax_global_header", 'g', global));
        raw.write(Tar.record("a", '0', new byte[] {1}));
        raw.write(Tar.record("b", '0', new byte[] {2}));
        raw.write(new byte[1024]);
        byte[] tar = raw.toByteArray();
        unpackTar(tar, Applier.Limits.DEFAULT);
        Path layer = snapshotter.layerDir(snapshotter.list().getFirst().name());
        assertEquals(1, Files.readAllBytes(layer.resolve("a"))[0]);
        assertEquals(2, Files.readAllBytes(layer.resolve("b"))[0]);
        assertFalse(Files.exists(layer.resolve("everyone")));
    }

    @Test
    void absoluteNamesAreMadeRelative() throws IOException {
        unpackTar(new Tar().file("/abs/file", new byte[] {42}).bytes(), Applier.Limits.DEFAULT);
        String name = snapshotter.list().getFirst().name();
        assertTrue(Files.isRegularFile(snapshotter.layerDir(name).resolve("abs/file")));
    }

    @Test
    void aDecompressionBombStopsAtTheSizeLimit() throws IOException {
        byte[] tar = new Tar().zeros("bomb", 64L << 20).bytes();
        byte[] blob = gzip(tar);
        assertTrue(blob.length < (1 << 20), "64 MiB of zeros compress to " + blob.length);
        IOException e = assertThrows(IOException.class,
                () -> unpack(blob, MediaType.OCI_LAYER_GZIP, Digest.sha256(tar), new Applier.Limits(8L << 20, 1000)));
        assertTrue(e.getMessage().contains("more than 8388608 bytes"), e.getMessage());
        assertNothingLeft();
    }

    @Test
    void tooManyEntriesStopAtTheEntryLimit() throws IOException {
        Tar t = new Tar();
        for (int i = 0; i < 50; i++) t.file("f" + i, new byte[0]);
        byte[] tar = t.bytes();
        IOException e = assertThrows(IOException.class,
                () -> unpack(gzip(tar), MediaType.OCI_LAYER_GZIP, Digest.sha256(tar), new Applier.Limits(1L << 30, 10)));
        assertTrue(e.getMessage().contains("more than 10 entries"), e.getMessage());
        assertNothingLeft();
    }

    @Test
    void aDiffIdMismatchDiscardsTheSnapshot() throws IOException {
        byte[] tar = new Tar().file("f", new byte[] {1, 2, 3}).bytes();
        Digest wrong = Digest.sha256(new byte[] {9});
        IOException e = assertThrows(IOException.class, () -> unpack(gzip(tar), MediaType.OCI_LAYER_GZIP, wrong, Applier.Limits.DEFAULT));
        assertTrue(e.getMessage().contains("unpacks to DiffID " + Digest.sha256(tar)) && e.getMessage().contains(wrong.toString()), e.getMessage());
        assertNothingLeft();
    }

    @Test
    void aTruncatedGzipIsRefused() throws IOException {
        byte[] tar = new Tar().file("f", new byte[100_000]).file("g", "x".repeat(50_000).getBytes()).bytes();
        byte[] gz = gzip(tar);
        byte[] cut = Arrays.copyOf(gz, gz.length / 2);
        IOException e = assertThrows(IOException.class, () -> unpack(cut, MediaType.OCI_LAYER_GZIP, Digest.sha256(tar), Applier.Limits.DEFAULT));
        assertTrue(e.getMessage().contains("layer " + Digest.sha256(cut)), e.getMessage());
        assertNothingLeft();
    }

    @Test
    void aLayerWhoseBytesContradictItsMediaTypeIsRefused() throws IOException {
        byte[] tar = new Tar().file("f", new byte[] {1}).bytes();
        IOException e = assertThrows(IOException.class,
                () -> unpack(zstd(tar), MediaType.OCI_LAYER_GZIP, Digest.sha256(tar), Applier.Limits.DEFAULT));
        assertTrue(e.getMessage().contains("layer is zstd but its media type " + MediaType.OCI_LAYER_GZIP + " says gzip"), e.getMessage());
        assertNothingLeft();
        IOException plain = assertThrows(IOException.class,
                () -> unpack(gzip(tar), MediaType.OCI_LAYER, Digest.sha256(tar), Applier.Limits.DEFAULT));
        assertTrue(plain.getMessage().contains("is gzip but"), plain.getMessage());
        unpack(zstd(tar), MediaType.OCI_LAYER_ZSTD, Digest.sha256(tar), Applier.Limits.DEFAULT);
        assertEquals(1, snapshotter.list().size(), "the same bytes under their true media type unpack");
    }
}
