package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.client.ImageBuilder;
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
import org.junit.jupiter.api.io.TempDir;

/**
 * What the runner's tests share: a registry with a busybox image, a store of their own, and
 * {@code ./strata} run as a user runs it; containers a test left behind are removed after it.
 */
abstract class ContainerCliTest {
    static final Path LAUNCHER = Path.of("..", "strata").toAbsolutePath().normalize();

    @TempDir
    protected Path tmp;

    protected Registry registry;
    protected String image;
    protected String store;

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
        try {
            // A test that failed half-way must not leave its containers running (a busy one took a
            // core from the rest of the build) or their rootfs mounted under the temporary directory.
            if (store != null && Files.isDirectory(Path.of(store))) {
                List<String> left = strata("ps", "-a", "-q", "--root", store).out().lines().toList();
                if (!left.isEmpty()) {
                    List<String> rm = new ArrayList<>(List.of("rm", "-f", "--root", store));
                    rm.addAll(left);
                    Run removed = strata(rm.toArray(String[]::new)); // one may be gone meanwhile: a -d --rm container's shim removes it
                    assertEquals("", strata("ps", "-a", "-q", "--root", store).out(), "left by the test, and not removed: " + removed.err());
                }
                // Networks have bridges on the host, which outlive the store's temporary directory.
                strata("network", "prune", "-f", "--root", store);
            }
        } finally {
            if (registry != null) registry.close();
        }
    }

    /** A one-layer image: busybox with its applets, a passwd with a user in a supplementary group, a data file. */
    private void publishBusybox() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("rootfs"));
        for (String d : List.of("bin", "etc", "tmp", "data", "home/app")) Files.createDirectories(root.resolve(d));
        Native.chmod(root.resolve("tmp"), 01777);
        Files.copy(Path.of(ExternalTool.ok("sh", "-c", "command -v busybox").trim()), root.resolve("bin/busybox"));
        for (String applet : List.of("sh", "echo", "cat", "ls", "id", "pwd", "touch", "rm", "ip", "hostname", "dd", "true", "sleep", "mv", "ln", "httpd", "nc",
                "mkdir")) {
            Files.createSymbolicLink(root.resolve("bin/" + applet), Path.of("busybox"));
        }
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\napp:x:1000:\nextra:x:2000:app\n");
        Files.writeString(root.resolve("data/base.txt"), "base\n");
        Path notExecutable = Files.writeString(root.resolve("data/script"), "#!/bin/sh\n");
        Native.chmod(notExecutable, 0644);
        publish(root, image);
    }

    /** Pushes the tree at {@code root} as a one-layer image named {@code ref}, with busybox's config. */
    protected void publish(Path root, String ref) throws Exception {
        publish(root, ref, null);
    }

    /** As {@link #publish(Path, String)}, the config exposing {@code exposedPorts}. */
    protected void publish(Path root, String ref, java.util.Map<String, Object> exposedPorts) throws Exception {
        publish(root, ref, exposedPorts, null);
    }

    /** As {@link #publish(Path, String)}, the config exposing {@code exposedPorts} and declaring {@code volumes} (VOLUME). */
    protected void publish(Path root, String ref, java.util.Map<String, Object> exposedPorts, java.util.Map<String, Object> volumes)
            throws Exception {
        publish(root, ref, exposedPorts, volumes, null);
    }

    /** As above, with the image's STOPSIGNAL. */
    protected void publish(Path root, String ref, java.util.Map<String, Object> exposedPorts, java.util.Map<String, Object> volumes,
                           String stopSignal) throws Exception {
        List<String> paths = new ArrayList<>();
        try (var walk = Files.walk(root)) {
            walk.forEach(p -> paths.add("./" + root.relativize(p)));
        }
        Path tar = ImageBuilder.gnuTar(root, Files.createTempFile(tmp, "layer", ".tar"), paths);
        Path layout = Files.createTempDirectory(tmp, "layout");
        new ImageBuilder().layer(tar).config(new ImageConfig.Config(null, exposedPorts, List.of("PATH=/bin", "GREETING=hello"), null,
                List.of("/bin/sh", "-c", "echo default command"), volumes, "/data", null, stopSignal)).write(layout, "v1", ImageBuilder.Compression.GZIP);
        ExternalTool.ok("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":v1", "docker://" + ref);
    }

    /** ./strata ARGS against the jar this build packaged (never a build of its own, whatever the files' times). */
    protected ProcessBuilder launcher(String... args) {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().put("STRATA_NO_BUILD", "1");
        return pb;
    }

    protected Run strata(String... args) throws Exception {
        ProcessBuilder pb = launcher(args);
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), String.join(" ", args));
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    protected Run run(String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("run", "--root", store));
        all.addAll(List.of(args));
        return strata(all.toArray(String[]::new));
    }

    /** podman with a store of the test's own, runc (crun cannot run on this host's hybrid cgroups) and no network. */
    protected List<String> podman(String... args) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("podman"));
        List<String> cmd = new ArrayList<>(List.of("podman", "--root", dir.resolve("root").toString(), "--runroot", dir.resolve("run").toString(),
                "--storage-driver", "vfs", "--runtime", "runc"));
        cmd.addAll(List.of(args));
        return cmd;
    }

    protected ExternalTool.Result podmanRun(String... args) throws Exception {
        Path conf = Files.writeString(tmp.resolve("containers.conf"),
                "[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n");
        // The test's registry speaks plain HTTP: verbs without --tls-verify (manifest inspect) learn it here.
        Path registries = Files.writeString(tmp.resolve("registries.conf"),
                "[[registry]]\nlocation = \"127.0.0.1:" + registry.port() + "\"\ninsecure = true\n");
        ProcessBuilder pb = new ProcessBuilder(podman(args)).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().put("CONTAINERS_CONF", conf.toString());
        pb.environment().put("CONTAINERS_REGISTRIES_CONF", registries.toString());
        Path out = Files.createTempFile(tmp, "podman", ".out");
        Path err = Files.createTempFile(tmp, "podman", ".err");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        p.waitFor();
        return new ExternalTool.Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }

}
