package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.client.Trees;
import io.strata.registry.ExternalTool;
import io.strata.snapshots.Native;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** strata run, ps and rm with runc, on a busybox image pulled from a registry, as a user runs them. */
class RunCliIT extends ContainerCliTest {
    @Test
    void theImagesCommandTheGivenOneAndTheirExitCodes() throws Exception {
        Run first = run("--rm", image);
        assertEquals(0, first.exit(), first.err());
        assertEquals("default command\n", first.out(), "pulled, then ran the image's Cmd");
        Run echo = run("--rm", image, "echo", "hi", "-c");
        assertEquals("hi -c\n", echo.out(), "options after the image belong to the command");
        assertEquals(3, run("--rm", image, "sh", "-c", "exit 3").exit());
        Run missing = run("--rm", image, "nosuch");
        assertEquals(127, missing.exit());
        assertTrue(missing.err().contains("executable file not found"), missing.err());
        assertEquals(126, run("--rm", image, "/data/script").exit());
        assertEquals(126, run("--rm", "-w", "/data", image, "./script").exit(), "a relative path is the working directory's");
        assertEquals(127, run("--rm", "-w", "/", image, "./script").exit());
        Run directory = run("--rm", image, "/bin");
        assertEquals(126, directory.exit(), "a directory cannot be executed: " + directory.err());
        assertTrue(directory.err().contains("/bin: is a directory: permission denied"), directory.err());
        // Where the host cannot see (a device under the container's /dev), the runtime finds out; its
        // failure is docker's exit code too, never its own 1, which would read as the command's.
        Run device = run("--rm", image, "/dev/null");
        assertEquals(126, device.exit(), device.err());
        assertTrue(device.err().contains("\"/dev/null\": permission denied"), device.err());
        assertFalse(device.err().contains("level=error"), "the runtime's log line stays in its log: " + device.err());
        Run workdir = run("--rm", "-w", "/data/script", image, "true");
        assertEquals(125, workdir.exit(), "any other failure of the runtime: " + workdir.err());
        assertEquals(1, run("--rm", image, "sh", "-c", "echo err >&2; exit 1").exit(), "the command's own 1 stays 1");
        // strata's own failures are 125, as docker's and podman's, never a code the command could give.
        Run noImage = run("--rm", image.replace("busybox", "nosuch"), "true");
        assertEquals(125, noImage.exit(), noImage.err());
        assertTrue(noImage.err().startsWith("strata: not found"), noImage.err());
        Run badOption = run("--rm", "--bogus", image, "true");
        assertEquals(125, badOption.exit(), badOption.err());
        assertTrue(badOption.err().startsWith("Unknown option: '--bogus'"), badOption.err());
        assertEquals(2, strata("ps", "--root", store, "--bogus").exit(), "a verb that runs no command keeps picocli's 2");
        Run entry = run("--rm", "--entrypoint", "/bin/echo", image, "via", "entrypoint");
        assertEquals("via entrypoint\n", entry.out());
        // run has an AOT cache of its own, trained on a run, which its runner classes come from.
        Path loaded = tmp.resolve("run-classes.log");
        ProcessBuilder pb = launcher("run", "--root", store, "--rm", image, "true");
        pb.environment().put("STRATA_JAVA_OPTS", "-Xlog:class+load:file=" + loaded);
        assertEquals(0, pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor());
        assertTrue(Files.isRegularFile(Path.of("target", "strata-run.aot")), "run's cache");
        for (String cls : List.of("io.strata.runner.Runner", "io.strata.runner.Bundle", "io.strata.snapshots.OverlaySnapshotter")) {
            String line = Files.readAllLines(loaded).stream().filter(l -> l.contains(" " + cls + " ")).findFirst()
                    .orElseThrow(() -> new AssertionError(cls + " was not loaded"));
            assertTrue(line.contains("shared objects file"), cls + " comes from run's AOT cache: " + line);
        }
    }

    @Test
    void envWorkdirAndUserByName() throws Exception {
        Run r = run("--rm", "-e", "FOO=bar", "-u", "app", "-w", "/tmp", "--hostname", "box", image,
                "sh", "-c", "echo $GREETING $FOO; id -u; id -G; pwd; hostname; echo $HOME");
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of("hello bar", "1000", "1000 2000", "/tmp", "box", "/home/app"), r.out().lines().toList());
        Run numeric = run("--rm", "-u", "1234:5678", image, "id");
        assertEquals("uid=1234 gid=5678 groups=5678\n", numeric.out(), "ids not in the image pass through, the group a supplementary one too (as podman): " + numeric.err());
        Run unknown = run("--rm", "-u", "nobody", image, "id");
        assertEquals(125, unknown.exit());
        assertTrue(unknown.err().contains("unable to find user nobody"), unknown.err());
    }

    @Test
    void volumesReadOnlyAndNetwork() throws Exception {
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        assertEquals(0, run("--rm", "-v", shared + ":/mnt", image, "sh", "-c", "echo from-container > /mnt/out").exit());
        assertEquals("from-container\n", Files.readString(shared.resolve("out")));
        assertNotEquals(0, run("--rm", "-v", shared + ":/mnt:ro", image, "touch", "/mnt/no").exit());
        assertFalse(Files.exists(shared.resolve("no")));
        // A command the image lacks but a volume holds runs, by path and through PATH, as docker runs it.
        Path tools = Files.createDirectories(tmp.resolve("tools"));
        Files.writeString(tools.resolve("tool"), "#!/bin/sh\necho from-volume\n");
        Files.setPosixFilePermissions(tools.resolve("tool"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Run byPath = run("--rm", "-v", tools + ":/opt/tools:ro", image, "/opt/tools/tool");
        assertEquals("from-volume\n", byPath.out(), byPath.err());
        Run onPath = run("--rm", "-v", tools + ":/opt/tools:ro", "-e", "PATH=/opt/tools:/bin", image, "tool");
        assertEquals("from-volume\n", onPath.out(), onPath.err());
        assertEquals(127, run("--rm", "-v", tools + ":/opt/tools:ro", image, "/opt/tools/nosuch").exit());
        // A volume whose source is not there: one line, as podman says it, and no container made.
        String before = strata("ps", "-a", "--root", store, "-q").out();
        Run missing = run("--rm", "-v", tmp.resolve("nosuch") + ":/mnt", image, "true");
        assertEquals(125, missing.exit());
        assertEquals("strata: volume source " + tmp.resolve("nosuch") + ": no such file or directory\n", missing.err());
        assertEquals(before, strata("ps", "-a", "--root", store, "-q").out());
        assertNotEquals(0, run("--rm", "--read-only", image, "touch", "/data/no").exit());
        Run none = run("--rm", "--network", "none", image, "ip", "-o", "link");
        assertEquals(1, none.out().lines().count(), none.out());
        assertTrue(none.out().contains("lo:") && none.out().contains("UP"), "loopback only, and up: " + none.out());
    }

    @Test
    void aProcessAboveTheMemoryLimitIsKilled() throws Exception {
        assertEquals(137, run("--rm", "--memory", "16m", image, "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1").exit());
        assertEquals(0, run("--rm", "--memory", "64m", "--pids-limit", "20", "--cpus", "0.5", image,
                "dd", "if=/dev/zero", "of=/dev/null", "bs=8M", "count=1").exit());
    }

    @Test
    void containersChangeOnlyThemselvesAndRemoveLeavesNothing() throws Exception {
        assertEquals(0, run("--rm", image, "true").exit());
        Path snapshots = Path.of(store, "snapshots", "committed");
        Map<String, String> before = Trees.describe(snapshots);
        Run a = run("--name", "a", image, "sh", "-c", "echo mine > /data/new; rm /data/base.txt; echo changed > /tmp/x");
        assertEquals(0, a.exit(), a.err());
        Run b = run("--name", "b", image, "ls", "/data");
        assertEquals("base.txt\nscript\n", b.out(), "b sees the image, not a's changes");
        assertEquals(before, Trees.describe(snapshots), "the image's snapshots are byte for byte as they were");

        Run ps = strata("ps", "-a", "--root", store);
        assertTrue(ps.out().lines().anyMatch(l -> l.endsWith(" a") && l.contains("Exited (0)")), ps.out());
        assertTrue(strata("ps", "--root", store).out().lines().count() == 1, "none running");
        assertTrue(strata("ps", "-a", "--root", store, "--format", "{{.Names}} {{.State}}").out().lines().toList().contains("a exited"),
                "docker's template names");
        // An image containers were made from is kept by rmi unless forced, as docker does...
        Run refused = strata("rmi", "--root", store, image);
        assertEquals(1, refused.exit());
        assertTrue(refused.err().contains("is used by container"), refused.err());
        // ...and gc keeps what containers use, even once their image has no name.
        assertEquals(0, strata("rmi", "-f", "--root", store, image).exit());
        Run gc = strata("gc", "--root", store);
        assertTrue(gc.out().contains(" 0 snapshots"), gc.out());
        assertTrue(strata("diff", "--root", store, "a").out().contains("A /data/new"), "a's writable layer is still there");
        Run busy = strata("rm", "--root", store, "a", "b");
        assertEquals(0, busy.exit(), busy.err());
        Run after = strata("gc", "--root", store);
        assertTrue(after.out().contains(" 1 snapshots"), "with the containers gone, the unnamed image's layer goes: " + after.out());
        assertEquals("", strata("ps", "-a", "-q", "--root", store).out());
        String mountinfo = Files.readString(Path.of("/proc/self/mountinfo"));
        assertFalse(mountinfo.contains(store), "no mount left:\n" + mountinfo);
        assertEquals("", ExternalTool.ok("runc", "--root", store + "/runtime/runc", "list", "--quiet"), "no runtime state left");
        for (String controller : List.of("memory", "pids", "cpu")) {
            Path cgroups = Path.of("/sys/fs/cgroup", controller, "strata");
            if (Files.isDirectory(cgroups)) {
                try (var left = Files.list(cgroups)) {
                    assertEquals(List.of(), left.filter(Files::isDirectory).toList(), "no " + controller + " cgroup left");
                }
            }
        }
        try (var active = Files.list(Path.of(store, "snapshots", "active"))) {
            assertEquals(List.of(), active.filter(p -> !p.getFileName().toString().startsWith(".")).toList(), "no container snapshot left");
        }
    }

    @Test
    void crunRunsOrSaysInOneLineWhyNot() throws Exception {
        ExternalTool.require("crun");
        Run r = run("--rm", "--runtime", "crun", image, "echo", "crun");
        if (r.exit() == 0) {
            assertEquals("crun\n", r.out());
        } else {
            assertEquals(125, r.exit());
            assertEquals(1, r.err().lines().filter(l -> l.startsWith("strata: ")).count(), r.err());
            assertTrue(r.err().contains("crun cannot run containers on this host: its cgroups are in hybrid mode"), r.err());
        }
    }

    @Test
    void detachedContainersLiveOnAndAreManagedByName() throws Exception {
        Run started = run("-d", "--name", "svc", image, "sh", "-c",
                "echo started; echo warning >&2; trap 'echo stopping; exit 7' TERM; while true; do sleep 0.1; done");
        assertEquals(0, started.exit(), started.err());
        String id = started.out().trim();
        assertEquals(64, id.length(), started.out());
        assertTrue(strata("ps", "--root", store).out().lines().anyMatch(l -> l.startsWith(id.substring(0, 12)) && l.contains(" Up ")));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!strata("logs", "--root", store, "svc").out().contains("started") && System.nanoTime() < deadline) Thread.sleep(100);
        Run logs = strata("logs", "--root", store, "svc");
        assertEquals("started\n", logs.out());
        assertEquals("warning\n", logs.err());
        Run exec = strata("exec", "--root", store, "svc", "sh", "-c", "echo $GREETING from exec; pwd; exit 4");
        assertEquals(4, exec.exit(), exec.err());
        assertEquals("hello from exec\n/data\n", exec.out(), "exec runs with the container's env and working directory");
        Run execMissing = strata("exec", "--root", store, "svc", "nosuch");
        assertEquals(127, execMissing.exit(), execMissing.err());
        assertEquals("strata: nosuch: executable file not found in $PATH\n", execMissing.err());
        assertEquals(126, strata("exec", "--root", store, "svc", "/data/script").exit());
        Run execDevice = strata("exec", "--root", store, "svc", "/dev/null");
        assertEquals(126, execDevice.exit(), "the runtime's failure is docker's code, not its 1: " + execDevice.err());
        assertFalse(execDevice.err().contains("level=error"), execDevice.err());
        Run nameInUse = run("-d", "--name", "svc", image, "true");
        assertEquals(125, nameInUse.exit());
        assertEquals("strata: the name svc is in use by container " + id.substring(0, 12) + "\n", nameInUse.err());
        Run rmRunning = strata("rm", "--root", store, "svc");
        assertEquals(1, rmRunning.exit());
        assertTrue(rmRunning.err().contains("is running"), rmRunning.err());
        assertEquals(0, strata("stop", "--root", store, "-t", "10", "svc").exit());
        assertEquals("7\n", strata("wait", "--root", store, id.substring(0, 8)).out(), "the trap's exit code, by id prefix");
        assertTrue(strata("ps", "-a", "--root", store).out().contains("Exited (7)"));
        assertEquals("started\nstopping\n", strata("logs", "--root", store, "svc").out());
        assertEquals("stopping\n", strata("logs", "--root", store, "--tail", "1", "svc").out(), "docker's --tail");
        assertEquals("", strata("logs", "--root", store, "-n", "0", "svc").out());
        assertEquals("strata: --tail must be a number of lines or all, was x\n", strata("logs", "--root", store, "--tail", "x", "svc").err());

        Run execStopped = strata("exec", "--root", store, "svc", "true");
        assertEquals(125, execStopped.exit(), "exec's own failure, not a code the command could give: " + execStopped.err());
        assertTrue(execStopped.err().startsWith("strata: "), execStopped.err());
        assertEquals(0, strata("start", "--root", store, "svc").exit(), "a stopped container starts again");
        assertEquals(0, strata("kill", "--root", store, "svc").exit());
        assertEquals("137\n", strata("wait", "--root", store, "svc").out());
        assertEquals(0, strata("rm", "--root", store, "svc").exit());
        assertEquals("", ExternalTool.ok("runc", "--root", store + "/runtime/runc", "list", "--quiet"));

        // --rm with -d: the shim removes the container once it exits.
        Run once = run("-d", "--rm", "--name", "once", image, "sh", "-c", "sleep 0.5");
        assertEquals(0, once.exit(), once.err());
        long gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < gone && strata("ps", "-a", "--root", store).out().contains("once")) Thread.sleep(100);
        assertFalse(strata("ps", "-a", "--root", store).out().contains("once"), "removed when it exited");
    }

    @Test
    void aDetachedContainerIsMonitoredByConmonNotAJvm() throws Exception {
        Run started = run("-d", "--name", "watched", image, "sleep", "600");
        assertEquals(0, started.exit(), started.err());
        String id = started.out().trim();
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Path.of(store, "containers", id, "container.json").toFile());
        long monitor = json.path("pid").asLong();
        assertEquals("conmon", Files.readString(Path.of("/proc", String.valueOf(monitor), "comm")).strip());
        long rssKb = Files.readAllLines(Path.of("/proc", String.valueOf(monitor), "status")).stream().filter(l -> l.startsWith("VmRSS:"))
                .map(l -> Long.parseLong(l.replaceAll("\\D", ""))).findFirst().orElseThrow();
        assertTrue(rssKb <= 3 * 1024, "the monitor's RSS is at most 3 MB (the issue's target), was " + rssKb + " kB");
        // Nothing of Strata's stays behind with it: no JVM is the monitor's parent or child.
        String tree = ExternalTool.ok("ps", "-e", "-o", "pid=,ppid=,comm=");
        for (String line : tree.lines().toList()) {
            String[] f = line.trim().split("\\s+");
            if (f[1].equals(String.valueOf(monitor))) assertTrue(!f[2].equals("java"), "a JVM under the monitor: " + line);
            if (f[0].equals(String.valueOf(monitor))) assertEquals("1", f[1], "the monitor is re-parented to init, outliving run: " + line);
        }
        assertEquals(0, strata("rm", "-f", "--root", store, "watched").exit());
    }

    @Test
    void aDetachedContainerWhoseCommandCannotRunIsRefusedAsItStarts() throws Exception {
        Run missing = run("-d", "--name", "broken", image, "nosuch");
        assertEquals(127, missing.exit(), missing.out() + missing.err());
        assertTrue(missing.err().endsWith("\nstrata: nosuch: executable file not found in $PATH\n")
                || missing.err().equals("strata: nosuch: executable file not found in $PATH\n"), missing.err());
        assertEquals("", missing.out(), "no container ID for a container that did not start");
        assertTrue(strata("ps", "-a", "--root", store).out().lines().anyMatch(l -> l.contains("broken") && l.contains("Exited (127)")));
        assertEquals("nosuch: executable file not found in $PATH\n", strata("logs", "--root", store, "broken").err());
        Run again = strata("start", "--root", store, "broken");
        assertEquals(127, again.exit(), again.err());
        assertTrue(again.err().contains("nosuch: executable file not found in $PATH"), again.err());
        assertEquals(0, strata("rm", "--root", store, "broken").exit());

        Run notExecutable = run("-d", "--rm", "--name", "once-broken", image, "/data/script");
        assertEquals(126, notExecutable.exit(), notExecutable.err());
        assertEquals("strata: /data/script: permission denied\n", notExecutable.err());
        assertFalse(strata("ps", "-a", "--root", store).out().contains("once-broken"), "--rm removed it");
        assertEquals("", ExternalTool.ok("runc", "--root", store + "/runtime/runc", "list", "--quiet"));
        assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(store + "/containers"), "nothing left mounted");
    }

    @Test
    void aContainerWhoseSupervisorDiedIsReportedExitedAndRemovable() throws Exception {
        Run started = run("-d", "--name", "orphan", image, "sleep", "600");
        assertEquals(0, started.exit(), started.err());
        String id = started.out().trim();
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Path.of(store, "containers", id, "container.json").toFile());
        long shim = json.path("pid").asLong();
        assertTrue(shim > 0, json.toString());
        ExternalTool.ok("kill", "-9", String.valueOf(shim));
        ExternalTool.ok("runc", "--root", store + "/runtime/runc", "kill", id, "KILL");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline && !strata("ps", "-a", "--root", store).out().contains("Exited")) Thread.sleep(100);
        assertTrue(strata("ps", "-a", "--root", store).out().contains("Exited (255)"), "no exit code was seen: 255, as docker");
        Run rm = strata("rm", "--root", store, "orphan");
        assertEquals(0, rm.exit(), rm.err());
        assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(store), "the stale mount was cleaned up");
    }

    @Test
    void commitDiffPushPullAndRunTheChange() throws Exception {
        Run changed = run("--name", "work", image, "sh", "-c",
                "echo new > /data/new.txt; rm /data/base.txt; mkdir /tmp/dir; echo f > /tmp/dir/f");
        assertEquals(0, changed.exit(), changed.err());
        Run diff = strata("diff", "--root", store, "work");
        assertEquals(List.of("C /data", "D /data/base.txt", "A /data/new.txt", "C /tmp", "A /tmp/dir", "A /tmp/dir/f"), diff.out().lines().toList());

        Run commit = strata("commit", "--root", store, "-m", "first change", "-c", "CMD [\"ls\", \"/data\"]", "work", "local/changed:v1");
        assertEquals(0, commit.exit(), commit.err());
        assertEquals("new.txt\nscript\n", run("--rm", "local/changed:v1").out(), "the committed image runs its new Cmd and sees the change");
        Run history = strata("history", "--root", store, "--format", "json", "local/changed:v1");
        assertTrue(history.out().contains("first change"), history.out());
        var snapshots = new com.fasterxml.jackson.databind.ObjectMapper().readTree(strata("snapshots", "--root", store, "--format", "json").out());
        long committed = 0;
        for (var sn : snapshots) if (sn.path("state").asText().equals("committed")) committed++;
        assertEquals(2, committed, "the base's snapshot and the new layer's: " + snapshots);
        // The container is not changed by its commit (docker's habit): its diff and its image stay, and it commits again.
        assertEquals(diff.out(), strata("diff", "--root", store, "work").out());
        assertTrue(strata("ps", "-a", "--root", store).out().lines().anyMatch(l -> l.contains(image) && l.contains("work")));
        Run again1 = strata("commit", "--root", store, "work", "local/changed:again");
        assertEquals(0, again1.exit(), again1.err());
        assertEquals("new.txt\nscript\n", run("--rm", "local/changed:again", "ls", "/data").out());

        // A running container is committed frozen (--pause), and runs on; a change after it goes into the next commit.
        assertEquals(0, run("-d", "--name", "live", image, "sh", "-c", "echo 1 > /data/live; sleep 600").exit());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!strata("diff", "--root", store, "live").out().contains("A /data/live") && System.nanoTime() < deadline) Thread.sleep(100);
        assertEquals(0, strata("commit", "--root", store, "live", "local/live:1").exit());
        assertEquals(0, strata("exec", "--root", store, "live", "sh", "-c", "echo 2 > /data/live").exit());
        assertEquals(0, strata("commit", "--root", store, "--pause=false", "live", "local/live:2").exit());
        assertTrue(strata("ps", "--root", store).out().contains("live"), "still running after two commits");
        assertEquals("1\n", run("--rm", "local/live:1", "cat", "/data/live").out());
        assertEquals("2\n", run("--rm", "local/live:2", "cat", "/data/live").out());
        assertEquals(0, strata("rm", "-f", "--root", store, "live").exit());

        // A second round: replace a directory (its old contents must go) on top of the committed image.
        assertEquals(0, run("--name", "work2", "local/changed:v1", "sh", "-c", "rm -r /tmp/dir; mkdir /tmp/dir; echo g > /tmp/dir/g").exit());
        assertEquals(0, strata("commit", "--root", store, "--compress", "zstd", "work2", "local/changed:v2").exit());

        String remote = "127.0.0.1:" + registry.port() + "/lib/changed:v2";
        Run push = strata("push", "--root", store, "local/changed:v2", remote);
        assertEquals(0, push.exit(), push.err());
        String fresh = tmp.resolve("fresh").toString();
        Run again = strata("run", "--root", fresh, "--rm", remote, "sh", "-c", "ls /data /tmp/dir");
        assertEquals(0, again.exit(), again.err());
        assertEquals(List.of("/data:", "new.txt", "script", "", "/tmp/dir:", "g"), again.out().lines().toList(),
                "pulled into a fresh store: base.txt and /tmp/dir/f deleted, the new files there");
        assertEquals(0, strata("rm", "--root", store, "work", "work2").exit());
    }

    @Test
    void saveLoadAndExport() throws Exception {
        ExternalTool.require("podman");
        assertEquals(0, run("--rm", image, "true").exit());
        String name = image;
        Path archive = tmp.resolve("images.tar");
        Run save = strata("save", "--root", store, "-o", archive.toString(), image);
        assertEquals(0, save.exit(), save.err());

        // skopeo and podman read it.
        ExternalTool.ok("skopeo", "copy", "--quiet", "oci-archive:" + archive + ":" + name, "oci:" + tmp.resolve("copied") + ":v1");
        String podmanOut = ExternalTool.ok("podman", "--root", tmp.resolve("podman/root").toString(), "--runroot",
                tmp.resolve("podman/run").toString(), "--storage-driver", "vfs", "load", "-i", archive.toString());
        assertTrue(podmanOut.contains("Loaded image"), podmanOut);

        // A fresh store loads it and runs it.
        String fresh = tmp.resolve("fresh").toString();
        Run load = strata("load", "--root", fresh, "-i", archive.toString());
        assertEquals("Loaded image: " + name + "\n", load.out(), load.err());
        assertEquals("base\n", strata("run", "--root", fresh, "--rm", name, "cat", "/data/base.txt").out());

        // A tampered archive is refused and names what is wrong.
        byte[] bytes = Files.readAllBytes(archive);
        Path bad = tmp.resolve("bad.tar");
        byte[] tampered = bytes.clone();
        int block = largestEntry(bytes);
        tampered[block + 512 + 1000] ^= 1; // a byte of the layer blob's data: its digest no longer matches
        Files.write(bad, tampered);
        Run refused = strata("load", "--root", tmp.resolve("other").toString(), "-i", bad.toString());
        assertEquals(1, refused.exit(), refused.out());
        assertEquals(1, refused.err().lines().count(), refused.err());

        // export: the merged view, flattened, without whiteouts.
        assertEquals(0, run("--name", "ex", image, "sh", "-c", "echo x > /data/x; rm /data/base.txt").exit());
        Path exported = tmp.resolve("rootfs.tar");
        assertEquals(0, strata("export", "--root", store, "-o", exported.toString(), "ex").exit());
        List<String> entries = ExternalTool.ok("tar", "-tf", exported.toString()).lines().toList();
        assertTrue(entries.contains("data/x") && entries.contains("bin/busybox"), entries.toString());
        assertFalse(entries.contains("data/base.txt"), "deleted in the container");
        assertTrue(entries.stream().noneMatch(e -> e.contains(".wh.")), entries.toString());
        assertEquals(0, strata("rm", "--root", store, "ex").exit());
    }

    @Test
    void aRunKilledMidWayLeavesAContainerThatRmCleansUp() throws Exception {
        assertEquals(0, run("--rm", image, "true").exit());
        Process cli = launcher("run", "--root", store, "--name", "killed", image, "sleep", "600")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && !strata("ps", "--root", store).out().contains("killed")) Thread.sleep(100);
        assertTrue(strata("ps", "--root", store).out().contains("killed"), "the container runs");
        cli.destroyForcibly(); // SIGKILL to the JVM: nothing of ours runs after this
        cli.waitFor(30, TimeUnit.SECONDS);

        Run refused = strata("rm", "--root", store, "killed");
        assertEquals(1, refused.exit(), "its process still runs, so plain rm refuses: " + refused.err());
        Run forced = strata("rm", "-f", "--root", store, "killed");
        assertEquals(0, forced.exit(), forced.err());
        assertEquals("", strata("ps", "-a", "-q", "--root", store).out());
        assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(store + "/containers"), "no mount left");
        assertEquals("", ExternalTool.ok("runc", "--root", store + "/runtime/runc", "list", "--quiet"), "no runtime state left");

        // With --rm, a run whose command was killed is removed once its container ended, at the next look.
        Process rmCli = launcher("run", "--root", store, "--rm", "--name", "gone", image, "sleep", "2")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && !strata("ps", "--root", store).out().contains("gone")) Thread.sleep(100);
        rmCli.destroyForcibly();
        rmCli.waitFor(30, TimeUnit.SECONDS);
        deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline && strata("ps", "-a", "--root", store).out().contains("gone")) Thread.sleep(200);
        assertFalse(strata("ps", "-a", "--root", store).out().contains("gone"), "removed after it exited");
        assertFalse(Files.readString(Path.of("/proc/self/mountinfo")).contains(store + "/containers"), "no mount left");
    }

    /** The offset of the header of the archive's largest entry (the busybox layer). */
    private static int largestEntry(byte[] tar) {
        int best = -1;
        long bestSize = -1;
        for (int at = 0; at + 512 <= tar.length; ) {
            if (tar[at] == 0) break;
            long size = Long.parseLong(new String(tar, at + 124, 11, java.nio.charset.StandardCharsets.US_ASCII).trim(), 8);
            if (size > bestSize) {
                bestSize = size;
                best = at;
            }
            at += 512 + (int) ((size + 511) / 512 * 512);
        }
        return best;
    }

    @Test
    void dockerSaveArchivesLoadAndRun() throws Exception {
        ExternalTool.require("dockerd");
        ExternalTool.require("docker");
        Path dir = Files.createDirectories(tmp.resolve("docker"));
        try (var dockerd = io.strata.registry.Daemon.dockerd(dir)) {
            Path socket = dockerd.socket();
            Path rootfsTar = tmp.resolve("rootfs.tar");
            ExternalTool.ok("tar", "-C", tmp.resolve("rootfs").toString(), "-cf", rootfsTar.toString(), ".");
            ExternalTool.ok("docker", "--host", "unix://" + socket, "import", rootfsTar.toString(), "local/imported:v1");
            Path saved = tmp.resolve("docker-save.tar");
            ExternalTool.ok("docker", "--host", "unix://" + socket, "save", "-o", saved.toString(), "local/imported:v1");
            Run load = strata("load", "--root", store, "-i", saved.toString());
            assertEquals("Loaded image: docker.io/local/imported:v1\n", load.out(), load.err());
            Run r = strata("run", "--root", store, "--rm", "local/imported:v1", "/bin/cat", "/data/base.txt");
            assertEquals("base\n", r.out(), r.err());
        }
    }

    @Test
    void aTerminalWithMinusT() throws Exception {
        ExternalTool.require("script");
        assertEquals(0, run("--rm", image, "true").exit(), "pulled first, without a terminal");
        String cmd = LAUNCHER + " run --root " + store + " --rm -t " + image + " sh -c 'tty; stty size'";
        var r = ExternalTool.run(List.of("script", "-qec", "stty cols 91 rows 17; STRATA_NO_BUILD=1 " + cmd, "/dev/null"));
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("/dev/pts/0"), "the container has a terminal: " + r.out());
        assertTrue(r.out().contains("17 91"), "of the caller's size: " + r.out());
    }
}
