package io.strata.snapshots;

import com.github.luben.zstd.ZstdInputStream;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;

/**
 * A layer's compression, from its media type and from its first bytes; the two must agree, so a
 * layer that lies about what it is fails before anything is written.
 */
public enum Compression {
    NONE, GZIP, ZSTD;

    private static final byte[] GZIP_MAGIC = {0x1f, (byte) 0x8b};
    private static final byte[] ZSTD_MAGIC = {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd};

    /** The compression a layer media type declares (OCI, nondistributable and Docker types). */
    public static Compression ofMediaType(String mediaType) throws IOException {
        return switch (mediaType) {
            case "application/vnd.oci.image.layer.v1.tar",
                 "application/vnd.oci.image.layer.nondistributable.v1.tar",
                 "application/vnd.docker.image.rootfs.diff.tar" -> NONE;
            case "application/vnd.oci.image.layer.v1.tar+gzip",
                 "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                 "application/vnd.docker.image.rootfs.diff.tar.gzip",
                 "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" -> GZIP;
            case "application/vnd.oci.image.layer.v1.tar+zstd",
                 "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd" -> ZSTD;
            default -> throw new IOException("unsupported layer media type " + mediaType);
        };
    }

    /** What the first bytes say. */
    static Compression ofMagic(byte[] head, int n) {
        if (n >= 2 && Arrays.equals(head, 0, 2, GZIP_MAGIC, 0, 2)) return GZIP;
        if (n >= 4 && Arrays.equals(head, 0, 4, ZSTD_MAGIC, 0, 4)) return ZSTD;
        return NONE;
    }

    /** The bytes within {@code in}: gzip and zstd known by their magic bytes (as docker's import and ADD know them), anything else as it is. */
    public static InputStream decompressAny(InputStream in) throws IOException {
        BufferedInputStream b = new BufferedInputStream(in, 1 << 16);
        b.mark(4);
        byte[] head = new byte[4];
        int n = b.readNBytes(head, 0, 4);
        b.reset();
        return switch (ofMagic(head, n)) {
            case NONE -> b;
            case GZIP -> new GZIPInputStream(b, 1 << 16);
            case ZSTD -> new ZstdInputStream(b);
        };
    }

    /**
     * The uncompressed tar of a layer blob, after checking that its magic bytes match the media
     * type's compression.
     */
    public static InputStream decompress(InputStream blob, String mediaType) throws IOException {
        Compression declared = ofMediaType(mediaType);
        BufferedInputStream in = new BufferedInputStream(blob, 1 << 16);
        in.mark(4);
        byte[] head = new byte[4];
        int n = in.readNBytes(head, 0, 4);
        in.reset();
        Compression actual = ofMagic(head, n);
        if (actual != declared) {
            throw new IOException("layer is " + describe(actual) + " but its media type " + mediaType + " says " + describe(declared));
        }
        return switch (actual) {
            case NONE -> in;
            case GZIP -> new GZIPInputStream(in, 1 << 16);
            case ZSTD -> new ZstdInputStream(in);
        };
    }

    private static String describe(Compression c) {
        return switch (c) {
            case NONE -> "uncompressed";
            case GZIP -> "gzip";
            case ZSTD -> "zstd";
        };
    }
}
