package io.strata.runner;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A container's log as conmon writes it, kubernetes' k8s-file format: one record a line,
 * {@code TIMESTAMP STREAM TAG CONTENT}, the stream {@code stdout} or {@code stderr}, the tag {@code F}
 * for a record that ends a line and {@code P} for part of one (the line goes on in the next record).
 * Read a record at a time, never whole.
 */
public final class ContainerLog {
    private ContainerLog() {}

    /** Which lines {@code logs} prints: the last {@code tail}, those written from {@code since} and before {@code until}. */
    public record Query(long tail, Instant since, Instant until, boolean timestamps) {
        public static final Query ALL = new Query(Long.MAX_VALUE, null, null, false);

        boolean wants(Instant t) {
            return (since == null || !t.isBefore(since)) && (until == null || t.isBefore(until));
        }
    }

    /** One record: its time as written, its stream, whether it ends a line, its bytes. */
    record Record(String time, Instant instant, boolean stderr, boolean ends, byte[] content) {}

    /** Reads records from {@code in} until it ends; a line cut short at the end (still being written) is left for the next read. */
    static final class Reader {
        private final InputStream in;
        private long consumed;

        Reader(InputStream in) {
            this.in = new BufferedInputStream(in, 1 << 16);
        }

        /** The bytes of the whole records read so far. */
        long consumed() {
            return consumed;
        }

        /** The next record, or null at the end (or before a record not yet written whole). */
        Record next() throws IOException {
            while (true) {
                in.mark(1 << 20);
                ByteArrayOutputStream line = new ByteArrayOutputStream(256);
                int b;
                while ((b = in.read()) >= 0 && b != '\n') line.write(b);
                if (b < 0) {
                    in.reset();
                    return null;
                }
                consumed += line.size() + 1;
                Record r = parse(line.toByteArray());
                if (r != null) return r; // a line that is not a record (a torn write before a rotation) is skipped
            }
        }
    }

    /** conmon's timestamps: nanoseconds and the local offset. */
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.nnnnnnnnnXXX");

    /** A record of one whole line, as conmon writes it (for what Strata itself says in a container's log). */
    static String record(OffsetDateTime time, boolean stderr, String line) {
        return TIME.format(time) + (stderr ? " stderr F " : " stdout F ") + line + "\n";
    }

    static Record parse(byte[] line) {
        int a = indexOf(line, 0), b = a < 0 ? -1 : indexOf(line, a + 1), c = b < 0 ? -1 : indexOf(line, b + 1);
        if (c < 0) return null;
        String time = new String(line, 0, a, StandardCharsets.US_ASCII);
        String stream = new String(line, a + 1, b - a - 1, StandardCharsets.US_ASCII);
        String tag = new String(line, b + 1, c - b - 1, StandardCharsets.US_ASCII);
        Instant instant;
        try {
            instant = OffsetDateTime.parse(time, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
        } catch (DateTimeParseException e) {
            return null;
        }
        byte[] content = java.util.Arrays.copyOfRange(line, c + 1, line.length);
        return new Record(time, instant, stream.equals("stderr"), !tag.startsWith("P"), content);
    }

    private static int indexOf(byte[] line, int from) {
        for (int i = from; i < line.length; i++) if (line[i] == ' ') return i;
        return -1;
    }

    /**
     * Prints the log's lines that {@code q} wants, stdout's to {@code out} and stderr's to {@code err};
     * returns how far it read (the offset a follower goes on from).
     */
    static long print(Path log, Query q, PrintStream out, PrintStream err) throws IOException {
        if (!Files.exists(log)) return 0;
        long skip = 0;
        if (q.tail() != Long.MAX_VALUE) {
            long lines = 0;
            try (InputStream in = Files.newInputStream(log)) {
                Reader r = new Reader(in);
                // A line is counted where it starts (the last one may not have ended yet); each stream has its own lines.
                boolean[] start = {true, true};
                for (Record rec; (rec = r.next()) != null; start[rec.stderr() ? 1 : 0] = rec.ends()) {
                    if (start[rec.stderr() ? 1 : 0] && q.wants(rec.instant())) lines++;
                }
            }
            skip = Math.max(0, lines - q.tail());
        }
        try (FileChannel ch = FileChannel.open(log)) {
            return copy(ch, 0, q, skip, out, err);
        }
    }

    /** Prints what was added to the log from {@code offset} on; returns the new offset (from 0 again when conmon started the log afresh). */
    static long follow(Path log, long offset, Query q, PrintStream out, PrintStream err) throws IOException {
        if (!Files.exists(log)) return offset;
        try (FileChannel ch = FileChannel.open(log)) {
            long size = ch.size();
            if (size < offset) offset = 0; // started afresh past its size limit
            if (size == offset) return offset;
            return copy(ch, offset, q, 0, out, err);
        }
    }

    private static long copy(FileChannel ch, long offset, Query q, long skipLines, PrintStream out, PrintStream err) throws IOException {
        ch.position(offset);
        Reader r = new Reader(Channels.newInputStream(ch));
        // Per stream (stdout 0, stderr 1): whether the next record starts a line, and whether that line is skipped.
        boolean[] lineStart = {true, true}, skipping = {false, false};
        for (Record rec; (rec = r.next()) != null; ) {
            int stream = rec.stderr() ? 1 : 0;
            boolean wanted = q.wants(rec.instant());
            if (lineStart[stream]) skipping[stream] = wanted && skipLines-- > 0;
            boolean starts = lineStart[stream];
            lineStart[stream] = rec.ends();
            if (!wanted || skipping[stream]) continue;
            PrintStream to = rec.stderr() ? err : out;
            if (q.timestamps() && starts) to.print(rec.time() + " ");
            to.write(rec.content());
            if (rec.ends()) to.write('\n');
        }
        out.flush();
        err.flush();
        return offset + r.consumed();
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)");

    /**
     * A point in time as docker's {@code --since} and {@code --until} take it: an RFC 3339 timestamp
     * (a date, a local date-time, or one with its offset), seconds since the epoch, or a duration
     * before now (Go's form: {@code 10m}, {@code 1h30m}, {@code 42s}).
     */
    public static Instant time(String s, Instant now) {
        String t = s.strip();
        if (t.matches("(" + DURATION.pattern() + ")+")) {
            Matcher m = DURATION.matcher(t);
            Duration d = Duration.ZERO;
            while (m.find()) {
                double n = Double.parseDouble(m.group(1));
                long nanosPer = switch (m.group(2)) {
                    case "ns" -> 1L;
                    case "us", "µs" -> 1_000L;
                    case "ms" -> 1_000_000L;
                    case "s" -> 1_000_000_000L;
                    case "m" -> 60_000_000_000L;
                    default -> 3_600_000_000_000L;
                };
                d = d.plusNanos((long) (n * nanosPer));
            }
            return now.minus(d);
        }
        if (t.matches("\\d+(\\.\\d{1,9})?")) {
            String[] parts = t.split("\\.");
            long nanos = parts.length > 1 ? Long.parseLong((parts[1] + "000000000").substring(0, 9)) : 0;
            return Instant.ofEpochSecond(Long.parseLong(parts[0]), nanos);
        }
        try {
            return OffsetDateTime.parse(t).toInstant();
        } catch (DateTimeParseException notOffset) {
            try {
                return LocalDateTime.parse(t).atZone(ZoneId.systemDefault()).toInstant();
            } catch (DateTimeParseException notLocal) {
                try {
                    return LocalDate.parse(t).atStartOfDay(ZoneId.systemDefault()).toInstant();
                } catch (DateTimeParseException notDate) {
                    throw new IllegalArgumentException("cannot read '" + s + "' as a time: give an RFC 3339 timestamp (2026-12-07T10:00:00Z), "
                            + "seconds since the epoch, or a duration before now (10m, 1h30m)");
                }
            }
        }
    }
}
