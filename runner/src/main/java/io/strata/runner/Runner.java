package io.strata.runner;

import io.strata.oci.Digest;
import io.strata.oci.ImageConfig;
import io.strata.snapshots.Mount;
import io.strata.snapshots.OverlaySnapshotter;
import io.strata.snapshots.Snapshotter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Creates, runs and removes containers: a container's root filesystem is an overlay of its image's
 * committed snapshots under an active snapshot of its own, so running it never changes the image and
 * two containers of one image never see each other's changes.
 */
public final class Runner {
    static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final OverlaySnapshotter snapshotter;
    private final ContainerStore containers;
    private final Path runtimeState;

    public Runner(OverlaySnapshotter snapshotter, ContainerStore containers, Path runtimeState) {
        this.snapshotter = snapshotter;
        this.containers = containers;
        this.runtimeState = runtimeState;
    }

    /** An image as the runner needs it: its name, manifest digest, config and layer stack. */
    public record Image(String name, Digest manifest, ImageConfig config, List<Digest> chainIds) {}

    /** What {@code strata run} and {@code create} take. */
    public record Options(
            String name,
            List<String> command,
            String entrypoint,
            List<String> env,
            String workdir,
            String user,
            String hostname,
            RunSpec.Network network,
            List<RunSpec.Bind> binds,
            boolean readOnly,
            Long memoryBytes,
            Double cpus,
            Long pidsLimit,
            boolean terminal,
            String runtime) {}

    public OciRuntime runtime(Container c) {
        return new OciRuntime(c.runtime(), runtimeState.resolve(c.runtime()));
    }

    /** A new container, its snapshot prepared and mounted, its bundle written; not started. */
    public Container create(Image image, Options o) throws IOException {
        OciRuntime runtime = new OciRuntime(o.runtime(), runtimeState.resolve(o.runtime()));
        runtime.checkUsable();
        if (image.chainIds().isEmpty()) throw new IllegalArgumentException(image.name() + " has no layers to run");
        String top = image.chainIds().getLast().toString();
        if (snapshotter.stat(top).filter(s -> s.kind() == Snapshotter.Kind.COMMITTED).isEmpty()) {
            throw new IllegalStateException(image.name() + " is not unpacked: strata unpack " + image.name());
        }
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String id = HexFormat.of().formatHex(random);
        String name = o.name() != null ? o.name() : "strata-" + id.substring(0, 12);
        String key = "container-" + id;
        ImageConfig.Config cfg = image.config().config() != null ? image.config().config()
                : new ImageConfig.Config(null, null, null, null, null, null, null, null, null);
        List<String> args = new ArrayList<>();
        // config.md / conversion.md: Entrypoint then Cmd; arguments replace Cmd; --entrypoint replaces both.
        if (o.entrypoint() != null) {
            if (!o.entrypoint().isEmpty()) args.add(o.entrypoint());
            args.addAll(o.command());
        } else {
            if (cfg.entrypoint() != null) args.addAll(cfg.entrypoint());
            args.addAll(!o.command().isEmpty() ? o.command() : cfg.cmd() == null ? List.of() : cfg.cmd());
        }
        Container c = new Container(id, name, image.name(), image.manifest().toString(), args, Instant.now().toString(),
                Container.Status.CREATED, null, null, key, o.runtime());
        containers.create(c);
        try {
            snapshotter.prepare(key, top);
            Path bundle = Files.createDirectories(containers.bundle(id));
            Path rootfs = Files.createDirectories(bundle.resolve("rootfs"));
            mountRootfs(c);
            try {
                Users.Ids user = Users.resolve(rootfs, o.user() != null ? o.user() : cfg.user());
                List<String> env = env(cfg.env(), o.env(), user, o.hostname() != null ? o.hostname() : id.substring(0, 12));
                String cwd = o.workdir() != null ? o.workdir() : cfg.workingDir() == null || cfg.workingDir().isEmpty() ? "/" : cfg.workingDir();
                if (!cwd.startsWith("/")) throw new IllegalArgumentException("the working directory must be absolute, was " + cwd);
                RunSpec spec = new RunSpec(args, env, cwd, user, o.terminal(), o.hostname() != null ? o.hostname() : id.substring(0, 12),
                        o.network(), o.binds(), o.readOnly(), o.memoryBytes(), o.cpus(), o.pidsLimit());
                Bundle.write(bundle, spec);
            } finally {
                unmountRootfs(c);
            }
        } catch (IOException | RuntimeException e) {
            remove(c, true);
            throw e;
        }
        return c;
    }

    /** Image env, then the user's; PATH, HOSTNAME and HOME as docker sets them when missing. */
    static List<String> env(List<String> image, List<String> given, Users.Ids user, String hostname) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String e : image == null ? List.<String>of() : image) put(out, e);
        for (String e : given) put(out, e);
        out.putIfAbsent("PATH", DEFAULT_PATH.substring(5));
        out.putIfAbsent("HOSTNAME", hostname);
        out.putIfAbsent("HOME", user.home() == null || user.home().isEmpty() ? "/" : user.home());
        List<String> list = new ArrayList<>();
        out.forEach((k, v) -> list.add(k + "=" + v));
        return list;
    }

    private static void put(Map<String, String> env, String kv) {
        int eq = kv.indexOf('=');
        if (eq <= 0) throw new IllegalArgumentException("environment entries are KEY=VALUE, was " + kv);
        env.put(kv.substring(0, eq), kv.substring(eq + 1));
    }

    private void mountRootfs(Container c) throws IOException {
        Path rootfs = containers.bundle(c.id()).resolve("rootfs");
        if (isMounted(rootfs)) return;
        snapshotter.mounts(c.snapshot()).getFirst().mount(rootfs);
    }

    private void unmountRootfs(Container c) throws IOException {
        Path rootfs = containers.bundle(c.id()).resolve("rootfs");
        while (isMounted(rootfs)) Mount.unmount(rootfs);
    }

    static boolean isMounted(Path p) throws IOException {
        String s = " " + p.toAbsolutePath() + " ";
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            if (line.replace("\\040", " ").contains(s)) return true;
        }
        return false;
    }

    /**
     * Runs a created container in the foreground: stdio is this process's, signals to this process
     * go to the container, and the answer is the container's exit code (126 and 127 when its command
     * cannot be executed or found, as docker answers).
     */
    public int runForeground(Container c) throws IOException {
        mountRootfs(c);
        try {
            int missing = checkCommand(c);
            if (missing != 0) {
                record(c, missing);
                return missing;
            }
            OciRuntime runtime = runtime(c);
            runtime.delete(c.id()); // state a killed earlier run left
            Process p = runtime.runForeground(c.id(), containers.bundle(c.id()));
            containers.write(c.with(Container.Status.RUNNING, null, null));
            List<sun.misc.Signal> forwarded = new ArrayList<>();
            for (String sig : List.of("INT", "TERM", "HUP", "QUIT")) {
                try {
                    sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> {
                        try {
                            runtime.kill(c.id(), "SIG" + sig);
                        } catch (IOException ignored) {
                            // the container is gone already
                        }
                    });
                    forwarded.add(new sun.misc.Signal(sig));
                } catch (IllegalArgumentException ignored) {
                    // the JVM keeps this signal for itself
                }
            }
            int code;
            try {
                code = p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            record(c, code);
            runtime.delete(c.id());
            return code;
        } finally {
            unmountRootfs(c);
        }
    }

    private void record(Container c, int code) throws IOException {
        containers.write(c.with(Container.Status.EXITED, code, Instant.now().toString()));
    }

    /** 127 when the command is not found in the container, 126 when it is not executable, else 0. */
    private int checkCommand(Container c) throws IOException {
        Path rootfs = containers.bundle(c.id()).resolve("rootfs");
        String cmd = c.command().getFirst();
        List<String> candidates = new ArrayList<>();
        if (cmd.contains("/")) {
            candidates.add(cmd.startsWith("/") ? cmd : "/" + cmd);
        } else {
            String path = DEFAULT_PATH.substring(5);
            var config = com.fasterxml.jackson.databind.json.JsonMapper.builder().build()
                    .readTree(containers.bundle(c.id()).resolve("config.json").toFile());
            for (var e : config.path("process").path("env")) {
                if (e.asText().startsWith("PATH=")) path = e.asText().substring(5);
            }
            for (String dir : path.split(":")) if (!dir.isEmpty()) candidates.add(dir + "/" + cmd);
        }
        boolean foundButNotExecutable = false;
        for (String candidate : candidates) {
            Path p = RootfsPaths.resolve(rootfs, candidate);
            if (p == null || !Files.isRegularFile(p)) continue;
            int mode = (Integer) Files.getAttribute(p, "unix:mode");
            if ((mode & 0111) != 0) return 0;
            foundButNotExecutable = true;
        }
        System.err.println("strata: " + cmd + ": " + (foundButNotExecutable ? "permission denied" : cmd.contains("/")
                ? "no such file or directory" : "executable file not found in $PATH"));
        return foundButNotExecutable ? 126 : 127;
    }

    /** Removes a container: its runtime state, mounts, snapshot and files. Refuses a running one unless forced. */
    public void remove(Container c, boolean force) throws IOException {
        OciRuntime runtime = runtime(c);
        Container current = containers.get(c.id()).orElse(c);
        if (current.status() == Container.Status.RUNNING && runtime.list().contains(c.id()) && !force) {
            throw new IllegalStateException("container " + c.name() + " is running: stop it first, or rm -f");
        }
        try {
            runtime.delete(c.id());
        } catch (IOException ignored) {
            // the runtime binary is gone: nothing of the runtime's to clean
        }
        unmountRootfs(c);
        if (snapshotter.stat(c.snapshot()).isPresent()) snapshotter.remove(c.snapshot());
        Path dir = containers.dir(c.id());
        if (Files.exists(dir)) {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
            }
        }
    }
}
