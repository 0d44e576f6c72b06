package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.registry.ExternalTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** exec's options as docker's (-e, --env-file, -u, -w, -i, -d, --privileged), and --init. */
class ExecInitIT extends ContainerCliTest {
    @Test
    void execTakesDockersOptions() throws Exception {
        Run started = run("-d", "--name", "box", "--network", "none", image, "sleep", "600");
        assertEquals(0, started.exit(), started.err());
        Path envFile = Files.writeString(tmp.resolve("env"), "# a comment\nFROM_FILE=f\n");
        Run env = strata("exec", "--root", store, "-e", "A=1", "--env-file", envFile.toString(), "-w", "/tmp", "-u", "1000:1000", "box",
                "sh", "-c", "echo $A $FROM_FILE $GREETING; pwd; id -u; id -g");
        assertEquals("1 f hello\n/tmp\n1000\n1000\n", env.out(), "the image's variables stay, the given ones are added: " + env.err());

        // stdin only with -i, as docker's exec.
        Path pipe = Files.writeString(tmp.resolve("pipe.sh"), "export STRATA_NO_BUILD=1; echo piped | " + LAUNCHER + " exec --root " + store
                + " box cat; echo piped | " + LAUNCHER + " exec -i --root " + store + " box cat\n");
        var piped = ExternalTool.run(List.of("sh", pipe.toString()));
        assertEquals("piped\n", piped.out(), piped.err());

        // -d returns at once; the command runs on.
        long before = System.nanoTime();
        Run detached = strata("exec", "-d", "--root", store, "box", "sh", "-c", "sleep 2; echo done > /tmp/d");
        assertEquals(0, detached.exit(), detached.err());
        assertEquals("", detached.out());
        assertTrue(System.nanoTime() - before < TimeUnit.SECONDS.toNanos(2), "exec -d does not wait for its command");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!strata("exec", "--root", store, "box", "cat", "/tmp/d").out().equals("done\n") && System.nanoTime() < deadline) Thread.sleep(200);
        assertEquals("done\n", strata("exec", "--root", store, "box", "cat", "/tmp/d").out());

        // --privileged: every capability this host allows, where a container's processes have docker's 14.
        String hostBounding = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("CapBnd:"))
                .map(l -> l.substring(7).strip()).findFirst().orElseThrow();
        Run privileged = strata("exec", "--privileged", "--root", store, "box", "cat", "/proc/self/status");
        assertTrue(privileged.out().contains("CapEff:\t" + hostBounding + "\n"), privileged.out());
        Run plain = strata("exec", "--root", store, "box", "cat", "/proc/self/status");
        assertTrue(plain.out().contains("CapEff:\t00000000a80425fb\n"), "docker's default set: " + plain.out());

        Run noUser = strata("exec", "-u", "nosuch", "--root", store, "box", "true");
        assertEquals(125, noUser.exit());
        assertEquals("strata: unable to find user nosuch: no matching entries in the image's /etc/passwd\n", noUser.err());
        Run relative = strata("exec", "-w", "tmp", "--root", store, "box", "true");
        assertEquals(125, relative.exit());
        assertEquals("strata: the working directory must be absolute, was tmp\n", relative.err());
        assertEquals(0, strata("rm", "-f", "--root", store, "box").exit());
    }

    @Test
    void initIsPidOneAndPassesTheStopSignalOn() throws Exception {
        Run ps = run("--rm", "--init", "--network", "none", image, "cat", "/proc/1/cmdline");
        assertEquals("/run/strata-init\0--\0cat\0/proc/1/cmdline\0", ps.out(), ps.err());
        // sleep as PID 1 ignores SIGTERM (the kernel gives PID 1 no default actions): under an init it ends at once.
        Run started = run("-d", "--init", "--name", "sleeper", "--network", "none", image, "sleep", "600");
        assertEquals(0, started.exit(), started.err());
        long before = System.nanoTime();
        assertEquals(0, strata("stop", "--root", store, "sleeper").exit());
        assertTrue(System.nanoTime() - before < TimeUnit.SECONDS.toNanos(5), "stopped by SIGTERM, not after the 10 s timeout");
        assertTrue(strata("ps", "-a", "--root", store).out().contains("Exited (143)"), "SIGTERM's code: 128 + 15");
        assertTrue(strata("ps", "-a", "--root", store).out().contains("\"sleep 600\""), "ps shows the command, not the init");
        assertEquals(0, strata("rm", "--root", store, "sleeper").exit());
        Run badPath = run("--rm", "--init-path", tmp.resolve("nothing").toString(), image, "true");
        assertEquals(125, badPath.exit());
        assertEquals("strata: --init-path " + tmp.resolve("nothing") + " is not an executable file\n", badPath.err());
    }

    @Test
    void execMinusTWithoutATerminalHereAnswersAsPodman() throws Exception {
        ExternalTool.require("podman");
        assertEquals(0, podmanRun("pull", "--quiet", "--tls-verify=false", image).exit());
        ExternalTool.Result started = podmanRun("run", "-d", "--name", "theirs", "--runtime", "runc", "--network", "none", image, "sleep", "600");
        assertEquals(0, started.exit(), started.err());
        try {
            String[] command = {"sh", "-c", "tty; echo $TERM; exit 4"};
            List<String> theirs = new java.util.ArrayList<>(List.of("exec", "-t", "theirs"));
            theirs.addAll(List.of(command));
            ExternalTool.Result podman = podmanRun(theirs.toArray(String[]::new));
            assertEquals(0, run("-d", "--name", "ours", "--network", "none", image, "sleep", "600").exit());
            List<String> ours = new java.util.ArrayList<>(List.of("exec", "-t", "--root", store, "ours"));
            ours.addAll(List.of(command));
            Run strata = strata(ours.toArray(String[]::new)); // stdin /dev/null, stdout a file: no terminal on this side
            assertEquals("/dev/pts/0\r\nxterm\r\n", podman.out(), "podman's answer: " + podman.err());
            assertEquals(podman.out(), strata.out(), strata.err());
            assertEquals(4, podman.exit());
            assertEquals(podman.exit(), strata.exit());
            assertEquals(0, strata("rm", "-f", "--root", store, "ours").exit());
        } finally {
            podmanRun("rm", "-f", "-t", "0", "theirs");
        }
    }
}
