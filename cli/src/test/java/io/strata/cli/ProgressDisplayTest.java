package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.oci.Digest;
import org.junit.jupiter.api.Test;

class ProgressDisplayTest {
    private static final Digest D = Digest.parse("sha256:" + "1a2b3c4d5e6f".repeat(5) + "abcd");

    @Test
    void rendersBarBytesAndRate() {
        assertEquals("1a2b3c4d5e6f: Downloading [===========>            ] 12.0MB/24.0MB 3.0MB/s",
                ProgressDisplay.render(D, "Downloading", 12_000_000, 24_000_000, 3_000_000, 200));
        assertEquals("1a2b3c4d5e6f: Downloading [========================] 24.0MB/24.0MB 0B/s",
                ProgressDisplay.render(D, "Downloading", 24_000_000, 24_000_000, 0, 200));
        assertEquals("1a2b3c4d5e6f: Already exists", ProgressDisplay.render(D, "Already exists", 0, 0, 0, 200));
        assertEquals("1a2b3c4d5e6f: Downlo", ProgressDisplay.render(D, "Downloading", 1, 2, 1, 20), "cut to the width");
    }

    @Test
    void decimalUnitsAsDockerPrintsThem() {
        assertEquals("999B", ProgressDisplay.bytes(999));
        assertEquals("1.0kB", ProgressDisplay.bytes(1000));
        assertEquals("1.5MB", ProgressDisplay.bytes(1_500_000));
        assertEquals("2.1GB", ProgressDisplay.bytes(2_100_000_000L));
    }
}
