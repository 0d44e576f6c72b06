package io.strata.registry;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An inclusive byte range {@code first-last}, as in HTTP's Range and Content-Range headers. */
record ByteRange(long first, long last) {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d{0,19})-(\\d{0,19})");
    private static final Pattern CONTENT_RANGE = Pattern.compile("(?:bytes )?(\\d{1,19})-(\\d{1,19})(?:/(?:\\d{1,19}|\\*))?");

    long length() {
        return last - first + 1;
    }

    /**
     * The part of a blob of {@code size} bytes a Range header asks for; empty means the whole blob
     * (no header, or a form we do not serve, such as several ranges). An unsatisfiable range throws
     * 416 with the blob's size, as RFC 9110 asks.
     */
    static Optional<ByteRange> forBlob(String header, long size) {
        if (header == null) return Optional.empty();
        Matcher m = RANGE.matcher(header.trim());
        if (!m.matches()) return Optional.empty(); // multi-range or other units: serve the whole blob
        String a = m.group(1);
        String b = m.group(2);
        long first;
        long last;
        try {
            if (a.isEmpty() && b.isEmpty()) return Optional.empty();
            if (a.isEmpty()) { // suffix: the last b bytes
                long n = Long.parseLong(b);
                if (n == 0) throw unsatisfiable(size);
                first = Math.max(0, size - n);
                last = size - 1;
            } else {
                first = Long.parseLong(a);
                last = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
                if (!b.isEmpty() && Long.parseLong(b) < first) return Optional.empty(); // invalid: ignore the header
            }
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        if (first >= size || last < first) throw unsatisfiable(size);
        return Optional.of(new ByteRange(first, last));
    }

    private static RegistryException unsatisfiable(long size) {
        return new RegistryException(ErrorCode.RANGE_INVALID, 416, "requested range not satisfiable", null,
                java.util.Map.of("Content-Range", "bytes */" + size));
    }

    /** A chunk's Content-Range ({@code first-last}, inclusive); null when absent. */
    static ByteRange forChunk(String header) {
        if (header == null) return null;
        Matcher m = CONTENT_RANGE.matcher(header.trim());
        if (!m.matches()) {
            throw new RegistryException(ErrorCode.RANGE_INVALID, 416, "invalid Content-Range " + header, null, java.util.Map.of());
        }
        try {
            long first = Long.parseLong(m.group(1));
            long last = Long.parseLong(m.group(2));
            if (last < first) throw new NumberFormatException();
            return new ByteRange(first, last);
        } catch (NumberFormatException e) {
            throw new RegistryException(ErrorCode.RANGE_INVALID, 416, "invalid Content-Range " + header, null, java.util.Map.of());
        }
    }
}
