package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** stop sends what the image asks for (STOPSIGNAL) or --stop-signal says, and waits --stop-timeout; kill refuses a signal that is none. */
class StopSignalIT extends ContainerCliTest {
    /** A shell that exits 7 on SIGINT and 8 on SIGUSR1, and ignores SIGTERM (as PID 1 without a handler does). */
    private static final String TRAPPING = "trap 'exit 7' INT; trap 'exit 8' USR1; echo ready > /tmp/ready; while :; do sleep 0.1; done";

    private void awaitReady(String name) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline && !strata("exec", "--root", store, name, "cat", "/tmp/ready").out().contains("ready")) {
            Thread.sleep(100);
        }
    }

    private int exitCode(String name) throws Exception {
        return Integer.parseInt(strata("wait", "--root", store, name).out().strip());
    }

    @Test
    void stopSendsTheImagesStopSignal() throws Exception {
        String interrupting = image.replace("busybox:v1", "interrupting:v1");
        publish(tmp.resolve("rootfs"), interrupting, null, null, "SIGINT");
        assertEquals(0, run("-d", "--name", "byimage", interrupting, "sh", "-c", TRAPPING).exit());
        awaitReady("byimage");
        long t0 = System.nanoTime();
        assertEquals(0, strata("stop", "--root", store, "byimage").exit());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(7, exitCode("byimage"), "the image's STOPSIGNAL (SIGINT) ended it, not SIGKILL after the timeout");
        assertTrue(ms < 8_000, "without waiting the 10 s for SIGKILL: " + ms + " ms");

        assertEquals(0, run("-d", "--name", "byoption", "--stop-signal", "USR1", interrupting, "sh", "-c", TRAPPING).exit());
        awaitReady("byoption");
        assertEquals(0, strata("stop", "--root", store, "byoption").exit());
        assertEquals(8, exitCode("byoption"), "--stop-signal wins over the image's");

        // SIGTERM, which this shell ignores, and a stop timeout of 1 s: SIGKILL, 137.
        assertEquals(0, run("-d", "--name", "timeout", "--stop-timeout", "1", image, "sh", "-c", TRAPPING).exit());
        awaitReady("timeout");
        t0 = System.nanoTime();
        assertEquals(0, strata("stop", "--root", store, "timeout").exit());
        assertEquals(137, exitCode("timeout"));
        assertTrue((System.nanoTime() - t0) / 1_000_000 < 6_000, "killed after its own 1 s");
    }

    @Test
    void killAndRunRefuseASignalThatIsNone() throws Exception {
        assertEquals(0, run("-d", "--name", "target", image, "sleep", "60").exit());
        for (String bad : new String[] {"BOGUS", "99"}) {
            Run r = strata("kill", "--root", store, "-s", bad, "target");
            assertEquals(125, r.exit(), bad);
            assertEquals("strata: invalid signal: " + bad + "\n", r.err());
        }
        assertTrue(strata("ps", "--root", store).out().contains("target"), "still running: nothing was sent");
        assertEquals(0, strata("kill", "--root", store, "-s", "TERM", "target").exit());
        Run bad = run("--rm", "--stop-signal", "NOPE", image, "true");
        assertEquals(125, bad.exit());
        assertEquals("strata: invalid signal: NOPE\n", bad.err());
    }
}
