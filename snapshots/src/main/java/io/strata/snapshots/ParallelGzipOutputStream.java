package io.strata.snapshots;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * gzip as pigz writes it: one gzip member whose deflate stream is made of 1 MiB chunks compressed
 * at once on several threads, each primed with the 32 KiB before it (so the ratio stays within a
 * fraction of a percent of one deflate) and ended with a sync flush (so the pieces join into one
 * valid stream). A chunk that does not compress (a sample of it shrinks by less than 2%: already
 * compressed data, random bytes) is written as stored blocks, which costs a copy where deflate
 * would spend 60 ms a MiB finding nothing. Any gzip reader reads the result; the same bytes in give
 * the same bytes out, however the writes were cut. Memory: at most two chunks a thread in flight.
 */
public final class ParallelGzipOutputStream extends OutputStream {
    static final int CHUNK = 1 << 20;
    private static final int DICTIONARY = 32 << 10;
    private static final int SAMPLE = 16 << 10;

    private final OutputStream out;
    private final ExecutorService threads;
    private final int inFlight;
    private final ArrayDeque<Future<byte[]>> pending = new ArrayDeque<>();
    private final CRC32 crc = new CRC32();
    private byte[] chunk = new byte[CHUNK];
    private int filled;
    private byte[] dictionary;
    private long size;
    private boolean closed;

    public ParallelGzipOutputStream(OutputStream out) throws IOException {
        this.out = out;
        int n = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        this.threads = Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, "gzip");
            t.setDaemon(true);
            return t;
        });
        this.inFlight = 2 * n;
        // RFC 1952's header: deflate, no name, no time (so the bytes depend on the content alone), Unix.
        out.write(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, 3});
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (closed) throw new IOException("closed");
        crc.update(b, off, len);
        size += len;
        while (len > 0) {
            int n = Math.min(len, CHUNK - filled);
            System.arraycopy(b, off, chunk, filled, n);
            filled += n;
            off += n;
            len -= n;
            if (filled == CHUNK) submit(false);
        }
    }

    /** Hands the chunk to a thread; writes out finished chunks, in order, while too many are in flight. */
    private void submit(boolean last) throws IOException {
        byte[] input = chunk;
        int length = filled;
        byte[] primer = dictionary;
        pending.add(threads.submit(() -> deflate(input, length, primer, last)));
        dictionary = Arrays.copyOfRange(input, Math.max(0, length - DICTIONARY), length);
        chunk = new byte[CHUNK];
        filled = 0;
        while (pending.size() >= inFlight) writeNext();
    }

    private void writeNext() throws IOException {
        try {
            out.write(pending.removeFirst().get());
        } catch (ExecutionException e) {
            throw new IOException("compressing a layer: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("compressing a layer");
        }
    }

    static byte[] deflate(byte[] input, int length, byte[] primer, boolean last) {
        Deflater d = new Deflater(compresses(input, length) ? Deflater.DEFAULT_COMPRESSION : Deflater.NO_COMPRESSION, true);
        try {
            if (primer != null && primer.length > 0) d.setDictionary(primer);
            d.setInput(input, 0, length);
            ByteArrayOutputStream result = new ByteArrayOutputStream(length / 2 + 64);
            byte[] buf = new byte[64 << 10];
            if (last) {
                d.finish();
                while (!d.finished()) result.write(buf, 0, d.deflate(buf));
            } else {
                // A sync flush ends the chunk on a byte boundary with the stream still open: the next chunk's blocks follow.
                int n;
                do {
                    n = d.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
                    result.write(buf, 0, n);
                } while (n == buf.length);
            }
            return result.toByteArray();
        } finally {
            d.end();
        }
    }

    /** Whether a sample of the chunk (three pieces: its start, middle and end) shrinks by 2% or more at the fastest level. */
    private static boolean compresses(byte[] input, int length) {
        if (length <= 3 * SAMPLE) return true;
        Deflater probe = new Deflater(Deflater.BEST_SPEED, true);
        try {
            byte[] buf = new byte[SAMPLE + 1024];
            long in = 0, compressed = 0;
            for (int at : new int[] {0, length / 2 - SAMPLE / 2, length - SAMPLE}) {
                probe.reset();
                probe.setInput(input, at, SAMPLE);
                probe.finish();
                while (!probe.finished()) compressed += probe.deflate(buf);
                in += SAMPLE;
            }
            return compressed < in * 0.98;
        } finally {
            probe.end();
        }
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        if (closed) return;
        closed = true;
        try {
            submitLast();
            while (!pending.isEmpty()) writeNext();
            byte[] trailer = new byte[8];
            int c = (int) crc.getValue();
            int s = (int) size; // ISIZE: the length modulo 2^32
            for (int i = 0; i < 4; i++) {
                trailer[i] = (byte) (c >>> (8 * i));
                trailer[4 + i] = (byte) (s >>> (8 * i));
            }
            out.write(trailer);
            out.flush();
        } finally {
            threads.shutdownNow();
            out.close();
        }
    }

    private void submitLast() throws IOException {
        byte[] input = chunk;
        int length = filled;
        byte[] primer = dictionary;
        pending.add(threads.submit(() -> deflate(input, length, primer, true)));
        chunk = null;
    }
}
