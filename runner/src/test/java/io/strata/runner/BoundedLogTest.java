package io.strata.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BoundedLogTest {
    @TempDir
    Path dir;

    @Test
    void aChattyContainerHoldsAtMostTwiceTheBound() throws Exception {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 10_000; i++) lines.append("line ").append(i).append('\n');
        byte[] all = lines.toString().getBytes(StandardCharsets.UTF_8);
        Path log = dir.resolve("stdout.log");
        BoundedLog.copy(new ByteArrayInputStream(all), log, 4096);
        assertTrue(Files.size(log) <= 4096, "current file " + Files.size(log));
        assertTrue(Files.size(dir.resolve("stdout.log.1")) <= 4096);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BoundedLog.print(log, out);
        String kept = out.toString(StandardCharsets.UTF_8);
        assertTrue(kept.endsWith("line 9999\n"), "the newest output is kept");
        assertTrue(lines.toString().endsWith(kept), "oldest first, nothing reordered");
        assertEquals(2, Files.list(dir).count());
    }

    @Test
    void theTailIsTheLastLinesAcrossTheRotatedFileAndTheCurrentOne() throws Exception {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 1000; i++) lines.append("line ").append(i).append('\n');
        Path log = dir.resolve("stdout.log");
        BoundedLog.copy(new ByteArrayInputStream(lines.toString().getBytes(StandardCharsets.UTF_8)), log, 4096);
        long current = Files.size(log);
        int inCurrent = (int) Files.readString(log).lines().count();
        // More lines than the current file holds: the rest come from the rotated one, oldest first.
        assertEquals(tailOf(lines.toString(), inCurrent + 3), tail(log, inCurrent + 3));
        assertEquals("line 999\n", tail(log, 1));
        assertEquals("", tail(log, 0));
        // A last line without its newline counts as a line.
        Path partial = dir.resolve("partial.log");
        Files.writeString(partial, "a\nb\nc");
        assertEquals("b\nc", tail(partial, 2));
        assertEquals("a\nb\nc", tail(partial, 99));
        // Where a follower goes on from: the current file's end as read.
        assertEquals(current, BoundedLog.printTail(log, new ByteArrayOutputStream(), 5));
        assertEquals(0, BoundedLog.printTail(dir.resolve("none.log"), new ByteArrayOutputStream(), 5));
    }

    private static String tail(Path log, long n) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BoundedLog.printTail(log, out, n);
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String tailOf(String text, int n) {
        var all = text.lines().toList();
        return String.join("\n", all.subList(all.size() - n, all.size())) + "\n";
    }
}
