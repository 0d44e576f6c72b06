package io.strata.snapshots;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.oci.Digest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The reader and applier against archives GNU tar writes in each of its formats. */
class TarReaderTest {
    @TempDir
    Path tmp;

    private static void run(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), cmd + ": " + out);
    }

    /** A 3 MiB file with data in two places and holes elsewhere. */
    private Path sparseSource() throws IOException {
        Path src = Files.createDirectories(tmp.resolve("src"));
        try (RandomAccessFile f = new RandomAccessFile(src.resolve("sparse").toFile(), "rw")) {
            f.seek(512 * 1024);
            f.write("first region".getBytes(StandardCharsets.UTF_8));
            f.seek(2 * 1024 * 1024 + 17);
            f.write(new byte[5000]);
            f.write("second region".getBytes(StandardCharsets.UTF_8));
            f.setLength(3 * 1024 * 1024);
        }
        return src;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"gnu", "posix-0.0", "posix-0.1", "posix-1.0"})
    void sparseFilesInEveryGnuFormat(String format) throws Exception {
        Root.require();
        Path src = sparseSource();
        Path tar = tmp.resolve("layer.tar");
        List<String> cmd = new ArrayList<>(List.of("tar", "--sparse", "--numeric-owner", "-C", src.toString(), "-cf", tar.toString()));
        if (format.equals("gnu")) {
            cmd.add("--format=gnu");
        } else {
            cmd.add("--format=posix");
            cmd.add("--sparse-version=" + format.substring(6));
        }
        cmd.add("sparse");
        run(cmd);
        Path out = Files.createDirectories(tmp.resolve("out"));
        Applier.Result r;
        try (InputStream in = Files.newInputStream(tar)) {
            r = Applier.apply(in, out, Applier.Limits.DEFAULT);
        }
        assertEquals(Digest.sha256(Files.readAllBytes(tar)), r.diffId(), "the DiffID covers the whole archive");
        assertArrayEquals(Files.readAllBytes(src.resolve("sparse")), Files.readAllBytes(out.resolve("sparse")), format);
        long blocks = Long.parseLong(new String(new ProcessBuilder("stat", "-c", "%b", out.resolve("sparse").toString())
                .start().getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
        assertTrue(blocks * 512 < 512 * 1024, format + ": holes stay holes (" + blocks + " blocks)");
    }

    @Test
    void largeOwnersAndLongNamesInGnuFormat() throws Exception {
        Root.require();
        Path src = Files.createDirectories(tmp.resolve("src"));
        String longName = "n".repeat(200);
        Path f = Files.writeString(src.resolve(longName), "long");
        Native.lchown(f, 3_000_000, 4_000_000); // above octal's 2097151: GNU writes base-256
        Path tar = tmp.resolve("layer.tar");
        run(List.of("tar", "--format=gnu", "--numeric-owner", "-C", src.toString(), "-cf", tar.toString(), longName));
        Path out = Files.createDirectories(tmp.resolve("out"));
        try (InputStream in = Files.newInputStream(tar)) {
            Applier.apply(in, out, Applier.Limits.DEFAULT);
        }
        assertEquals(3_000_000, Files.getAttribute(out.resolve(longName), "unix:uid", LinkOption.NOFOLLOW_LINKS));
        assertEquals(4_000_000, Files.getAttribute(out.resolve(longName), "unix:gid", LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void paxTimesKeepNanoseconds() throws Exception {
        Root.require();
        Path src = Files.createDirectories(tmp.resolve("src"));
        Path f = Files.writeString(src.resolve("f"), "t");
        Native.lutimes(f, 1_700_000_000L, 123_456_789L, 1_700_000_000L, 123_456_789L);
        Path tar = tmp.resolve("layer.tar");
        run(List.of("tar", "--format=posix", "-C", src.toString(), "-cf", tar.toString(), "f"));
        Path out = Files.createDirectories(tmp.resolve("out"));
        try (InputStream in = Files.newInputStream(tar)) {
            Applier.apply(in, out, Applier.Limits.DEFAULT);
        }
        assertEquals(Files.getLastModifiedTime(f), Files.getLastModifiedTime(out.resolve("f")));
    }

    @Test
    void headersThatLieAreErrors() {
        byte[] block = new byte[1536];
        Arrays.fill(block, 0, 100, (byte) 'a');
        IOException e = assertThrows(IOException.class, () -> new TarReader(new ByteArrayInputStream(block)).next());
        assertTrue(e.getMessage().contains("checksum"), e.getMessage());
        byte[] noise = new byte[1536];
        new java.util.Random(7).nextBytes(noise);
        IOException random = assertThrows(IOException.class, () -> new TarReader(new ByteArrayInputStream(noise)).next());
        assertTrue(random.getMessage().contains("not a tar archive"), "bytes that are no tar say so: " + random.getMessage());
        IOException cut = assertThrows(IOException.class, () -> new TarReader(new ByteArrayInputStream(new byte[100])).next());
        assertTrue(cut.getMessage().contains("ends inside a header"), cut.getMessage());
    }
}
