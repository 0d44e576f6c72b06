package io.strata.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Docker's exit codes for a container its runtime could not start, from the runtime's own errors. */
class StartFailureTest {
    @Test
    void theCommandsFailuresAre126And127AndTheRest125() {
        // runc 1.1's words
        assertEquals(126, Runner.startFailureExitCode("runc run failed: unable to start container process: exec: \"/dev/null\": permission denied"));
        assertEquals(127, Runner.startFailureExitCode("runc run failed: unable to start container process: exec: \"nosuch\": executable file not found in $PATH"));
        assertEquals(127, Runner.startFailureExitCode("runc run failed: unable to start container process: exec: \"/x\": no such file or directory"));
        assertEquals(125, Runner.startFailureExitCode(
                "runc run failed: unable to start container process: error during container init: mkdir /data/script: not a directory"));
        assertEquals(125, Runner.startFailureExitCode("runc run failed: unable to start container process: error during container init: "
                + "error mounting \"/gone\" to rootfs at \"/data\": stat /gone: no such file or directory"), "a mount's missing source is not a missing command");
        // crun 1.8's
        assertEquals(127, Runner.startFailureExitCode("executable file `nosuch` not found in $PATH: No such file or directory"));
        assertEquals(126, Runner.startFailureExitCode("open executable: Permission denied"));
        assertEquals(125, Runner.startFailureExitCode("cgroups in hybrid mode not supported, drop all controllers from cgroupv2"));
    }
}
