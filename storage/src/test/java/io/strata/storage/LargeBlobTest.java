package io.strata.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A blob larger than 2 GiB goes in by chunks and comes back out, verified, in a JVM whose whole heap
 * is 64 MiB: nothing holds a blob in memory, whatever the chunk size.
 */
class LargeBlobTest {
    static final long SIZE = 2L * 1024 * 1024 * 1024 + 512L * 1024 * 1024 + 3;
    static final S3ProxyFixture s3 = S3ProxyFixture.shared();



    private static void streamThroughSmallHeap(String store) throws Exception {
        Process p = ChildJvm.start(StorageTool.class, List.of("-Xmx64m", "-XX:+UseSerialGC"), "big", store,
                Long.toString(SIZE));
        String line;
        try (var out = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
            line = out.readLine();
        }
        assertTrue(p.waitFor(15, TimeUnit.MINUTES), "child finished");
        assertEquals(0, p.exitValue(), "child exit status; output: " + line);
        String[] f = line.split(" ");
        assertEquals("OK", f[0], line);
        assertEquals(Long.toString(SIZE), f[2], "committed size");
        assertEquals(Long.toString(SIZE), f[3], "bytes read back");
        assertEquals(f[1], f[4], "bytes read back hash to the committed digest");
    }

    @Test
    void filesystem(@TempDir Path root) throws Exception {
        streamThroughSmallHeap("fs:" + root);
    }

    @Test
    void s3() throws Exception {
        streamThroughSmallHeap("s3:" + s3.endpoint() + "|big-" + UUID.randomUUID() + "/");
    }
}
