package io.strata.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** A tar built entry by entry, as a producer (hostile or not) may write it, in memory: test layers only. */
final class Tar {
    final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    final TarArchiveOutputStream out = new TarArchiveOutputStream(bytes);

    Tar() {
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

    byte[] bytes() throws IOException {
        out.close();
        return bytes.toByteArray();
    }
}
