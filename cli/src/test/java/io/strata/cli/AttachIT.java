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
}
