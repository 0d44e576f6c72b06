package io.strata.runner;

import io.strata.oci.Digest;
import io.strata.oci.ImageConfig;
import io.strata.snapshots.Mount;
import io.strata.snapshots.OverlaySnapshotter;
import io.strata.snapshots.Snapshotter;
import java.io.IOException;
import java.io.OutputStream;
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
    private final Volumes volumes;
    private final Networks networks;
    private final Path runtimeState;
    private final io.strata.client.store.Leases leases;

    /** {@code leases} hold a container's snapshots while it is created, until gc can see it in the container store. */
    public Runner(OverlaySnapshotter snapshotter, ContainerStore containers, Path runtimeState, io.strata.client.store.Leases leases,
                  Volumes volumes, Networks networks) {
        this.snapshotter = snapshotter;
        this.containers = containers;
        this.volumes = volumes;
        this.networks = networks;
        this.runtimeState = runtimeState;
        this.leases = leases;
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
            String runtime,
            List<PortMapping> ports,
            RunSpec.Dns dns,
            List<RunSpec.ExtraHost> extraHosts,
            List<VolumeMount> volumes,
            List<RunSpec.Tmpfs> tmpfs,
            String ip,
            String mac,
            String networkName,
            List<String> aliases,
            String stopSignal,
            Integer stopTimeout) {
        public Options {
            ports = ports == null ? List.of() : List.copyOf(ports);
            volumes = volumes == null ? List.of() : List.copyOf(volumes);
            aliases = aliases == null ? List.of() : List.copyOf(aliases);
            networkName = networkName == null ? Networking.NETWORK : networkName;
            if (stopSignal != null) Signals.parse(stopSignal);
            if (stopTimeout != null && stopTimeout < 0) throw new IllegalArgumentException("--stop-timeout must not be negative");
        }
    }

    /**
     * Checks what a container asks of its network before anything is made: ports, an address, a MAC
     * address and aliases are for a network of its own (none and host have nothing to forward or
     * address); the network must exist, the address be in its subnet, aliases on a user's network
     * (docker's rule: the default bridge has no names). Returns the network, or null off the bridge.
     */
    public Networks.Network checkNetwork(RunSpec.Network network, String name, List<PortMapping> ports, String ip, String mac,
                                         List<String> aliases) throws IOException {
        String other = "(--network " + network.name().toLowerCase() + ")";
        if (!ports.isEmpty() && network != RunSpec.Network.BRIDGE) {
            throw new IllegalArgumentException("ports are published on a network of the container's own only " + other);
        }
        if ((ip != null || mac != null) && network != RunSpec.Network.BRIDGE) {
            throw new IllegalArgumentException("--ip and --mac-address are for a network of the container's own " + other);
        }
        new Networking.Request(name, ports, ip, mac, aliases);
        if (network != RunSpec.Network.BRIDGE) {
            if (!aliases.isEmpty()) throw new IllegalArgumentException("--network-alias is for a network made with strata network create " + other);
            return null;
        }
        Networks.Network n = networks.get(name == null ? Networking.NETWORK : name);
        if (ip != null && !Networking.inSubnet(ip, n.subnet())) {
            throw new IllegalArgumentException("--ip " + ip + " is not an address of network " + n.name() + " (" + n.subnet() + ")");
        }
        if (!aliases.isEmpty() && n.isDefault()) {
            throw new IllegalArgumentException("--network-alias is for a network made with strata network create (the default bridge has no names)");
        }
        for (String a : aliases) {
            if (!a.matches("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}")) throw new IllegalArgumentException("invalid --network-alias " + a);
        }
        return n;
    }

    /** The networks. */
    public Networks networks() {
        return networks;
    }

    /** The containers (by id) that ask for the network, running or not. */
    public List<String> networkUsers(String name) throws IOException {
        List<String> out = new ArrayList<>();
        for (Container c : containers.list()) {
            Networking.Request r = Networking.requested(containers.dir(c.id()));
            if (r != null && r.network().equals(name)) out.add(c.id());
        }
        return out;
    }

    /** Removes a network no container asks for; one in use is refused, naming the containers. */
    public void removeNetwork(String name) throws IOException {
        Networks.Network n = networks.get(name);
        if (n.isDefault()) throw new IllegalArgumentException("the default network bridge cannot be removed");
        List<String> users = networkUsers(name);
        if (!users.isEmpty()) {
            List<String> names = new ArrayList<>();
            for (String id : users) names.add(containers.get(id).map(Container::name).orElse(id.substring(0, 12)));
            names.sort(null);
            throw new IllegalStateException("network " + name + " is in use by container " + String.join(", ", names));
        }
        networks.remove(n);
    }

    /** {@code -v NAME:/path[:ro]} or {@code --mount type=volume}: a named volume, made on first use. */
    public record VolumeMount(String name, String destination, boolean readOnly) {
        public VolumeMount {
            Volumes.checkName(name);
            if (!destination.startsWith("/")) throw new IllegalArgumentException("a volume's path in the container must be absolute, was " + destination);
        }
    }

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
                Container.Status.CREATED, null, null, key, o.runtime(), null, false);
        try (var lease = leases.acquire("create " + id)) {
            List<String> held = new ArrayList<>(image.chainIds().stream().map(Digest::toString).toList());
            held.add(key);
            lease.add(List.of(Digest.parse(c.imageDigest())), held);
            containers.create(c);
            String stopSignal = o.stopSignal() != null ? Signals.parse(o.stopSignal()) : imageStopSignal(cfg);
            Files.write(containers.dir(id).resolve(StopPolicy.FILE), io.strata.oci.ImageJson.plain().writeValueAsBytes(
                    new StopPolicy(stopSignal, o.stopTimeout() != null ? o.stopTimeout() : 10)));
            if (o.network() == RunSpec.Network.BRIDGE) {
                Networking.request(containers.dir(id), new Networking.Request(o.networkName(), o.ports(), o.ip(), o.mac(), o.aliases()));
            }
            prepare(c, key, top, o, cfg, args, id);
        }
        return c;
    }

    private void prepare(Container c, String key, String top, Options o, ImageConfig.Config cfg, List<String> args, String id)
            throws IOException {
        try {
            if (snapshotter.stat(top).isEmpty()) throw new IllegalStateException(c.image() + " was removed while the container was created");
            snapshotter.prepare(key, top);
            Path bundle = Files.createDirectories(containers.bundle(id));
            Path rootfs = Files.createDirectories(bundle.resolve("rootfs"));
            mountRootfs(c);
            try {
                Users.Ids user = Users.resolve(rootfs, o.user() != null ? o.user() : cfg.user());
                List<String> env = env(cfg.env(), o.env(), user, o.hostname() != null ? o.hostname() : id.substring(0, 12));
                String cwd = o.workdir() != null ? o.workdir() : cfg.workingDir() == null || cfg.workingDir().isEmpty() ? "/" : cfg.workingDir();
                if (!cwd.startsWith("/")) throw new IllegalArgumentException("the working directory must be absolute, was " + cwd);
                int[] size = o.terminal() ? io.strata.snapshots.Native.windowSize(0).orElse(null) : null;
                List<RunSpec.Bind> binds = new ArrayList<>(o.binds());
                binds.addAll(volumes(c, o, cfg, rootfs));
                RunSpec spec = new RunSpec(args, env, cwd, user, o.terminal(), size, o.hostname() != null ? o.hostname() : id.substring(0, 12),
                        o.network(), binds, o.readOnly(), o.memoryBytes(), o.cpus(), o.pidsLimit(), resolver(o), o.extraHosts(), o.tmpfs(),
                        joinedNetns(o));
                Bundle.write(bundle, spec, id);
                if (o.network() == RunSpec.Network.CONTAINER) {
                    // Its network is the other's: so are the names and resolvers it was given (as docker shares them).
                    Path theirs = containers.bundle(containers.find(o.networkName()).id()).resolve("etc");
                    for (String f : List.of("hosts", "resolv.conf")) {
                        Files.copy(theirs.resolve(f), bundle.resolve("etc").resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            } finally {
                unmountRootfs(c);
            }
        } catch (IOException | RuntimeException | Error e) {
            // A run that fails leaves nothing: no container, no snapshot, no mount.
            try {
                remove(c, true);
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /**
     * The container's volumes as binds of their data: the named ones it asked for (made on first use)
     * and an anonymous one for each of the image's VOLUME paths nothing else is mounted on. An empty
     * volume is first filled with what the image has at its path, as docker does. Which volumes it
     * uses is recorded beside it (volume rm refuses those; rm -v removes its anonymous ones).
     */
    private List<RunSpec.Bind> volumes(Container c, Options o, ImageConfig.Config cfg, Path rootfs) throws IOException {
        java.util.Set<String> covered = new java.util.HashSet<>();
        for (RunSpec.Bind b : o.binds()) covered.add(Path.of(b.container()).normalize().toString());
        for (RunSpec.Tmpfs t : o.tmpfs()) covered.add(Path.of(t.destination()).normalize().toString());
        List<Volumes.Use> uses = new ArrayList<>();
        List<RunSpec.Bind> binds = new ArrayList<>();
        List<Volumes.Volume> mounted = new ArrayList<>();
        for (VolumeMount v : o.volumes()) {
            covered.add(Path.of(v.destination()).normalize().toString());
            Volumes.Volume volume = volumes.getOrCreate(v.name());
            uses.add(new Volumes.Use(volume.name(), v.destination(), false));
            binds.add(new RunSpec.Bind(volume.mountpoint().toString(), v.destination(), v.readOnly()));
            mounted.add(volume);
        }
        if (cfg.volumes() != null) {
            for (String path : cfg.volumes().keySet()) {
                if (!path.startsWith("/") || !covered.add(Path.of(path).normalize().toString())) continue;
                Volumes.Volume volume = volumes.createAnonymous();
                uses.add(new Volumes.Use(volume.name(), path, true));
                binds.add(new RunSpec.Bind(volume.mountpoint().toString(), path, false));
                mounted.add(volume);
            }
        }
        Volumes.recordUse(containers.dir(c.id()), uses);
        for (int i = 0; i < mounted.size(); i++) {
            Path data = mounted.get(i).mountpoint();
            if (!VolumeCopy.isEmpty(data)) continue;
            try {
                VolumeCopy.fill(rootfs, uses.get(i).destination(), data);
            } catch (IOException | RuntimeException e) {
                // Left empty rather than half filled: the next container to use it fills it again.
                try (var left = Files.list(data)) {
                    for (Path p : left.toList()) io.strata.snapshots.Applier.removeTree(p);
                }
                throw new IOException("filling volume " + mounted.get(i).name() + " from the image's " + uses.get(i).destination() + ": "
                        + e.getMessage(), e);
            }
        }
        return binds;
    }

    /** Removes the anonymous volumes a container was given for its image's VOLUME paths (rm -v). */
    public void removeAnonymousVolumes(List<Volumes.Use> uses) throws IOException {
        for (Volumes.Use u : uses) {
            if (u.anonymous()) volumes.remove(u.volume());
        }
    }

    /** The volumes a container uses, as recorded at its create. */
    public List<Volumes.Use> volumeUses(Container c) throws IOException {
        return Volumes.uses(containers.dir(c.id()));
    }

    /**
     * {@code --network container:NAME}: the running container's network namespace: its namespace file
     * when it has a network of its own, else (none) its init process's. Refused when it does not run.
     */
    private Path joinedNetns(Options o) throws IOException {
        if (o.network() != RunSpec.Network.CONTAINER) return null;
        Container target = refresh(containers.find(o.networkName()));
        if (target.status() != Container.Status.RUNNING) {
            throw new IllegalStateException("cannot join the network of container " + target.name() + ": it is not running");
        }
        Networking.Attachment a = Networking.attachment(containers.dir(target.id()));
        if (a != null) return a.netns();
        long pid = runtime(target).pid(target.id())
                .orElseThrow(() -> new IllegalStateException("cannot join the network of container " + target.name() + ": it runs no process"));
        return Path.of("/proc/" + pid + "/ns/net");
    }

    /** The image's STOPSIGNAL when it names a signal; SIGTERM otherwise (as an image without one). */
    private static String imageStopSignal(ImageConfig.Config cfg) {
        if (cfg.stopSignal() == null || cfg.stopSignal().isBlank()) return "SIGTERM";
        try {
            return Signals.parse(cfg.stopSignal());
        } catch (IllegalArgumentException notASignal) {
            return "SIGTERM";
        }
    }

    /** On a user's network the network's name server resolves (at its gateway), unless --dns says otherwise. */
    private RunSpec.Dns resolver(Options o) throws IOException {
        if (o.network() != RunSpec.Network.BRIDGE || !o.dns().servers().isEmpty()) return o.dns();
        Networks.Network n = networks.get(o.networkName());
        return n.isDefault() ? o.dns() : new RunSpec.Dns(List.of(n.gateway()), o.dns().search(), o.dns().options());
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
        if (Mount.isMountPoint(rootfs)) return;
        snapshotter.mounts(c.snapshot()).getFirst().mount(rootfs);
    }

    private void unmountRootfs(Container c) throws IOException {
        Path rootfs = containers.bundle(c.id()).resolve("rootfs");
        while (Mount.isMountPoint(rootfs)) Mount.unmount(rootfs);
    }

    /**
     * Runs a created container in the foreground: stdio is this process's, signals to this process
     * go to the container, and the answer is the container's exit code (126 and 127 when its command
     * cannot be executed or found, as docker answers).
     */
    public int runForeground(Container c, boolean interactive) throws IOException {
        return supervise(c, true, interactive);
    }

    /**
     * The body of a detached container's shim (a process of its own, outliving the CLI): runs the
     * container with its output in bounded logs and records its exit code when it ends.
     */
    public int shim(Container c) throws IOException {
        int code = supervise(c, false, false);
        if (containers.get(c.id()).map(Container::autoRemove).orElse(false)) remove(c, true);
        return code;
    }

    private int supervise(Container c, boolean foreground, boolean interactive) throws IOException {
        Path dir = containers.dir(c.id());
        mountRootfs(c);
        try {
            String missing = checkCommand(c);
            if (missing != null) return refuse(c, missing, foreground);
            OciRuntime runtime = runtime(c);
            runtime.delete(c.id()); // state a killed earlier run left
            attachNetwork(c);
            Process p = runtime.run(c.id(), containers.bundle(c.id()), foreground, interactive);
            containers.write(c.running(ProcessHandle.current().pid()));
            List<Thread> copiers = new ArrayList<>();
            if (!foreground) {
                copiers.add(Thread.ofVirtual().start(() -> copy(p.getInputStream(), dir.resolve("stdout.log"))));
                copiers.add(Thread.ofVirtual().start(() -> copy(p.getErrorStream(), dir.resolve("stderr.log"))));
            }
            for (String sig : List.of("INT", "TERM", "HUP", "QUIT")) {
                try {
                    sun.misc.Signal.handle(new sun.misc.Signal(sig), s -> {
                        try {
                            runtime.kill(c.id(), "SIG" + sig);
                        } catch (IOException ignored) {
                            // the container is gone already
                        }
                    });
                } catch (IllegalArgumentException ignored) {
                    // the JVM keeps this signal for itself
                }
            }
            int code;
            try {
                code = p.waitFor();
                for (Thread t : copiers) t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            // When the runtime could not start the command it said why on the container's stderr, and
            // its exit code (1) would read as the command's: answer as docker does instead.
            if (code != 0) {
                java.util.Optional<String> failure = OciRuntime.startFailure(OciRuntime.log(containers.bundle(c.id())));
                if (failure.isPresent()) code = startFailureExitCode(failure.get());
            }
            record(c, code);
            runtime.delete(c.id());
            return code;
        } finally {
            try {
                Networking.release(dir);
            } catch (IOException e) {
                // The exit code is the container's; what could not be freed is freed by rm or the next start.
                System.err.println("strata: detaching " + c.name() + " from its network: " + e.getMessage());
            } finally {
                unmountRootfs(c);
            }
        }
    }

    /**
     * Attaches a container that asked for the bridge network, after freeing what containers that are
     * no longer running still hold (a run killed with SIGKILL never detached): their namespaces,
     * addresses, rules and published ports.
     */
    private void attachNetwork(Container c) throws IOException {
        Networking.Request request = Networking.requested(containers.dir(c.id()));
        if (request == null) return;
        // One start at a time looks at the ports in use and takes its own: two runs asking for one
        // port at once must not both get it.
        try (var lock = Networking.lock()) {
            attachNetwork(c, request);
        }
    }

    private void attachNetwork(Container c, Networking.Request request) throws IOException {
        List<Networking.Attachment> others = new ArrayList<>();
        for (Container other : containers.list()) {
            if (other.id().equals(c.id())) continue;
            Networking.Attachment a = Networking.attachment(containers.dir(other.id()));
            if (a == null) continue;
            if (refresh(other).status() == Container.Status.RUNNING) others.add(a);
            else Networking.detach(containers.dir(other.id()));
        }
        Networking.detach(containers.dir(c.id())); // its own, left by a run of it that was killed
        Networking.releasePending();
        String hostname = Files.readString(containers.bundle(c.id()).resolve("etc/hostname")).strip();
        Networks.Network network;
        try {
            network = networks.get(request.network());
        } catch (IllegalArgumentException removed) {
            throw new IllegalStateException("container " + c.name() + "'s network " + request.network() + " was removed");
        }
        Networking.attach(containers.dir(c.id()), c.id(), c.name(), request, network, others, hostname);
    }

    /** The ports a container publishes while it runs, as {@code strata port} lists them. */
    public List<PortMapping> ports(Container c) throws IOException {
        Networking.Attachment a = refresh(c).status() == Container.Status.RUNNING ? Networking.attachment(containers.dir(c.id())) : null;
        return a == null ? List.of() : a.ports();
    }

    private static void copy(java.io.InputStream in, Path log) {
        try (in) {
            BoundedLog.copy(in, log, BoundedLog.DEFAULT_MAX);
        } catch (IOException ignored) {
            // the log's disk is full or gone: the container runs on regardless
        }
    }

    /** Starts a created container detached: {@code shim} starts its supervisor; returns once it runs or ended. */
    public Container startDetached(Container c, ShimLauncher shim) throws IOException {
        return startDetached(c, shim, false);
    }

    /** As {@link #startDetached(Container, ShimLauncher)}; with {@code autoRemove}, the shim removes the container when it exits. */
    public Container startDetached(Container c, ShimLauncher shim, boolean autoRemove) throws IOException {
        Container current = refresh(c);
        if (current.status() == Container.Status.RUNNING) throw new IllegalStateException("container " + c.name() + " is already running");
        // A command that cannot run is refused here, as docker and podman refuse it, rather than
        // reported only in the logs of a container that seemed to start.
        String missing;
        mountRootfs(c);
        try {
            missing = checkCommand(c);
        } finally {
            unmountRootfs(c);
        }
        if (missing != null) {
            refuse(c, missing, false);
            if (autoRemove) remove(c, true);
            throw new CommandNotRunnable(missing);
        }
        current = current.with(Container.Status.CREATED, null, null);
        containers.write(autoRemove ? current.removedWhenDone() : current);
        Process p = shim.start(c.id(), containers.dir(c.id()).resolve("shim.log"));
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            var recorded = containers.get(c.id());
            if (recorded.isEmpty()) return current.with(Container.Status.EXITED, null, null); // ran, exited and was removed
            Container now = recorded.get();
            if (now.status() != Container.Status.CREATED) return now;
            if (!p.isAlive()) {
                throw new IOException("the container's supervisor ended before it started: " + Files.readString(containers.dir(c.id()).resolve("shim.log")).strip());
            }
            sleep(20);
        }
        throw new IOException("container " + c.name() + " did not start within 60 s");
    }

    /** Starts a shim process for a container, detached from this one, its own output going to {@code log}. */
    @FunctionalInterface
    public interface ShimLauncher {
        Process start(String id, Path log) throws IOException;
    }

    /**
     * The container as it is now: a container recorded as running whose runtime and supervisor are
     * both gone (killed, or the host restarted) is recorded as exited, with 255 when no exit code was seen.
     */
    public Container refresh(Container c) throws IOException {
        Container now = containers.get(c.id()).orElse(c);
        if (now.status() != Container.Status.RUNNING) return now;
        boolean supervised = supervised(now);
        boolean running = runtime(now).status(now.id()).map(s -> s.equals("running") || s.equals("created") || s.equals("paused")).orElse(false);
        if (supervised || running) return now;
        Container exited = now.with(Container.Status.EXITED, 255, Instant.now().toString());
        containers.write(exited);
        return exited;
    }

    /**
     * Every container as it is now. A container run with {@code --rm} that exited while nothing
     * supervised it (its command was killed) is removed here, so --rm holds however the run ended.
     */
    /** Whether the process that supervises the container (the CLI in the foreground, or its shim) is alive. */
    private static boolean supervised(Container c) {
        return c.pid() != null && ProcessHandle.of(c.pid()).map(ProcessHandle::isAlive).orElse(false);
    }

    public List<Container> list() throws IOException {
        List<Container> out = new ArrayList<>();
        for (Container c : containers.list()) {
            Container now = refresh(c);
            if (now.autoRemove() && now.status() == Container.Status.EXITED && !supervised(now)) {
                remove(now, true);
                continue;
            }
            out.add(now);
        }
        return out;
    }

    /** Marks a container for removal once it exits (run --rm in the foreground: the command removes it, or the next look does). */
    public Container removeWhenDone(Container c) throws IOException {
        Container marked = c.removedWhenDone();
        containers.write(marked);
        return marked;
    }

    /** Sends a signal to a running container. */
    public void kill(Container c, String signal) throws IOException {
        String sig = Signals.parse(signal);
        if (refresh(c).status() != Container.Status.RUNNING) throw new IllegalStateException("container " + c.name() + " is not running");
        runtime(c).kill(c.id(), sig);
    }

    /** How a container is stopped: the signal (--stop-signal, else the image's STOPSIGNAL, else SIGTERM) and the seconds before SIGKILL. */
    public record StopPolicy(String signal, int timeoutSeconds) {
        static final String FILE = "stop.json";
    }

    /** The container's stop policy, as recorded at create (SIGTERM and 10 s for one made before it was). */
    public StopPolicy stopPolicy(Container c) throws IOException {
        Path f = containers.dir(c.id()).resolve(StopPolicy.FILE);
        if (!Files.exists(f)) return new StopPolicy("SIGTERM", 10);
        var n = io.strata.oci.ImageJson.plain().readTree(Files.readAllBytes(f));
        return new StopPolicy(n.path("signal").asText("SIGTERM"), n.path("timeoutSeconds").asInt(10));
    }

    /** SIGTERM (or the image's StopSignal), then SIGKILL after {@code timeoutSeconds}; returns once it exited. */
    /**
     * Stops a running container: its stop signal, then SIGKILL after {@code timeoutSeconds} (null:
     * its own stop timeout). {@code stopSignal} null: its own (the image's STOPSIGNAL or --stop-signal).
     */
    public Container stop(Container c, Integer timeoutSeconds, String stopSignal) throws IOException {
        if (refresh(c).status() != Container.Status.RUNNING) return refresh(c);
        StopPolicy policy = stopPolicy(c);
        if (timeoutSeconds == null) timeoutSeconds = policy.timeoutSeconds();
        runtime(c).kill(c.id(), stopSignal == null ? policy.signal() : Signals.parse(stopSignal));
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (System.nanoTime() < deadline) {
            if (refresh(c).status() == Container.Status.EXITED) return refresh(c);
            sleep(50);
        }
        try {
            runtime(c).kill(c.id(), "SIGKILL");
        } catch (IOException ignored) {
            // it ended meanwhile
        }
        return waitFor(c);
    }

    /** Blocks until the container exited; returns it with its exit code. */
    public Container waitFor(Container c) throws IOException {
        while (true) {
            Container now = refresh(c);
            if (now.status() == Container.Status.EXITED) return now;
            if (now.status() == Container.Status.CREATED) throw new IllegalStateException("container " + c.name() + " was never started");
            sleep(50);
        }
    }

    /** Runs another command in a running container, as its main process runs (env, user, cwd); answers its exit code. */
    public int exec(Container c, List<String> args, boolean tty) throws IOException {
        if (refresh(c).status() != Container.Status.RUNNING) throw new IllegalStateException("container " + c.name() + " is not running");
        Bundle.Written config = Bundle.read(containers.bundle(c.id()));
        // Its rootfs is mounted while it runs: a command it does not have is refused as run refuses it.
        String missing = Mount.isMountPoint(containers.bundle(c.id()).resolve("rootfs")) ? checkCommand(c, args.getFirst(), config) : null;
        if (missing != null) throw new CommandNotRunnable(missing);
        Path log = Files.createTempFile(containers.bundle(c.id()), "exec-", ".log");
        try {
            Process p = runtime(c).exec(c.id(), log, args, config.env(), config.cwd(), config.user(), tty);
            int code = p.waitFor();
            if (code == 0) return 0;
            // As run: the runtime said why, and its 1 would read as the command's.
            return OciRuntime.startFailure(log).map(Runner::startFailureExitCode).orElse(code);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /**
     * Prints a container's logs, the last {@code tail} lines of each stream: stdout to {@code out},
     * stderr to {@code err}; with {@code follow}, then what comes until it exits.
     */
    public void logs(Container c, java.io.PrintStream out, java.io.PrintStream err, boolean follow, long tail) throws IOException {
        Path dir = containers.dir(c.id());
        long[] offsets = {BoundedLog.printTail(dir.resolve("stdout.log"), out, tail), BoundedLog.printTail(dir.resolve("stderr.log"), err, tail)};
        if (!follow) return;
        while (true) {
            boolean done = refresh(c).status() != Container.Status.RUNNING;
            offsets[0] = tail(dir.resolve("stdout.log"), offsets[0], out);
            offsets[1] = tail(dir.resolve("stderr.log"), offsets[1], err);
            if (done) return;
            sleep(100);
        }
    }

    private static long tail(Path file, long from, java.io.PrintStream to) throws IOException {
        if (!Files.exists(file)) return from;
        long size = Files.size(file);
        if (size < from) from = 0; // rotated
        if (size == from) return from;
        try (var ch = java.nio.channels.FileChannel.open(file)) {
            ch.position(from);
            java.io.InputStream in = java.nio.channels.Channels.newInputStream(ch);
            long n = in.transferTo(to);
            to.flush();
            return from + n;
        }
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private void record(Container c, int code) throws IOException {
        Container now = containers.get(c.id()).orElse(c);
        containers.write(now.with(Container.Status.EXITED, code, Instant.now().toString()));
    }

    /**
     * Records that the container's command cannot run ({@code why}, from {@link #checkCommand}): the
     * exit code docker gives (126 when it is not executable, 127 when it is not there), and the
     * reason where the container's errors go (this terminal in the foreground, else its log). Returns the code.
     */
    private int refuse(Container c, String why, boolean foreground) throws IOException {
        int code = CommandNotRunnable.exitCode(why);
        if (foreground) System.err.println("strata: " + why);
        else Files.writeString(containers.dir(c.id()).resolve("stderr.log"), why + "\n", java.nio.file.StandardOpenOption.CREATE,
                java.nio.file.StandardOpenOption.APPEND);
        record(c, code);
        return code;
    }

    /**
     * Docker's exit code for a container its runtime could not start, from the runtime's error (runc:
     * "runc run failed: unable to start container process: exec: …"): 126 when the command could not
     * be executed, 127 when it was not found, 125 for any other failure of the runtime.
     */
    static int startFailureExitCode(String logged) {
        String lower = logged.toLowerCase(java.util.Locale.ROOT);
        int at = lower.lastIndexOf("unable to start container process: ");
        if (at >= 0) lower = lower.substring(at + "unable to start container process: ".length());
        if (!lower.startsWith("exec") && !lower.contains("executable")) return 125;
        if (lower.contains("permission denied")) return 126;
        return lower.contains("not found") || lower.contains("no such file") ? 127 : 125;
    }

    /** A container's command that cannot be executed in it ({@link #checkCommand}'s reason); {@link #exitCode()} is docker's for the case. */
    public static final class CommandNotRunnable extends IllegalStateException {
        CommandNotRunnable(String why) {
            super(why);
        }

        public int exitCode() {
            return exitCode(getMessage());
        }

        /** Docker's exit code for a reason {@link #checkCommand} gave: 126 when not executable, 127 when not there. */
        static int exitCode(String why) {
            return why.endsWith("permission denied") || why.contains(": operation not permitted") ? 126 : 127;
        }
    }

    /** {@link #checkCommand(Container, String, Bundle.Written)} for the container's own command. */
    private String checkCommand(Container c) throws IOException {
        return checkCommand(c, c.command().getFirst(), Bundle.read(containers.bundle(c.id())));
    }

    /**
     * Null when {@code cmd} can be executed in the container, as far as the host can see, else why
     * not ("…: permission denied" means 126, else 127). Looked for as the container sees its files:
     * in its rootfs, and under its bind mounts in their host directories; a command under a mount the
     * host cannot see into (a tmpfs, /proc) is left to the runtime.
     */
    private String checkCommand(Container c, String cmd, Bundle.Written bundle) throws IOException {
        Path rootfs = containers.bundle(c.id()).resolve("rootfs");
        List<String> candidates = new ArrayList<>();
        if (cmd.contains("/")) {
            // A relative path is the process's working directory's, as execve takes it.
            candidates.add(cmd.startsWith("/") ? cmd : bundle.cwd() + "/" + cmd);
        } else {
            String path = DEFAULT_PATH.substring(5);
            for (String e : bundle.env()) {
                if (e.startsWith("PATH=")) path = e.substring(5);
            }
            for (String dir : path.split(":")) if (!dir.isEmpty()) candidates.add(dir + "/" + cmd);
        }
        Map<String, Path> binds = new java.util.HashMap<>();
        java.util.Set<String> destinations = new java.util.HashSet<>();
        for (Bundle.Mount m : bundle.mounts()) {
            String destination = Path.of(m.destination()).normalize().toString();
            destinations.add(destination);
            if (m.isBind()) binds.put(destination, Path.of(m.source()));
            else binds.remove(destination); // mounted over the bind
        }
        boolean foundButNotExecutable = false;
        boolean unseen = false;
        for (String candidate : candidates) {
            String under = RootfsPaths.deepestHolding(destinations, Path.of(candidate).normalize().toString());
            if (under != null && !binds.containsKey(under)) {
                unseen = true;
                continue;
            }
            Path p = RootfsPaths.resolve(rootfs, binds, candidate);
            if (p != null && cmd.contains("/") && Files.isDirectory(p)) return cmd + ": is a directory: permission denied";
            if (p == null || !Files.isRegularFile(p)) continue;
            int mode = (Integer) Files.getAttribute(p, "unix:mode");
            if ((mode & 0111) != 0) {
                return FileCapabilities.refusedUnder(p, FileCapabilities.mask(Bundle.CAPABILITIES))
                        ? cmd + ": operation not permitted (the file's capabilities exceed the container's)" : null;
            }
            foundButNotExecutable = true;
        }
        if (unseen) return null;
        return cmd + ": " + (foundButNotExecutable ? "permission denied" : cmd.contains("/")
                ? "no such file or directory" : "executable file not found in $PATH");
    }

    /**
     * Writes the container's filesystem as it sees it (its image and its changes, flattened) as a
     * tar. A running container is frozen while its files are read, so the archive is one moment of
     * it; the walk never leaves its root whatever its processes do (see LayerWriter).
     */
    public void export(Container c, OutputStream out) throws IOException {
        Path rootfs = containers.bundle(c.id()).resolve("rootfs");
        boolean running = refresh(c).status() == Container.Status.RUNNING;
        boolean mountedHere = !Mount.isMountPoint(rootfs);
        if (mountedHere) mountRootfs(c);
        OciRuntime runtime = running ? runtime(c) : null;
        if (running) runtime.pause(c.id());
        try (io.strata.snapshots.TarWriter tar = new io.strata.snapshots.TarWriter(out)) {
            io.strata.snapshots.LayerWriter.write(rootfs, tar);
        } finally {
            try {
                if (running) runtime.resume(c.id());
            } finally {
                if (mountedHere) unmountRootfs(c);
            }
        }
    }

    /** The container paths its runtime mounts on (config.json's mount destinations). */
    public List<String> mountpoints(Container c) throws IOException {
        List<String> out = new ArrayList<>(Bundle.read(containers.bundle(c.id())).mountpoints());
        // Deepest first, so a parent made only to hold a mount point empties before it is looked at.
        out.sort(java.util.Comparator.comparingInt(String::length).reversed());
        return out;
    }

    /** Removes a container: its runtime state, mounts, snapshot and files. Refuses a running one unless forced. */
    public void remove(Container c, boolean force) throws IOException {
        OciRuntime runtime = runtime(c);
        Container current = refresh(c);
        if (current.status() == Container.Status.RUNNING) {
            if (!force) throw new IllegalStateException("container " + c.name() + " is running: stop it first, or rm -f");
            try {
                runtime.kill(c.id(), "SIGKILL");
            } catch (IOException ignored) {
                // it ended meanwhile
            }
            waitFor(current);
        }
        try {
            runtime.delete(c.id());
        } catch (IOException ignored) {
            // the runtime binary is gone: nothing of the runtime's to clean
        }
        Networking.release(containers.dir(c.id()));
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
