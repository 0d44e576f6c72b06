package io.strata.snapshots;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The parallel gzip writer: what any gzip reader reads back, the same bytes however writes are cut, and its sizes. */
class ParallelGzipOutputStreamTest {
    private static final int CHUNK = ParallelGzipOutputStream.CHUNK;

    @TempDir
    Path tmp;

    private static byte[] text(int n) {
        StringBuilder b = new StringBuilder();
        Random r = new Random(7);
        String[] words = {"layer", "snapshot", "manifest", "digest", "blob", "tar", "whiteout", "overlay", "index", "config"};
        while (b.length() < n) b.append(words[r.nextInt(words.length)]).append(r.nextInt(100) == 0 ? '\n' : ' ');
        return b.substring(0, n).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] gzip(byte[] in, int cut) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ParallelGzipOutputStream gz = new ParallelGzipOutputStream(out)) {
            for (int at = 0; at < in.length; at += cut) gz.write(in, at, Math.min(cut, in.length - at));
        }
        return out.toByteArray();
    }

    private static byte[] gunzip(byte[] in) throws IOException {
        try (GZIPInputStream gz = new GZIPInputStream(new ByteArrayInputStream(in))) {
            return gz.readAllBytes();
        }
    }

    @Test
    void readsBackWhateverTheSizeAndContent() throws IOException {
        byte[] mixed = new byte[5 * CHUNK + CHUNK / 2];
        System.arraycopy(text(2 * CHUNK), 0, mixed, 0, 2 * CHUNK);
        System.arraycopy(random(2 * CHUNK, 1), 0, mixed, 2 * CHUNK, 2 * CHUNK);
        System.arraycopy(text(mixed.length - 4 * CHUNK), 0, mixed, 4 * CHUNK, mixed.length - 4 * CHUNK);
        for (byte[] in : new byte[][] {new byte[0], {42}, text(CHUNK - 1), text(CHUNK), text(CHUNK + 1), random(3 * CHUNK, 2), mixed}) {
            byte[] whole = gzip(in, Integer.MAX_VALUE);
            assertArrayEquals(in, gunzip(whole), "read back, " + in.length + " bytes");
            assertArrayEquals(whole, gzip(in, 4093), "the same bytes however the writes are cut (" + in.length + ")");
            assertArrayEquals(whole, gzip(in, 1 << 16), "the same bytes however the writes are cut (" + in.length + ")");
        }
    }

    @Test
    void gzipReadsItAndTheRatioIsDeflates() throws Exception {
        byte[] in = text(4 * CHUNK + 12345);
        byte[] ours = gzip(in, 1 << 16);
        ByteArrayOutputStream one = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(one)) {
            gz.write(in);
        }
        assertTrue(ours.length < one.size() * 1.01, "within 1% of one deflate stream: " + ours.length + " against " + one.size());
        // Debian's gzip, a reader other than the JDK's, checks the CRC and length and reads the same bytes.
        Path file = Files.write(tmp.resolve("layer.gz"), ours);
        Process p = new ProcessBuilder("gzip", "-dc", file.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] read = p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
        assertArrayEquals(in, read);
    }

    @Test
    void whatDoesNotCompressIsStored() throws IOException {
        byte[] in = random(4 * CHUNK, 3);
        byte[] ours = gzip(in, 1 << 16);
        // Stored blocks: five bytes of header per 64 KiB, the header and trailer, and a sync flush a chunk.
        assertTrue(ours.length <= in.length + in.length / 65535 * 5 + 64 + 4 * 16, "stored, not grown: " + ours.length);
        assertArrayEquals(in, gunzip(ours));
    }
}
