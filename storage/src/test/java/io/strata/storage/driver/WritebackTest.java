package io.strata.storage.driver;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Early writeback is linked and used on Linux, and never changes or fails a write. */
class WritebackTest {
    @TempDir
    Path dir;

    @Test
    void startsWritebackOnLinuxAndLeavesTheBytesAsWritten() throws Exception {
        Path file = dir.resolve("data");
        byte[] bytes = new byte[(int) (3 * Writeback.WINDOW + 12345)];
        new Random(7).nextBytes(bytes);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
             Writeback writeback = Writeback.of(file, 0)) {
            assertTrue(writeback.active(), "sync_file_range is linked and the file opened (this runs on Linux)");
            for (int off = 0; off < bytes.length; off += 256 * 1024) {
                ch.write(ByteBuffer.wrap(bytes, off, Math.min(256 * 1024, bytes.length - off)));
                writeback.written(ch.position());
            }
            ch.force(false);
        }
        assertArrayEquals(bytes, Files.readAllBytes(file));
    }

    @Test
    void aFileThatCannotBeOpenedMeansNoWritebackAndNoError() {
        try (Writeback writeback = Writeback.of(dir.resolve("missing"), 0)) {
            assertFalse(writeback.active());
            writeback.written(10 * Writeback.WINDOW);
        }
    }
}
