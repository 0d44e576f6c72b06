package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.registry.ExternalTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Restart policies and the verbs docker users reach for: restart, pause, unpause, rename, top, and ps as docker shows it. */
class LifecycleVerbsIT extends ContainerCliTest {
    private String status(String name) throws Exception {
        return strata("ps", "-a", "--root", store, "-f", "name=" + name, "--format", "{{.Status}}").out().strip();
    }

    private void awaitStatus(String name, String regex) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!status(name).matches(regex) && System.nanoTime() < deadline) Thread.sleep(100);
        assertTrue(status(name).matches(regex), name + ": " + status(name));
    }

    @Test
    void restartPolicies() throws Exception {
        // on-failure:2: the first run and two restarts, then it stays exited with its code.
        assertEquals(0, run("-d", "--name", "flaky", "--restart", "on-failure:2", "--network", "none", image, "sh", "-c", "echo ran; exit 3").exit());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!strata("logs", "--root", store, "flaky").out().equals("ran\nran\nran\n") && System.nanoTime() < deadline) Thread.sleep(200);
        Thread.sleep(1500); // a fourth run would have come by now (the third restart's delay is 400 ms)
        assertEquals("ran\nran\nran\n", strata("logs", "--root", store, "flaky").out());
        awaitStatus("flaky", "Exited \\(3\\) .* ago");

        // always: restarted when it exits by itself, not when the user stops it; start --all brings it back.
        assertEquals(0, run("-d", "--name", "steady", "--restart", "always", "--network", "none", image, "sh", "-c", "echo up; sleep 1").exit());
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (strata("logs", "--root", store, "steady").out().lines().count() < 2 && System.nanoTime() < deadline) Thread.sleep(200);
        assertTrue(strata("logs", "--root", store, "steady").out().lines().count() >= 2, "restarted after it exited");
        assertEquals(0, strata("stop", "--root", store, "steady").exit());
        long runs = strata("logs", "--root", store, "steady").out().lines().count();
        Thread.sleep(2000);
        assertEquals(runs, strata("logs", "--root", store, "steady").out().lines().count(), "a container the user stopped stays stopped");
        assertTrue(status("steady").startsWith("Exited"), status("steady"));
        // unless-stopped, stopped by the user: not brought back by start --all; always is.
        assertEquals(0, run("-d", "--name", "unless", "--restart", "unless-stopped", "--network", "none", image, "sleep", "600").exit());
        assertEquals(0, strata("stop", "-t", "0", "--root", store, "unless").exit());
        Run all = strata("start", "--all", "--root", store);
        assertEquals("steady\n", all.out(), all.err());
        awaitStatus("steady", "Up .*");
        assertTrue(status("unless").startsWith("Exited"), status("unless"));

        Run conflict = run("--rm", "-d", "--restart", "always", image, "true");
        assertEquals(125, conflict.exit());
        assertEquals("strata: conflicting options: --restart and --rm\n", conflict.err());
        Run bad = run("-d", "--restart", "sometimes", image, "true");
        assertEquals(125, bad.exit());
        assertEquals("strata: --restart is no, always, unless-stopped or on-failure[:N], was sometimes\n", bad.err());
        assertEquals(0, strata("rm", "-f", "--root", store, "flaky", "steady", "unless").exit());
    }

    @Test
    void restartPauseRenameTopAndPsAsDockerShowsThem() throws Exception {
        assertEquals(0, run("-d", "--name", "web", "--network", "none", image, "sleep", "600").exit());
        assertEquals(0, run("--name", "done", "--network", "none", image, "true").exit());
        String table = strata("ps", "-a", "--root", store).out();
        assertEquals("CONTAINER ID   IMAGE", table.substring(0, "CONTAINER ID   IMAGE".length()));
        assertTrue(table.lines().findFirst().orElseThrow().matches("CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES"), table);
        assertTrue(status("web").matches("Up (Less than a second|\\d+ seconds?)"), status("web"));
        assertTrue(status("done").matches("Exited \\(0\\) (Less than a second|\\d+ seconds?) ago"), status("done"));
        assertEquals("done\n", strata("ps", "--root", store, "-f", "status=exited", "--format", "{{.Names}}").out(), "a status filter shows any state");
        assertEquals("done\n", strata("ps", "--root", store, "-l", "--format", "{{.Names}}").out(), "the latest, whatever its state");
        assertEquals("done\nweb\n", strata("ps", "--root", store, "-n", "2", "--format", "{{.Names}}").out());
        assertEquals("", strata("ps", "--root", store, "-f", "name=web", "-f", "status=exited", "-q").out(), "different keys: all of them");
        assertEquals(2, strata("ps", "--root", store, "-f", "name=web", "-f", "name=done", "-a", "-q").out().lines().count(), "one key twice: either");
        Run badFilter = strata("ps", "--root", store, "-f", "colour=red");
        assertEquals(1, badFilter.exit());
        assertTrue(badFilter.err().startsWith("strata: invalid filter 'colour=red'"), badFilter.err());

        assertEquals(0, strata("pause", "--root", store, "web").exit());
        assertTrue(status("web").endsWith(" (Paused)"), status("web"));
        assertEquals("paused\n", strata("ps", "--root", store, "-f", "name=web", "--format", "{{.State}}").out());
        Run twice = strata("pause", "--root", store, "web");
        assertEquals("strata: container web is already paused\n", twice.err());
        assertEquals(0, strata("unpause", "--root", store, "web").exit());
        assertEquals("running\n", strata("ps", "--root", store, "-f", "name=web", "--format", "{{.State}}").out());

        Run top = strata("top", "--root", store, "web", "-o", "pid,comm");
        assertEquals(0, top.exit(), top.err());
        assertTrue(top.out().lines().anyMatch(l -> l.matches("\\s*\\d+ sleep")), top.out());

        assertEquals(0, strata("rename", "--root", store, "web", "server").exit());
        assertEquals("strata: the name done is in use by container " + strata("ps", "-aq", "--root", store, "-f", "name=done").out().strip() + "\n",
                strata("rename", "--root", store, "server", "done").err());
        assertEquals(0, strata("restart", "-t", "1", "--root", store, "server").exit());
        assertTrue(status("server").matches("Up (Less than a second|\\d+ seconds?)"), status("server"));
        assertEquals(0, strata("rm", "-f", "--root", store, "server", "done").exit());
        assertFalse(strata("ps", "-a", "--root", store).out().contains("server"));
    }

    @Test
    void theSystemdUnitStartsEverythingAtBoot() throws Exception {
        Run unit = strata("system", "unit", "--root", store);
        assertEquals(0, unit.exit(), unit.err());
        assertTrue(unit.out().contains("\nExecStart=" + LAUNCHER + " start --all --root " + Path.of(store).toAbsolutePath() + "\n"), unit.out());
        assertTrue(unit.out().contains("[Install]\nWantedBy=multi-user.target\n"), unit.out());
        assertTrue(unit.out().startsWith("[Unit]\n") && unit.out().contains("\n[Service]\nType=oneshot\nRemainAfterExit=yes\n"), unit.out());
    }

    @Test
    void prunesDiskUsageInfoAndVersion() throws Exception {
        assertEquals(0, strata("volume", "create", "--root", store, "kept").exit());
        assertEquals(0, run("--name", "writer", "-v", "kept:/vol", "--network", "none", image, "sh", "-c", "echo hello > /vol/x").exit());
        List<String> df = strata("system", "df", "--root", store).out().lines().toList();
        assertTrue(df.get(0).matches("TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE"), df.toString());
        assertTrue(df.get(1).matches("Images +1 +1 +.*"), df.toString());
        assertTrue(df.get(2).matches("Containers +1 +0 +.*"), df.toString());
        assertTrue(df.get(3).matches("Local Volumes +1 +1 +6B +0B \\(0%\\)"), "the volume's 6 bytes, in use: " + df);
        assertTrue(df.get(4).matches("Build Cache +0 +0 +0B +0B"), df.toString());
        String verbose = strata("system", "df", "-v", "--root", store).out();
        assertTrue(verbose.contains("Local Volumes space usage:\n\nVOLUME NAME   LINKS   SIZE\nkept          1       6B\n"), verbose);

        // An image's size is its layers unpacked, as docker and podman show it (busybox alone is more than its gzip'd layer).
        long busybox = Files.size(Path.of(io.strata.registry.ExternalTool.ok("sh", "-c", "command -v busybox").trim()));
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(strata("images", "--root", store, "--format", "json").out());
        assertTrue(json.get(0).path("size").asLong() > busybox, json.toString());

        Run prune = strata("container", "prune", "-f", "--root", store);
        assertTrue(prune.out().startsWith("Deleted Containers:\n"), prune.out() + prune.err());
        assertEquals("", strata("ps", "-aq", "--root", store).out());
        Run system = strata("system", "prune", "-f", "--volumes", "--root", store);
        assertTrue(system.out().contains("Deleted Volumes:\nkept\n"), system.out() + system.err());
        assertEquals(1, strata("images", "-q", "--root", store).out().lines().count(), "without -a, images stay");
        Run images = strata("image", "prune", "-a", "-f", "--root", store);
        assertTrue(images.out().startsWith("Deleted Images:\nuntagged: " + image + "\n"), images.out() + images.err());
        assertEquals("", strata("images", "-q", "--root", store).out());
        Run asked = strata("container", "prune", "--root", store); // stdin is /dev/null: no answer is no
        assertEquals(1, asked.exit());

        Run info = strata("info", "--root", store);
        assertTrue(info.out().contains("\nMonitor: conmon version "), info.out());
        assertTrue(info.out().startsWith("Containers: 0\n"), info.out());
        var version = new com.fasterxml.jackson.databind.ObjectMapper().readTree(strata("version", "--format", "json").out());
        assertEquals(Runtime.version().feature(), Integer.parseInt(version.path("JavaVersion").asText().split("[.+]")[0]));
        assertTrue(version.path("Version").asText().matches("\\d+\\.\\d+\\.\\d+.*"), version.toString());
    }

    @Test
    void inspectAnswersInDockersShape() throws Exception {
        ExternalTool.require("podman");
        // An image: the same template through podman and through strata, on the same image.
        assertEquals(0, podmanRun("pull", "--quiet", "--tls-verify=false", image).exit());
        assertEquals(0, run("--rm", "--network", "none", image, "true").exit());
        String template = "{{.Architecture}} {{.Os}} {{.Config.Cmd}} {{.Config.Env}} {{.Config.WorkingDir}}";
        ExternalTool.Result theirs = podmanRun("image", "inspect", "--format", template, image);
        assertEquals(0, theirs.exit(), theirs.err());
        assertEquals("amd64 linux [/bin/sh -c echo default command] [PATH=/bin GREETING=hello] /data\n", theirs.out());
        assertEquals(theirs.out(), strata("inspect", "--root", store, "--format", template, image).out());
        // The image's ID is its config's digest (docker writes it with its algorithm, podman without).
        String podmanId = podmanRun("image", "inspect", "--format", "{{.Id}}", image).out().strip();
        assertEquals("sha256:" + podmanId + "\n", strata("inspect", "--root", store, "--format", "{{.Id}}", image).out());

        // A container: docker's State, Config, HostConfig, Mounts.
        assertEquals(0, run("-d", "--name", "looked", "--restart", "on-failure:3", "-v", "data:/vol", "--network", "none", image,
                "sleep", "600").exit());
        Run r = strata("inspect", "--root", store, "--format", "{{.State.Status}} {{.State.Running}} {{.Name}} {{.Config.Cmd}} "
                + "{{.HostConfig.NetworkMode}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}", "looked");
        assertEquals("running true /looked [sleep 600] none on-failure:3\n", r.out(), r.err());
        assertTrue(strata("inspect", "--root", store, "--format", "{{json .Mounts}}", "looked").out().contains("\"Destination\":\"/vol\""));
        assertTrue(strata("inspect", "--root", store, "--format", "{{.State.Pid}}", "looked").out().strip().matches("[1-9]\\d*"));
        assertEquals(0, strata("stop", "-t", "0", "--root", store, "looked").exit());
        assertEquals("exited 137\n", strata("inspect", "--root", store, "--format", "{{.State.Status}} {{.State.ExitCode}}", "looked").out());
        assertEquals("strata: no container nosuch\n", strata("inspect", "--root", store, "--type", "container", "nosuch").err());
        assertEquals(0, strata("rm", "-v", "--root", store, "looked").exit());
    }

    @Test
    void updateChangesTheLimitsNowAndForTheNextStart() throws Exception {
        String limits = "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes; "
                + "cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max";
        Run started = run("-d", "--name", "limited", "-m", "64m", "--network", "none", image, "sleep", "600");
        assertEquals(0, started.exit(), started.err());
        Run before = strata("exec", "--root", store, "limited", "sh", "-c", limits);
        assertEquals("67108864\nmax\n", before.out(), before.err());
        Run update = strata("update", "--root", store, "-m", "128m", "--pids-limit", "50", "limited");
        assertEquals(0, update.exit(), update.err());
        assertEquals("134217728\n50\n", strata("exec", "--root", store, "limited", "sh", "-c", limits).out(), "now");
        assertEquals(0, strata("restart", "-t", "0", "--root", store, "limited").exit());
        assertEquals("134217728\n50\n", strata("exec", "--root", store, "limited", "sh", "-c", limits).out(), "and after a restart");
        assertEquals("strata: update needs --memory, --cpus or --pids-limit\n", strata("update", "--root", store, "limited").err());
        assertEquals("strata: --memory must be at least 6 MiB, as docker's\n", strata("update", "--root", store, "-m", "1k", "limited").err());
        assertEquals(0, strata("rm", "-f", "--root", store, "limited").exit());
    }

    @Test
    void statsReadsTheCgroups() throws Exception {
        assertEquals(0, run("-d", "--name", "spinner", "-m", "64m", "--network", "none", image, "sh", "-c", "while :; do :; done").exit());
        assertEquals(0, run("-d", "--name", "sleeper", "--network", "none", image, "sleep", "600").exit());
        Run table = strata("stats", "--no-stream", "--root", store);
        List<String> lines = table.out().lines().toList();
        assertTrue(lines.get(0).matches("CONTAINER ID +NAME +CPU % +MEM USAGE / LIMIT +MEM % +NET I/O +BLOCK I/O +PIDS"), table.out() + table.err());
        assertEquals(3, lines.size(), table.out());
        Run spinner = strata("stats", "--no-stream", "--root", store, "--format", "{{.CPUPerc}}|{{.MemUsage}}|{{.PIDs}}", "spinner");
        String[] f = spinner.out().strip().split("\\|");
        assertTrue(Double.parseDouble(f[0].replace("%", "")) > 50, "a busy loop uses most of a core: " + spinner.out());
        assertTrue(f[1].endsWith(" / 64MiB"), "its limit: " + spinner.out());
        assertEquals("1", f[2]);
        Run sleeper = strata("stats", "--no-stream", "--root", store, "--format", "{{.CPUPerc}}", "sleeper");
        assertTrue(Double.parseDouble(sleeper.out().strip().replace("%", "")) < 5, sleeper.out());
        assertEquals(0, strata("rm", "-f", "--root", store, "spinner", "sleeper").exit());
    }

    @Test
    void eventsAsTheyHappenAndSince() throws Exception {
        assertEquals(0, run("--rm", "--network", "none", image, "true").exit(), "pulled first");
        // Following: an events process started first sees what a later run does.
        Path out = tmp.resolve("events.out");
        Process follower = launcher("events", "--root", store, "-f", "container=watched", "--format", "{{.Type}} {{.Action}}")
                .redirectOutput(out.toFile()).redirectErrorStream(false).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            Thread.sleep(1500); // its JVM is up and reading
            assertEquals(3, run("--name", "watched", "--network", "none", image, "sh", "-c", "exit 3").exit());
            assertEquals(0, strata("rm", "--root", store, "watched").exit());
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            String expected = "container create\ncontainer start\ncontainer die\ncontainer destroy\n";
            while (!Files.readString(out).equals(expected) && System.nanoTime() < deadline) Thread.sleep(100);
            assertEquals(expected, Files.readString(out));
        } finally {
            follower.destroy();
        }
        // Past events between --since and --until, in docker's line and as JSON.
        Run past = strata("events", "--root", store, "--since", "5m", "--until", "0s", "-f", "event=die", "-f", "container=watched");
        assertTrue(past.out().matches("\\d{4}-\\d\\d-\\d\\dT\\S+ container die [0-9a-f]{64} \\(exitCode=3, image=" + java.util.regex.Pattern.quote(image)
                + ", name=watched\\)\n"), past.out() + past.err());
        Run json = strata("events", "--root", store, "--since", "5m", "--until", "0s", "-f", "type=container", "--format", "json");
        assertEquals(8, json.out().lines().count(), "create, start, die and destroy of the first run and of watched: " + json.out());
        Run bad = strata("events", "--root", store, "-f", "colour=red", "--until", "0s");
        assertEquals(1, bad.exit());
        assertTrue(bad.err().startsWith("strata: invalid filter 'colour=red'"), bad.err());
    }
}
