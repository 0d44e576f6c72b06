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
}
