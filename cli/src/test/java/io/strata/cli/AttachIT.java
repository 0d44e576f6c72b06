package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.registry.ExternalTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Containers under conmon: terminals without one here, attach and its detach keys, start -a, and logs of every container. */
class AttachIT extends ContainerCliTest {
    @Test
    void minusTWithoutATerminalHereRunsAsPodmanRunsIt() throws Exception {
        ExternalTool.require("podman");
        String[] command = {"sh", "-c", "tty; echo $TERM; exit 3"};
        List<String> pull = new ArrayList<>(List.of("pull", "--quiet", "--tls-verify=false", image));
        ExternalTool.Result pulled = podmanRun(pull.toArray(String[]::new));
        assertEquals(0, pulled.exit(), pulled.err());
        List<String> podmanArgs = new ArrayList<>(List.of("run", "--rm", "-t", "--network", "none", image));
        podmanArgs.addAll(List.of(command));
        ExternalTool.Result theirs = podmanRun(podmanArgs.toArray(String[]::new));
        List<String> ours = new ArrayList<>(List.of("--rm", "-t", "--network", "none", image));
        ours.addAll(List.of(command));
        Run r = run(ours.toArray(String[]::new)); // stdin /dev/null, stdout a file: no terminal on this side
        assertEquals("/dev/pts/0\r\nxterm\r\n", theirs.out(), "podman's answer: " + theirs.err());
        assertEquals(theirs.out(), r.out(), r.err());
        assertEquals(3, theirs.exit());
        assertEquals(theirs.exit(), r.exit(), r.err());
    }

    @Test
    void aForegroundRunIsLoggedAndStartMinusAAttachesAgain() throws Exception {
        assertEquals(0, run("--rm", "--network", "none", image, "true").exit(), "pulled first: its progress goes to stderr");
        Run fg = run("--name", "fg", "--network", "none", image, "sh", "-c", "echo out; echo err >&2; exit 3");
        assertEquals(3, fg.exit(), fg.err());
        assertEquals("out\n", fg.out());
        assertEquals("err\n", fg.err(), "stderr stays stderr");
        Run logs = strata("logs", "--root", store, "fg");
        assertEquals("out\n", logs.out(), "docker keeps a foreground container's output too");
        assertEquals("err\n", logs.err());
        Run again = strata("start", "-a", "--root", store, "fg");
        assertEquals(3, again.exit(), "start -a answers the container's exit code: " + again.err());
        assertEquals("out\n", again.out());
        assertEquals("out\nout\n", strata("logs", "--root", store, "fg").out(), "a log of both runs, as docker's");
        Run notRunning = strata("attach", "--root", store, "fg");
        assertEquals(125, notRunning.exit());
        assertEquals("strata: container fg is not running: strata start -a to start it attached\n", notRunning.err());
        assertEquals(0, strata("rm", "--root", store, "fg").exit());
    }

    @Test
    void attachToADetachedContainerAndDetachWithTheKeys() throws Exception {
        Run started = run("-d", "-i", "--name", "shell", "--network", "none", image, "sh");
        assertEquals(0, started.exit(), started.err());
        // The detach keys (ctrl-p ctrl-q) end the attach, not the container; its stdin stays open.
        Path detach = Files.writeString(tmp.resolve("detach.sh"), "(printf 'echo first\\n'; sleep 1; printf '\\020\\021'; sleep 30) | STRATA_NO_BUILD=1 "
                + LAUNCHER + " attach --root " + store + " shell\n");
        var detached = ExternalTool.run(List.of("timeout", "60", "sh", detach.toString()));
        assertEquals(0, detached.exit(), "detached: " + detached.err());
        assertEquals("first\n", detached.out());
        assertTrue(strata("ps", "--root", store).out().contains("shell"), "still running after the detach");
        // Another attach: what it types runs, and when the container exits attach answers its code.
        Path exit = Files.writeString(tmp.resolve("exit.sh"), "printf 'echo second\\nexit 7\\n' | STRATA_NO_BUILD=1 " + LAUNCHER
                + " attach --root " + store + " shell\n");
        var ended = ExternalTool.run(List.of("timeout", "60", "sh", exit.toString()));
        assertEquals(7, ended.exit(), ended.err());
        assertEquals("second\n", ended.out());
        assertEquals("first\nsecond\n", strata("logs", "--root", store, "shell").out());
        Run bad = strata("attach", "--root", store, "--detach-keys", "ctrl-", "shell");
        assertEquals(125, bad.exit());
        assertTrue(bad.err().startsWith("strata: invalid detach keys 'ctrl-'"), bad.err());
        assertEquals(0, strata("rm", "--root", store, "shell").exit());
    }

    @Test
    void logsTimestampsSinceAndUntil() throws Exception {
        Run started = run("-d", "--name", "talker", "--network", "none", image, "sh", "-c", "echo one; sleep 1; echo two >&2; sleep 1; printf three");
        assertEquals(0, started.exit(), started.err());
        assertEquals("0\n", strata("wait", "--root", store, "talker").out());
        Run stamped = strata("logs", "-t", "--root", store, "talker");
        String stamp = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}[+-]\\d\\d:\\d\\d ";
        assertTrue(stamped.out().matches(stamp + "one\n" + stamp + "three"), stamped.out());
        assertTrue(stamped.err().matches(stamp + "two\n"), stamped.err());
        String second = stamped.err().substring(0, stamped.err().indexOf(' '));
        Run since = strata("logs", "--since", second, "--root", store, "talker");
        assertEquals("three", since.out(), "a last line without its newline is printed as it was written: " + since.err());
        assertEquals("two\n", since.err());
        Run until = strata("logs", "--until", second, "--root", store, "talker");
        assertEquals("one\n", until.out());
        assertEquals("", until.err());
        assertEquals("one\nthree", strata("logs", "--since", "10m", "--root", store, "talker").out(), "a duration before now");
        assertEquals("", strata("logs", "--since", "0s", "--root", store, "talker").out());
        Run bad = strata("logs", "--since", "yesterday", "--root", store, "talker");
        assertEquals(1, bad.exit());
        assertTrue(bad.err().startsWith("strata: cannot read 'yesterday' as a time"), bad.err());
        assertEquals(0, strata("rm", "--root", store, "talker").exit());
    }

    @Test
    void signalsGoToTheContainerUnlessSigProxyIsFalse() throws Exception {
        assertEquals(0, run("--rm", "--network", "none", image, "true").exit(), "pulled first");
        String trap = "trap 'echo got INT; exit 3' INT; echo ready; sleep 100 & wait";
        // run: a ^C (SIGINT to strata) reaches the container's command, which answers it.
        Run proxied = interrupted(true, "run", "--root", store, "--name", "proxied", "--network", "none", image, "sh", "-c", trap);
        assertEquals(3, proxied.exit(), "the container's exit code, after its trap ran");
        assertEquals("ready\ngot INT\n", proxied.out());
        // --sig-proxy=false: the ^C ends strata (130, as a shell reports SIGINT) and the container runs on.
        Run kept = interrupted(true, "run", "--root", store, "--sig-proxy=false", "--name", "kept", "--network", "none", image, "sh", "-c", trap);
        assertEquals(130, kept.exit());
        assertEquals("running\n", strata("inspect", "--root", store, "--format", "{{.State.Status}}", "kept").out());
        // attach: the same, both ways.
        assertEquals(130, interrupted(false, "attach", "--root", store, "--sig-proxy=false", "kept").exit());
        assertEquals("running\n", strata("inspect", "--root", store, "--format", "{{.State.Status}}", "kept").out());
        Run attached = interrupted(false, "attach", "--root", store, "kept");
        assertEquals(3, attached.exit(), "attach answers the exit code of the container the signal ended");
        assertEquals("got INT\n", attached.out());
        assertEquals("exited 3\n", strata("inspect", "--root", store, "--format", "{{.State.Status}} {{.State.ExitCode}}", "kept").out());
        assertEquals(0, strata("rm", "--root", store, "proxied", "kept").exit());
    }

    /**
     * ./strata ARGS sent SIGINT once it runs: once it printed the container's "ready" line when
     * {@code printsReady}, else after two seconds (an attach prints nothing until something happens).
     */
    private Run interrupted(boolean printsReady, String... args) throws Exception {
        Process p = launcher(args).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String first = "";
        if (printsReady) {
            first = new String(p.getInputStream().readNBytes("ready\n".length()));
            assertEquals("ready\n", first, "the container started");
        } else {
            Thread.sleep(2000);
        }
        assertTrue(p.isAlive(), "still attached before the signal");
        // The launcher execs java: the process started is the one strata runs in.
        ExternalTool.ok("kill", "-INT", String.valueOf(p.pid()));
        String rest = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
        return new Run(p.exitValue(), first + rest, "");
    }
}
