package io.strata.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** A tar built entry by entry, as a producer (hostile or not) may write it, in memory: test layers only. */
final class Tar {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final TarArchiveOutputStream out;

    Tar() {
        this("UTF-8");
    }

    /** Names written in {@code encoding}: ISO-8859-1 writes a char below 256 as that one byte, valid UTF-8 or not. */
    Tar(String encoding) {
        out = new TarArchiveOutputStream(bytes, encoding);
        out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    }

    Tar file(String name, byte[] content) throws IOException {
        return file(name, content, 0644, 0, 0);
    }

    Tar file(String name, byte[] content, int mode, int uid, int gid) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(content.length);
        e.setMode(mode);
        e.setUserId(uid);
        e.setGroupId(gid);
        out.putArchiveEntry(e);
        out.write(content);
        out.closeArchiveEntry();
        return this;
    }

    Tar zeros(String name, long size) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(size);
        out.putArchiveEntry(e);
        byte[] chunk = new byte[1 << 16];
        for (long left = size; left > 0; left -= chunk.length) out.write(chunk, 0, (int) Math.min(chunk.length, left));
        out.closeArchiveEntry();
        return this;
    }

    Tar link(String name, byte type, String target) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, type);
        e.setLinkName(target);
        out.putArchiveEntry(e);
        out.closeArchiveEntry();
        return this;
    }

    Tar dir(String name, String... pax) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name.endsWith("/") ? name : name + "/");
        for (int i = 0; i < pax.length; i += 2) e.addPaxHeader(pax[i], pax[i + 1]);
        out.putArchiveEntry(e);
        out.closeArchiveEntry();
        return this;
    }

    Tar device(String name, int major, int minor) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name, TarConstants.LF_CHR);
        e.setDevMajor(major);
        e.setDevMinor(minor);
        out.putArchiveEntry(e);
        out.closeArchiveEntry();
        return this;
    }

    /**
     * A ustar header and its data, padded, written by hand: for what commons-compress will not write
     * as a producer may (a PAX global header, type 'g').
     */
    static byte[] record(String name, char type, byte[] data) {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        System.arraycopy(n, 0, h, 0, n.length);
        octal(h, 100, 8, 0644);
        octal(h, 108, 8, 0);
        octal(h, 116, 8, 0);
        octal(h, 124, 12, data.length);
        octal(h, 136, 12, 0);
        h[156] = (byte) type;
        System.arraycopy(("ustar" + (char) 0 + "00").getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, h, 257, 8);
        java.util.Arrays.fill(h, 148, 156, (byte) ' ');
        int sum = 0;
        for (byte b : h) sum += b & 0xff;
        octal(h, 148, 7, sum);
        byte[] out = new byte[512 + (data.length + 511) / 512 * 512];
        System.arraycopy(h, 0, out, 0, 512);
        System.arraycopy(data, 0, out, 512, data.length);
        return out;
    }

    /** A PAX record, "LEN KEY=VALUE\n", LEN counting itself. */
    static String paxRecord(String key, String value) {
        String rest = " " + key + "=" + value + "\n";
        int len = rest.length() + 1;
        while (Integer.toString(len).length() + rest.length() != len) len++;
        return len + rest;
    }

    private static void octal(byte[] h, int at, int width, long value) {
        String s = String.format("%0" + (width - 1) + "o", value);
        System.arraycopy(s.getBytes(java.nio.charset.StandardCharsets.US_ASCII), 0, h, at, width - 1);
        h[at + width - 1] = 0;
    }

    byte[] bytes() throws IOException {
        out.close();
        return bytes.toByteArray();
    }
}
