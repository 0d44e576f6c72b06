package io.strata.snapshots;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A streaming reader of tar archives as image layers use them: ustar, GNU (long names and links,
 * old sparse files) and PAX (long names, large numbers, sub-second times, {@code SCHILY.xattr.*}
 * with binary values, GNU sparse formats 0.0, 0.1 and 1.0). It never seeks and holds one header in
 * memory; every malformed header is an error, never a guess.
 */
public final class TarReader {
    private static final int BLOCK = 512;
    /** Extension headers (PAX, GNU long names) are held in memory: bound them. */
    private static final int MAX_EXTENSION = 1 << 20;
    private static final int MAX_SPARSE_REGIONS = 1 << 20;

    private final InputStream in;
    private final byte[] header = new byte[BLOCK];
    private long remaining;   // data bytes of the current entry not yet read
    private long padding;     // padding after the current entry's data
    private boolean done;

    public TarReader(InputStream in) {
        this.in = in;
    }

    /** The next entry, or null at the end of the archive; the previous entry's unread data is skipped. */
    public TarEntry next() throws IOException {
        if (done) return null;
        skipRest();
        Map<String, byte[]> pax = new LinkedHashMap<>();
        List<String[]> paxSparse = new ArrayList<>();
        String longName = null;
        String longLink = null;
        while (true) {
            if (!readBlock(header, true)) {
                done = true;
                return null;
            }
            if (isZero(header)) {
                // End of archive: two zero blocks (tolerate one, as GNU tar does).
                readBlock(new byte[BLOCK], true);
                done = true;
                return null;
            }
            verifyChecksum();
            char type = (char) (header[156] & 0xff);
            long size = number(124, 12, "size");
            if (size < 0) throw new IOException("tar header has a negative size");
            switch (type) {
                case 'x' -> {
                    parsePax(readExtension(size, "PAX header"), pax, paxSparse);
                    continue;
                }
                case 'g' -> {
                    // A global header is read (and must be well formed) but changes no entry, as Go's
                    // archive/tar and containerd read it: a path in it would give every later entry one name.
                    parsePax(readExtension(size, "PAX global header"), new LinkedHashMap<>(), new ArrayList<>());
                    continue;
                }
                case 'L' -> {
                    longName = name(readExtension(size, "GNU long name"));
                    continue;
                }
                case 'K' -> {
                    longLink = name(readExtension(size, "GNU long link name"));
                    continue;
                }
                case 'V' -> {
                    skipData(size);
                    continue;
                }
                default -> {
                    return entry(type, size, pax, paxSparse, longName, longLink);
                }
            }
        }
    }

    /** The current entry's stored data; read it before the next call to {@link #next}. */
    public InputStream data() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (remaining == 0) return -1;
                int n = in.read(b, off, (int) Math.min(len, remaining));
                if (n < 0) throw new EOFException("tar archive ends inside an entry's data");
                remaining -= n;
                return n;
            }
        };
    }

    private TarEntry entry(char type, long size, Map<String, byte[]> pax, List<String[]> paxSparse,
                           String longName, String longLink) throws IOException {
        TarEntry.Type kind = switch (type) {
            case '0', '\0', '7' -> TarEntry.Type.FILE;
            case '1' -> TarEntry.Type.HARDLINK;
            case '2' -> TarEntry.Type.SYMLINK;
            case '3' -> TarEntry.Type.CHAR;
            case '4' -> TarEntry.Type.BLOCK;
            case '5', 'D' -> TarEntry.Type.DIRECTORY;
            case '6' -> TarEntry.Type.FIFO;
            case 'S' -> TarEntry.Type.FILE;
            default -> throw new IOException("tar entry " + headerName() + " has unsupported type '" + printable(type) + "'");
        };
        String name = longName != null ? longName : headerName();
        if (pax.containsKey("path")) name = name(pax.get("path"));
        String link = longLink != null ? longLink : name(Arrays.copyOfRange(header, 157, 257));
        if (pax.containsKey("linkpath")) link = name(pax.get("linkpath"));
        if (name.isEmpty()) throw new IOException("tar entry has an empty name");
        if (name.indexOf('\0') >= 0 || link.indexOf('\0') >= 0) throw new IOException("tar entry " + name + " has a NUL in its name");

        int mode = (int) (number(100, 8, "mode") & 07777);
        long uid = pax.containsKey("uid") ? paxLong(pax, "uid") : number(108, 8, "uid");
        long gid = pax.containsKey("gid") ? paxLong(pax, "gid") : number(116, 8, "gid");
        if (pax.containsKey("size")) size = paxLong(pax, "size");
        long mtime = number(136, 12, "mtime");
        long mtimeNanos = 0;
        if (pax.containsKey("mtime")) {
            long[] t = paxTime(utf8(pax.get("mtime")));
            mtime = t[0];
            mtimeNanos = t[1];
        }
        long major = 0, minor = 0;
        if (kind == TarEntry.Type.CHAR || kind == TarEntry.Type.BLOCK) {
            major = number(329, 8, "devmajor");
            minor = number(337, 8, "devminor");
        }
        Map<String, byte[]> xattrs = new LinkedHashMap<>();
        for (var e : pax.entrySet()) {
            if (e.getKey().startsWith("SCHILY.xattr.")) {
                xattrs.put(e.getKey().substring("SCHILY.xattr.".length()), e.getValue());
            } else if (e.getKey().startsWith("LIBARCHIVE.xattr.")) {
                String attr = java.net.URLDecoder.decode(e.getKey().substring("LIBARCHIVE.xattr.".length()), StandardCharsets.UTF_8);
                xattrs.putIfAbsent(attr, Base64.getDecoder().decode(utf8(e.getValue()).strip()));
            }
        }
        if (uid < 0 || gid < 0 || uid > 0xffffffffL || gid > 0xffffffffL) throw new IOException("tar entry " + name + " has an invalid owner");

        remaining = kind == TarEntry.Type.FILE || type == 'S' ? size : sizeOfOthers(size);
        padding = (BLOCK - (remaining % BLOCK)) % BLOCK;

        long realSize = size;
        List<TarEntry.Region> sparse = null;
        if (type == 'S') {
            sparse = gnuOldSparse();
            realSize = number(483, 12, "sparse real size");
        } else if (pax.containsKey("GNU.sparse.major") || pax.containsKey("GNU.sparse.map") || !paxSparse.isEmpty()
                || pax.containsKey("GNU.sparse.size") || pax.containsKey("GNU.sparse.realsize")) {
            if (pax.containsKey("GNU.sparse.name")) name = name(pax.get("GNU.sparse.name"));
            realSize = pax.containsKey("GNU.sparse.realsize") ? paxLong(pax, "GNU.sparse.realsize") : paxLong(pax, "GNU.sparse.size");
            String major1 = pax.containsKey("GNU.sparse.major") ? utf8(pax.get("GNU.sparse.major")) : null;
            if ("1".equals(major1)) sparse = sparseMapInData();
            else if (pax.containsKey("GNU.sparse.map")) sparse = sparseMap(utf8(pax.get("GNU.sparse.map")));
            else sparse = sparse00(paxSparse);
        }
        if (sparse != null) checkRegions(name, sparse, realSize);
        return new TarEntry(name, kind, mode, uid, gid, remaining, sparse == null ? remaining : realSize, mtime, mtimeNanos,
                link, major, minor, Map.copyOf(xattrs), sparse == null ? null : List.copyOf(sparse));
    }

    /** Links, devices, directories and fifos carry no data, but a header may still declare some: skip it. */
    private long sizeOfOthers(long size) throws IOException {
        skipData(size);
        return 0;
    }

    private void checkRegions(String name, List<TarEntry.Region> regions, long realSize) throws IOException {
        long stored = 0, end = 0;
        for (TarEntry.Region r : regions) {
            if (r.offset() < end || r.length() < 0 || r.offset() + r.length() > realSize) {
                throw new IOException("tar entry " + name + " has an invalid sparse map");
            }
            end = r.offset() + r.length();
            stored += r.length();
        }
        if (stored != remaining) throw new IOException("tar entry " + name + " stores " + remaining + " bytes, its sparse map " + stored);
    }

    private List<TarEntry.Region> gnuOldSparse() throws IOException {
        List<TarEntry.Region> out = new ArrayList<>();
        readSparseEntries(header, 386, 4, out);
        boolean extended = header[482] != 0;
        byte[] ext = new byte[BLOCK];
        while (extended) {
            if (!readBlock(ext, false)) throw new EOFException("tar archive ends inside a sparse header");
            readSparseEntries(ext, 0, 21, out);
            extended = ext[504] != 0;
            if (out.size() > MAX_SPARSE_REGIONS) throw new IOException("sparse map too large");
        }
        return out;
    }

    private static void readSparseEntries(byte[] block, int at, int count, List<TarEntry.Region> out) throws IOException {
        for (int i = 0; i < count; i++) {
            int p = at + i * 24;
            if (block[p] == 0) return;
            out.add(new TarEntry.Region(parseNumber(block, p, 12, "sparse offset"), parseNumber(block, p + 12, 12, "sparse length")));
        }
    }

    /** GNU sparse 1.0: the map is a block-padded list of decimal numbers at the start of the data. */
    private List<TarEntry.Region> sparseMapInData() throws IOException {
        InputStream data = data();
        long count = decimalLine(data);
        if (count < 0 || count > MAX_SPARSE_REGIONS) throw new IOException("sparse map too large");
        List<TarEntry.Region> out = new ArrayList<>();
        for (long i = 0; i < count; i++) out.add(new TarEntry.Region(decimalLine(data), decimalLine(data)));
        long consumed = mapConsumed;
        long pad = (BLOCK - consumed % BLOCK) % BLOCK;
        data.skipNBytes(pad);
        mapConsumed = 0;
        return out;
    }

    private long mapConsumed;

    private long decimalLine(InputStream data) throws IOException {
        long v = 0;
        int digits = 0;
        while (true) {
            int c = data.read();
            if (c < 0) throw new EOFException("tar archive ends inside a sparse map");
            mapConsumed++;
            if (c == '\n') break;
            if (c < '0' || c > '9' || ++digits > 18) throw new IOException("invalid number in a sparse map");
            v = v * 10 + (c - '0');
        }
        if (digits == 0) throw new IOException("invalid number in a sparse map");
        return v;
    }

    private static List<TarEntry.Region> sparseMap(String map) throws IOException {
        List<TarEntry.Region> out = new ArrayList<>();
        if (map.isEmpty()) return out;
        String[] parts = map.split(",", -1);
        if (parts.length % 2 != 0 || parts.length / 2 > MAX_SPARSE_REGIONS) throw new IOException("invalid GNU.sparse.map");
        for (int i = 0; i < parts.length; i += 2) out.add(new TarEntry.Region(decimal(parts[i]), decimal(parts[i + 1])));
        return out;
    }

    private static List<TarEntry.Region> sparse00(List<String[]> records) throws IOException {
        List<TarEntry.Region> out = new ArrayList<>();
        Long offset = null;
        for (String[] kv : records) {
            if (kv[0].equals("GNU.sparse.offset")) offset = decimal(kv[1]);
            else if (kv[0].equals("GNU.sparse.numbytes")) {
                if (offset == null) throw new IOException("GNU.sparse.numbytes without an offset");
                out.add(new TarEntry.Region(offset, decimal(kv[1])));
                offset = null;
            }
        }
        return out;
    }

    private static long decimal(String s) throws IOException {
        if (s.isEmpty() || s.length() > 18 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) throw new IOException("invalid number " + s);
        return Long.parseLong(s);
    }

    private static long paxLong(Map<String, byte[]> pax, String key) throws IOException {
        try {
            return decimal(utf8(pax.get(key)));
        } catch (IOException e) {
            throw new IOException("invalid PAX " + key + ": " + e.getMessage());
        }
    }

    /** PAX times: seconds, optionally negative, optionally with a fraction of up to nanoseconds. */
    private static long[] paxTime(String s) throws IOException {
        if (!s.matches("-?[0-9]{1,18}(\\.[0-9]*)?")) throw new IOException("invalid PAX time " + s);
        int dot = s.indexOf('.');
        long seconds = Long.parseLong(dot < 0 ? s : s.substring(0, dot));
        long nanos = 0;
        if (dot >= 0) {
            String frac = (s.substring(dot + 1) + "000000000").substring(0, 9);
            nanos = Long.parseLong(frac);
            if (s.startsWith("-") && nanos > 0) {
                seconds -= 1;
                nanos = 1_000_000_000 - nanos;
            }
        }
        return new long[] {seconds, nanos};
    }

    /** PAX records: "LEN KEY=VALUE\n", values raw bytes (xattr values are binary). */
    private static void parsePax(byte[] data, Map<String, byte[]> into, List<String[]> sparse00) throws IOException {
        int p = 0;
        while (p < data.length) {
            if (data[p] == 0) break; // some writers pad with NULs
            int space = p;
            long len = 0;
            while (space < data.length && data[space] != ' ') {
                int c = data[space];
                if (c < '0' || c > '9' || space - p > 9) throw new IOException("invalid PAX record length");
                len = len * 10 + (c - '0');
                space++;
            }
            if (space >= data.length || len <= space - p + 1 || p + len > data.length || data[(int) (p + len - 1)] != '\n') {
                throw new IOException("invalid PAX record");
            }
            int end = (int) (p + len - 1);
            int eq = space + 1;
            while (eq < end && data[eq] != '=') eq++;
            if (eq >= end) throw new IOException("invalid PAX record: no '='");
            String key = new String(data, space + 1, eq - space - 1, StandardCharsets.UTF_8);
            byte[] value = Arrays.copyOfRange(data, eq + 1, end);
            if (key.equals("GNU.sparse.offset") || key.equals("GNU.sparse.numbytes")) {
                sparse00.add(new String[] {key, utf8(value)});
            } else if (value.length == 0) {
                into.remove(key); // an empty value deletes the keyword (POSIX pax)
            } else {
                into.put(key, value);
            }
            p = (int) (p + len);
        }
    }

    private byte[] readExtension(long size, String what) throws IOException {
        if (size > MAX_EXTENSION) throw new IOException(what + " of " + size + " bytes is too large");
        byte[] data = new byte[(int) size];
        readFully(data);
        long pad = (BLOCK - size % BLOCK) % BLOCK;
        in.skipNBytes(pad);
        return data;
    }

    private void skipData(long size) throws IOException {
        long total = size + (BLOCK - size % BLOCK) % BLOCK;
        skipExactly(total);
    }

    private void skipRest() throws IOException {
        skipExactly(remaining + padding);
        remaining = 0;
        padding = 0;
    }

    private void skipExactly(long n) throws IOException {
        byte[] buf = new byte[8192];
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) throw new EOFException("tar archive ends inside an entry's data");
            n -= r;
        }
    }

    private void readFully(byte[] b) throws IOException {
        int off = 0;
        while (off < b.length) {
            int n = in.read(b, off, b.length - off);
            if (n < 0) throw new EOFException("tar archive ends inside a header");
            off += n;
        }
    }

    /** Reads one block; false at a clean end of stream when {@code eofOk}. */
    private boolean readBlock(byte[] b, boolean eofOk) throws IOException {
        int off = 0;
        while (off < BLOCK) {
            int n = in.read(b, off, BLOCK - off);
            if (n < 0) {
                if (off == 0 && eofOk) return false;
                throw new EOFException("tar archive ends inside a header");
            }
            off += n;
        }
        return true;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }

    private void verifyChecksum() throws IOException {
        long stored;
        try {
            stored = parseNumber(header, 148, 8, "checksum");
        } catch (IOException notANumber) {
            // The first thing a file that is no tar fails on: say that, not which field it was.
            throw new IOException("tar header checksum is not a number (not a tar archive, or corrupt)", notANumber);
        }
        long unsigned = 0, signed = 0;
        for (int i = 0; i < BLOCK; i++) {
            int b = (i >= 148 && i < 156) ? ' ' : header[i];
            unsigned += b & 0xff;
            signed += (i >= 148 && i < 156) ? ' ' : header[i];
        }
        if (stored != unsigned && stored != signed) throw new IOException("tar header checksum mismatch (not a tar archive, or corrupt)");
    }

    private String headerName() throws IOException {
        String name = name(Arrays.copyOfRange(header, 0, 100));
        boolean ustar = header[257] == 'u' && header[258] == 's' && header[259] == 't' && header[260] == 'a' && header[261] == 'r';
        boolean gnu = ustar && header[262] == ' ';
        if (ustar && !gnu && header[345] != 0) {
            name = name(Arrays.copyOfRange(header, 345, 500)) + "/" + name;
        }
        return name;
    }

    private long number(int at, int len, String field) throws IOException {
        return parseNumber(header, at, len, field);
    }

    /** Octal (NUL or space terminated), or GNU base-256 when the high bit of the first byte is set. */
    static long parseNumber(byte[] b, int at, int len, String field) throws IOException {
        if ((b[at] & 0x80) != 0) {
            boolean negative = (b[at] & 0x40) != 0;
            long v = b[at] & 0x3f;
            if (negative) throw new IOException("tar header " + field + " is negative");
            for (int i = 1; i < len; i++) {
                if (v > (Long.MAX_VALUE >>> 8)) throw new IOException("tar header " + field + " is too large");
                v = (v << 8) | (b[at + i] & 0xff);
            }
            return v;
        }
        long v = 0;
        int i = at, end = at + len;
        while (i < end && (b[i] == ' ' || b[i] == 0)) i++;
        boolean any = false;
        for (; i < end; i++) {
            int c = b[i];
            if (c == 0 || c == ' ') break;
            if (c < '0' || c > '7') throw new IOException("tar header " + field + " is not an octal number");
            if (v > (Long.MAX_VALUE >>> 3)) throw new IOException("tar header " + field + " is too large");
            v = (v << 3) | (c - '0');
            any = true;
        }
        return any ? v : 0;
    }

    /**
     * A name or link name up to its first NUL, which must be UTF-8: decoding other bytes would map
     * different names (a\xff, a\xfe) to one, and two entries would become one file while the
     * DiffID still matched. Refused, naming the entry with its bytes escaped.
     */
    private static String name(byte[] b) throws IOException {
        int n = 0;
        while (n < b.length && b[n] != 0) n++;
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b, 0, n)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            StringBuilder shown = new StringBuilder();
            for (int i = 0; i < Math.min(n, 200); i++) {
                int c = b[i] & 0xff;
                shown.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02x", c));
            }
            throw new IOException("tar entry " + shown + (n > 200 ? "…" : "") + ": its name is not valid UTF-8");
        }
    }

    private static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    private static String printable(char c) {
        return c >= 0x20 && c < 0x7f ? String.valueOf(c) : String.format("\\x%02x", (int) c);
    }
}
