package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.client.ImageBuilder;
import io.strata.client.Trees;
import io.strata.oci.ImageConfig;
import io.strata.registry.ExternalTool;
import io.strata.registry.Registry;
import io.strata.registry.RegistryConfig;
import io.strata.snapshots.Native;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** strata run, ps and rm with runc, on a busybox image pulled from a registry, as a user runs them. */
class RunCliIT {
    private static final Path LAUNCHER = Path.of("..", "strata").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    private Registry registry;
    private String image;
    private String store;

    record Run(int exit, String out, String err) {}

    @BeforeEach
    void start() throws Exception {
        ExternalTool.requireRoot();
        ExternalTool.require("skopeo");
        ExternalTool.require("runc");
        ExternalTool.require("busybox");
        Path f = tmp.resolve("strata.yml");
        Files.writeString(f, "listen: 127.0.0.1:0\nlog:\n  access: false\nstorage:\n  filesystem:\n    root: " + tmp.resolve("data") + "\n");
        registry = Registry.start(RegistryConfig.load(f, Map.of()));
        image = "127.0.0.1:" + registry.port() + "/lib/busybox:v1";
        store = tmp.resolve("store").toString();
        publishBusybox();
    }

    @AfterEach
    void stop() throws Exception {
        if (registry != null) registry.close();
    }

    /** A one-layer image: busybox with its applets, a passwd with a user in a supplementary group, a data file. */
    private void publishBusybox() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("rootfs"));
        for (String d : List.of("bin", "etc", "tmp", "data", "home/app")) Files.createDirectories(root.resolve(d));
        Native.chmod(root.resolve("tmp"), 01777);
        Files.copy(Path.of(ExternalTool.ok("sh", "-c", "command -v busybox").trim()), root.resolve("bin/busybox"));
        for (String applet : List.of("sh", "echo", "cat", "ls", "id", "pwd", "touch", "rm", "ip", "hostname", "dd", "true", "sleep")) {
            Files.createSymbolicLink(root.resolve("bin/" + applet), Path.of("busybox"));
        }
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\napp:x:1000:\nextra:x:2000:app\n");
        Files.writeString(root.resolve("data/base.txt"), "base\n");
        Path notExecutable = Files.writeString(root.resolve("data/script"), "#!/bin/sh\n");
        Native.chmod(notExecutable, 0644);
        List<String> paths = new ArrayList<>();
        try (var walk = Files.walk(root)) {
            walk.forEach(p -> paths.add("./" + root.relativize(p)));
        }
        Path tar = ImageBuilder.gnuTar(root, tmp.resolve("layer.tar"), paths);
        Path layout = tmp.resolve("layout");
        new ImageBuilder().layer(tar).config(new ImageConfig.Config(null, null, List.of("PATH=/bin", "GREETING=hello"), null,
                List.of("/bin/sh", "-c", "echo default command"), null, "/data", null, null)).write(layout, "v1", ImageBuilder.Compression.GZIP);
        ExternalTool.ok("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":v1", "docker://" + image);
    }

    private Run strata(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().put("STRATA_NO_BUILD", "1");
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), String.join(" ", args));
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private Run run(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("run", "--root", store));
        all.addAll(List.of(args));
        return strata(all.toArray(String[]::new));
    }

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
        Run entry = run("--rm", "--entrypoint", "/bin/echo", image, "via", "entrypoint");
        assertEquals("via entrypoint\n", entry.out());
    }

    @Test
    void envWorkdirAndUserByName() throws Exception {
        Run r = run("--rm", "-e", "FOO=bar", "-u", "app", "-w", "/tmp", "--hostname", "box", image,
                "sh", "-c", "echo $GREETING $FOO; id -u; id -G; pwd; hostname; echo $HOME");
        assertEquals(0, r.exit(), r.err());
        assertEquals(List.of("hello bar", "1000", "1000 2000", "/tmp", "box", "/home/app"), r.out().lines().toList());
        Run numeric = run("--rm", "-u", "1234:5678", image, "id");
        assertEquals("uid=1234 gid=5678\n", numeric.out(), "ids not in the image pass through: " + numeric.err());
        Run unknown = run("--rm", "-u", "nobody", image, "id");
        assertEquals(1, unknown.exit());
        assertTrue(unknown.err().contains("unable to find user nobody"), unknown.err());
    }

    @Test
    void volumesReadOnlyAndNetwork() throws Exception {
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        assertEquals(0, run("--rm", "-v", shared + ":/mnt", image, "sh", "-c", "echo from-container > /mnt/out").exit());
        assertEquals("from-container\n", Files.readString(shared.resolve("out")));
        assertNotEquals(0, run("--rm", "-v", shared + ":/mnt:ro", image, "touch", "/mnt/no").exit());
        assertFalse(Files.exists(shared.resolve("no")));
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
        Run busy = strata("rm", "--root", store, "a", "b");
        assertEquals(0, busy.exit(), busy.err());
        assertEquals("", strata("ps", "-a", "-q", "--root", store).out());
        String mountinfo = Files.readString(Path.of("/proc/self/mountinfo"));
        assertFalse(mountinfo.contains(store), "no mount left:\n" + mountinfo);
        assertEquals("", ExternalTool.ok("runc", "--root", store + "/runtime/runc", "list", "--quiet"), "no runtime state left");
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
            assertEquals(1, r.exit());
            assertEquals(1, r.err().lines().filter(l -> l.startsWith("strata: ")).count(), r.err());
            assertTrue(r.err().contains("crun cannot run containers on this host: its cgroups are in hybrid mode"), r.err());
        }
    }
}
