package io.strata.snapshots;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes tar archives that {@link TarReader} (and GNU tar, Go's archive/tar, umoci) read: ustar
 * headers, with a PAX extended header for what ustar cannot hold (long or non-ASCII names and link
 * targets, large ids and sizes, sub-second times, xattrs with binary values).
 */
public final class TarWriter implements AutoCloseable {
    private static final int BLOCK = 512;

    private final OutputStream out;
    private long written;
    private Long clamp;

    public TarWriter(OutputStream out) {
        this.out = out;
    }

    /**
     * Entries' times later than {@code epochSeconds} are written as it (SOURCE_DATE_EPOCH, as
     * BuildKit and buildah clamp them), so layers built at different times are the same bytes.
     */
    public TarWriter clampTimes(Long epochSeconds) {
        this.clamp = epochSeconds;
        return this;
    }

    /** Writes an entry's header; a regular file's {@code size} bytes follow with {@link #data}. */
    public void header(TarEntry e) throws IOException {
        if (clamp != null && (e.mtimeSeconds() > clamp || e.mtimeSeconds() == clamp && e.mtimeNanos() > 0)) {
            e = new TarEntry(e.name(), e.type(), e.mode(), e.uid(), e.gid(), e.size(), e.realSize(), clamp, 0, e.linkName(), e.devMajor(),
                    e.devMinor(), e.xattrs(), e.sparse());
        }
        Map<String, byte[]> pax = new TreeMap<>();
        String name = e.type() == TarEntry.Type.DIRECTORY && !e.name().endsWith("/") ? e.name() + "/" : e.name();
        if (!fits(name, 100)) pax.put("path", utf8(name));
        if (!fits(e.linkName(), 100)) pax.put("linkpath", utf8(e.linkName()));
        if (e.uid() > 07777777) pax.put("uid", utf8(Long.toString(e.uid())));
        if (e.gid() > 07777777) pax.put("gid", utf8(Long.toString(e.gid())));
        if (e.size() > 077777777777L) pax.put("size", utf8(Long.toString(e.size())));
        if (e.mtimeNanos() != 0 || e.mtimeSeconds() < 0 || e.mtimeSeconds() > 077777777777L) {
            pax.put("mtime", utf8(e.mtimeSeconds() + "." + String.format("%09d", e.mtimeNanos())));
        }
        for (var x : new TreeMap<>(e.xattrs()).entrySet()) pax.put("SCHILY.xattr." + x.getKey(), x.getValue());
        if (!pax.isEmpty()) {
            byte[] records = paxRecords(pax);
            block(ustar("PaxHeaders/" + truncate(name), 'x', 0644, 0, 0, records.length, e.mtimeSeconds(), "", 0, 0));
            out.write(records);
            pad(records.length);
        }
        char type = switch (e.type()) {
            case FILE -> '0';
            case HARDLINK -> '1';
            case SYMLINK -> '2';
            case CHAR -> '3';
            case BLOCK -> '4';
            case DIRECTORY -> '5';
            case FIFO -> '6';
        };
        block(ustar(truncate(name), type, e.mode(), Math.min(e.uid(), 07777777), Math.min(e.gid(), 07777777),
                e.type() == TarEntry.Type.FILE ? Math.min(e.size(), 077777777777L) : 0,
                Math.max(0, Math.min(e.mtimeSeconds(), 077777777777L)), truncate(e.linkName()), e.devMajor(), e.devMinor()));
    }

    /** A regular file's data, exactly the size its header declared. */
    public void data(InputStream in, long size) throws IOException {
        byte[] buf = new byte[1 << 16];
        long left = size;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) throw new IOException("file shrank while it was archived");
            out.write(buf, 0, n);
            left -= n;
            written += n;
        }
        pad(size);
    }

    @Override
    public void close() throws IOException {
        out.write(new byte[BLOCK * 2]);
        out.flush();
    }

    private static boolean fits(String s, int max) {
        if (s.length() > max) return false;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) >= 0x80) return false;
        return true;
    }

    private static String truncate(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length() && out.length() < 100; i++) out.append(s.charAt(i) < 0x80 ? s.charAt(i) : '_');
        return out.toString();
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** "LEN KEY=VALUE\n", where LEN counts itself. */
    private static byte[] paxRecords(Map<String, byte[]> pax) throws IOException {
        java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (var kv : pax.entrySet()) {
            byte[] key = utf8(kv.getKey());
            int rest = 1 + key.length + 1 + kv.getValue().length + 1; // " " KEY "=" VALUE "\n"
            int len = rest + Integer.toString(rest).length();
            if (Integer.toString(len).length() != Integer.toString(rest).length()) len++;
            b.write(utf8(len + " "));
            b.write(key);
            b.write('=');
            b.write(kv.getValue());
            b.write('\n');
        }
        return b.toByteArray();
    }

    private static byte[] ustar(String name, char type, int mode, long uid, long gid, long size, long mtime, String link,
                                long major, long minor) {
        byte[] h = new byte[BLOCK];
        put(h, 0, 100, name);
        octal(h, 100, 8, mode & 07777);
        octal(h, 108, 8, uid);
        octal(h, 116, 8, gid);
        octal(h, 124, 12, size);
        octal(h, 136, 12, mtime);
        Arrays.fill(h, 148, 156, (byte) ' ');
        h[156] = (byte) type;
        put(h, 157, 100, link);
        put(h, 257, 6, "ustar");
        h[263] = '0';
        h[264] = '0';
        octal(h, 329, 8, major);
        octal(h, 337, 8, minor);
        long sum = 0;
        for (byte x : h) sum += x & 0xff;
        String s = String.format("%06o", sum);
        put(h, 148, 6, s);
        h[154] = 0;
        h[155] = ' ';
        return h;
    }

    private static void put(byte[] h, int at, int len, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, Math.min(len, b.length));
    }

    private static void octal(byte[] h, int at, int len, long v) {
        String s = Long.toOctalString(v);
        String padded = "0".repeat(Math.max(0, len - 1 - s.length())) + s;
        put(h, at, len - 1, padded);
    }

    private void block(byte[] h) throws IOException {
        out.write(h);
    }

    private void pad(long size) throws IOException {
        int p = (int) ((BLOCK - size % BLOCK) % BLOCK);
        if (p > 0) out.write(new byte[p]);
    }
}
