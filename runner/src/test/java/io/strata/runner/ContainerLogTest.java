package io.strata.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** conmon's k8s-file log read back: partial records, the streams, tail, since and until, and docker's ways of saying a time. */
class ContainerLogTest {
    @TempDir
    Path tmp;

    private static final String LOG = """
            2026-12-07T10:00:00.000000001+00:00 stdout F one
            2026-12-07T10:00:01.000000000+00:00 stdout P tw
            2026-12-07T10:00:01.500000000+00:00 stdout F o
            2026-12-07T10:00:02.000000000+00:00 stderr F oops
            not a record
            2026-12-07T11:00:03.000000000+01:00 stdout F three
            2026-12-07T10:00:04.000000000+00:00 stdout P unfinish""";

    private String[] print(ContainerLog.Query q) throws Exception {
        Path log = Files.writeString(tmp.resolve("ctr.log"), LOG + "ed\n" + "2026-12-07T10:00:05.000000000+00:00 stdout F half-writ");
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        long offset = ContainerLog.print(log, q, new PrintStream(out), new PrintStream(err));
        assertEquals(Files.size(log) - "2026-12-07T10:00:05.000000000+00:00 stdout F half-writ".length(), offset,
                "a record not yet written whole is left for the next read");
        return new String[] {out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    @Test
    void linesJoinTheirPartsAndStreamsStayApart() throws Exception {
        String[] all = print(ContainerLog.Query.ALL);
        assertEquals("one\ntwo\nthree\nunfinished", all[0]);
        assertEquals("oops\n", all[1]);
    }

    @Test
    void tailCountsLinesOfTheWantedTime() throws Exception {
        assertEquals("three\nunfinished", print(new ContainerLog.Query(2, null, null, false))[0]);
        assertEquals("", print(new ContainerLog.Query(0, null, null, false))[0]);
        Instant since = Instant.parse("2026-12-07T10:00:01Z");
        Instant until = Instant.parse("2026-12-07T10:00:04Z");
        String[] window = print(new ContainerLog.Query(Long.MAX_VALUE, since, until, false));
        assertEquals("two\nthree\n", window[0], "three was written at 10:00:03Z, in another offset");
        assertEquals("oops\n", window[1]);
        String[] stamped = print(new ContainerLog.Query(1, since, until, true));
        assertEquals("2026-12-07T11:00:03.000000000+01:00 three\n", stamped[0]);
    }

    @Test
    void eachStreamHasItsOwnLines() throws Exception {
        // conmon reads stdout and stderr apart: a line of one may be cut by a record of the other.
        Path log = Files.writeString(tmp.resolve("mixed.log"), """
                2026-12-07T10:00:00.000000000+00:00 stdout P thr
                2026-12-07T10:00:01.000000000+00:00 stderr F two
                2026-12-07T10:00:02.000000000+00:00 stdout F ee
                """);
        var out = new ByteArrayOutputStream();
        var err = new ByteArrayOutputStream();
        ContainerLog.print(log, new ContainerLog.Query(Long.MAX_VALUE, null, null, true), new PrintStream(out), new PrintStream(err));
        assertEquals("2026-12-07T10:00:00.000000000+00:00 three\n", out.toString(StandardCharsets.UTF_8));
        assertEquals("2026-12-07T10:00:01.000000000+00:00 two\n", err.toString(StandardCharsets.UTF_8));
        out.reset();
        err.reset();
        ContainerLog.print(log, new ContainerLog.Query(1, null, null, false), new PrintStream(out), new PrintStream(err));
        assertEquals("", out.toString(StandardCharsets.UTF_8), "lines are in the order they started");
        assertEquals("two\n", err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void timesAsDockerTakesThem() {
        Instant now = Instant.parse("2026-12-07T12:00:00Z");
        assertEquals(Instant.parse("2026-12-07T11:50:00Z"), ContainerLog.time("10m", now));
        assertEquals(Instant.parse("2026-12-07T10:29:58.5Z"), ContainerLog.time("1h30m1.5s", now));
        assertEquals(Instant.parse("2026-12-07T10:00:00Z"), ContainerLog.time("2026-12-07T10:00:00Z", now));
        assertEquals(Instant.parse("2026-12-07T09:00:00Z"), ContainerLog.time("2026-12-07T10:00:00+01:00", now));
        assertEquals(Instant.ofEpochSecond(1765000000, 250_000_000), ContainerLog.time("1765000000.25", now));
        assertThrows(IllegalArgumentException.class, () -> ContainerLog.time("yesterday", now));
        assertThrows(IllegalArgumentException.class, () -> ContainerLog.time("10x", now));
    }

    @Test
    void aRecordWrittenHereReadsBack() {
        var time = java.time.OffsetDateTime.parse("2026-12-07T10:00:00.5+02:00");
        String line = ContainerLog.record(time, true, "why");
        assertEquals("2026-12-07T10:00:00.500000000+02:00 stderr F why\n", line);
        var r = ContainerLog.parse(line.strip().getBytes(StandardCharsets.UTF_8));
        assertEquals(time.toInstant(), r.instant());
        assertEquals(true, r.stderr());
        assertEquals("why", new String(r.content(), StandardCharsets.UTF_8));
    }
}
