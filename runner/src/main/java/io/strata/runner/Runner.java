package io.strata.runner;

import io.strata.oci.Digest;
import io.strata.oci.ImageConfig;
import io.strata.snapshots.Mount;
import io.strata.snapshots.OverlaySnapshotter;
import io.strata.snapshots.Snapshotter;
import java.io.IOException;
import java.io.InputStream;
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
    public static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /** The token of a container's current run, which its monitor's clean-up names. */
    private static final String RUN_TOKEN = "run-token";

    private static byte[] randomBytes() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return b;
    }

    /** docker's HostConfig.NetworkMode, as given at create (none, host, container:C, or the network's name). */
    private static final String NETWORK_MODE = "network-mode";
    /** Where --init's binary is mounted in the container (podman's is /run/podman-init). */
    static final String INIT = "/run/strata-init";

    /**
     * The init --init runs when --init-path names none: catatonit (podman's), else tini's static
     * build; both are statically linked, so they run in any image.
     */
    public static Path defaultInit() {
        return Executables.find("catatonit", "/usr/libexec/podman").or(() -> Executables.find("tini-static"))
                .orElseThrow(() -> new IllegalStateException("--init needs catatonit (apt-get install catatonit) or tini's static build (tini), or --init-path"));
    }

    private final OverlaySnapshotter snapshotter;
    private final ContainerStore containers;
    private final Volumes volumes;
    private final Networks networks;
    private final Events events;
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
        this.events = new Events(runtimeState.getParent()); // the store's root, where runtime/ is
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
            boolean interactive,
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
            Integer stopTimeout,
            Path init,
            RestartPolicy restart) {
        public Options {
            restart = restart == null ? RestartPolicy.NO : restart;
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
            boolean connected = Networking.connections(containers.dir(c.id())).stream().anyMatch(x -> x.network().equals(name));
            if (r != null && r.network().equals(name) || connected) out.add(c.id());
        }
        return out;
    }

    /**
     * {@code network connect}: puts the container on another network too, now when it runs and at
     * each start; its name, short id and {@code aliases} are answered there. A container without a
     * network namespace of Strata's (--network none, host, container:) cannot be, as docker refuses it.
     */
    public void connect(Container c, String networkName, String ip, List<String> aliases) throws IOException {
        Path dir = containers.dir(c.id());
        Networking.Request primary = Networking.requested(dir);
        if (primary == null) {
            throw new IllegalStateException("container " + c.name() + " has no network of its own (--network none, host or container:): "
                    + "it cannot be connected to another");
        }
        Networks.Network network = networks.get(networkName);
        if (primary.network().equals(network.name()) || Networking.connections(dir).stream().anyMatch(x -> x.network().equals(network.name()))) {
            throw new IllegalStateException("container " + c.name() + " is already connected to network " + network.name());
        }
        if (network.isDefault() && !aliases.isEmpty()) throw new IllegalArgumentException("network-scoped aliases are only for networks a user made");
        Networking.Connection connection = new Networking.Connection(network.name(), ip, aliases);
        if (ip != null && !ip.isEmpty() && !Networking.inSubnet(ip, network.subnet())) {
            throw new IllegalArgumentException("--ip " + ip + " is not an address of network " + network.name() + " (" + network.subnet() + ")");
        }
        try (var lock = Networking.lock()) {
            Networking.requestConnection(dir, connection);
            if (refresh(c).status() != Container.Status.RUNNING) return;
            try {
                connectNow(c, connection, network, primary);
            } catch (IOException | RuntimeException e) {
                Networking.forgetConnection(dir, network.name());
                throw e;
            }
        }
    }

    /** Connects a running container: the next free interface, and the network's name server first in its resolv.conf when it had none. */
    private void connectNow(Container c, Networking.Connection connection, Networks.Network network, Networking.Request primary) throws IOException {
        Path dir = containers.dir(c.id());
        java.util.Set<String> taken = new java.util.HashSet<>(List.of("eth0"));
        for (Networking.Attachment a : Networking.connected(dir)) taken.add(a.ifname());
        int n = 1;
        while (taken.contains("eth" + n)) n++;
        Networking.connect(dir, c.id(), c.name(), connection, network, "eth" + n);
        if (!network.isDefault() && networks.get(primary.network()).isDefault()) {
            // On the default bridge it asks the host's resolvers: names on this network are answered by its gateway.
            ResolvConf.preferNameserver(containers.bundle(c.id()).resolve("etc/resolv.conf"), network.gateway());
        }
    }

    /** {@code network disconnect}: takes the container off a network it was connected to (now, and at its next starts). */
    public void disconnect(Container c, String networkName) throws IOException {
        Path dir = containers.dir(c.id());
        Networking.Request primary = Networking.requested(dir);
        if (primary != null && primary.network().equals(networkName)) {
            throw new IllegalStateException("network " + networkName + " is the one container " + c.name() + " was created on: strata "
                    + "disconnects only networks connected after (recreate the container on another network)");
        }
        if (Networking.connections(dir).stream().noneMatch(x -> x.network().equals(networkName))) {
            throw new IllegalStateException("container " + c.name() + " is not connected to network " + networkName);
        }
        Networks.Network network = networks.get(networkName);
        try (var lock = Networking.lock()) {
            Networking.disconnect(dir, networkName);
            Networking.forgetConnection(dir, networkName);
            ResolvConf.forgetNameserver(containers.bundle(c.id()).resolve("etc/resolv.conf"), network.gateway());
        }
    }

    /** Removes every network a user made that no container asks for (network prune, system prune); answers their names. */
    public List<String> pruneNetworks() throws IOException {
        List<String> removed = new ArrayList<>();
        for (Networks.Network n : networks.list()) {
            if (n.isDefault() || !networkUsers(n.name()).isEmpty()) continue;
            removeNetwork(n.name());
            removed.add(n.name());
        }
        return removed;
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
                Container.Status.CREATED, null, null, key, o.runtime(), null, false, o.interactive(), null);
        try (var lease = leases.acquire("create " + id)) {
            List<String> held = new ArrayList<>(image.chainIds().stream().map(Digest::toString).toList());
            held.add(key);
            lease.add(List.of(Digest.parse(c.imageDigest())), held);
            containers.create(c);
            events.container(c, "create");
            String stopSignal = o.stopSignal() != null ? Signals.parse(o.stopSignal()) : imageStopSignal(cfg);
            Files.write(containers.dir(id).resolve(StopPolicy.FILE), io.strata.oci.ImageJson.plain().writeValueAsBytes(
                    new StopPolicy(stopSignal, o.stopTimeout() != null ? o.stopTimeout() : 10)));
            if (!o.restart().equals(RestartPolicy.NO)) o.restart().write(containers.dir(id));
            Files.writeString(containers.dir(id).resolve(NETWORK_MODE), switch (o.network()) {
                case NONE -> "none";
                case HOST -> "host";
                case CONTAINER -> "container:" + o.networkName();
                case BRIDGE -> o.networkName();
            });
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
                List<String> env = env(cfg.env(), o.env(), user, o.hostname() != null ? o.hostname() : id.substring(0, 12), o.terminal());
                String cwd = o.workdir() != null ? o.workdir() : cfg.workingDir() == null || cfg.workingDir().isEmpty() ? "/" : cfg.workingDir();
                if (!cwd.startsWith("/")) throw new IllegalArgumentException("the working directory must be absolute, was " + cwd);
                int[] size = o.terminal() ? io.strata.snapshots.Native.windowSize(0).orElse(null) : null;
                List<RunSpec.Bind> binds = new ArrayList<>(o.binds());
                binds.addAll(volumes(c, o, cfg, rootfs));
                List<String> processArgs = args;
                if (o.init() != null) {
                    // --init: a small init as PID 1 (catatonit, podman's) reaps zombies and passes signals on to the command.
                    binds.add(new RunSpec.Bind(o.init().toString(), INIT, true));
                    processArgs = new ArrayList<>(List.of(INIT, "--"));
                    processArgs.addAll(args);
                }
                RunSpec spec = new RunSpec(processArgs, env, cwd, user, o.terminal(), size, o.hostname() != null ? o.hostname() : id.substring(0, 12),
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
    static List<String> env(List<String> image, List<String> given, Users.Ids user, String hostname, boolean terminal) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String e : image == null ? List.<String>of() : image) put(out, e);
        for (String e : given) put(out, e);
        out.putIfAbsent("PATH", DEFAULT_PATH.substring(5));
        out.putIfAbsent("HOSTNAME", hostname);
        out.putIfAbsent("HOME", user.home() == null || user.home().isEmpty() ? "/" : user.home());
        if (terminal) out.putIfAbsent("TERM", "xterm"); // as docker and podman set it with -t
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
     * Runs a created container in the foreground, attached: its output here as it comes, stdin passed
     * on with {@code interactive}, signals to this process passed to the container, this terminal
     * raw while a container with a terminal runs; the answer is the container's exit code (126 and
     * 127 when its command cannot be executed or found, as docker answers). The detach keys leave it
     * running (answer 0). Its output is in its log as well, as a detached container's.
     */
    public int runForeground(Container c, boolean interactive, AttachOptions attach, List<String> exitCommand) throws IOException {
        // Without the signal proxy a ^C ends this process and not the container: its monitor cleans up then.
        return startAttached(c, interactive, attach, attach.sigProxy() ? null : exitCommand);
    }

    /**
     * Starts a container attached ({@code start -a}): as {@link #runForeground}, but its monitor
     * outlives this process and cleans up with {@code exitCommand} (null: this process cleans up).
     */
    public int startAttached(Container c, boolean interactive, AttachOptions attach, List<String> exitCommand) throws IOException {
        if (exitCommand != null && refresh(c).status() == Container.Status.RUNNING) {
            throw new IllegalStateException("container " + c.name() + " is already running");
        }
        Started s = startLocked(c, interactive, exitCommand);
        if (s.refusal() != null) {
            System.err.println("strata: " + s.refusal());
            return containers.get(c.id()).map(Container::exitCode).orElse(CommandNotRunnable.exitCode(s.refusal()));
        }
        Conmon.Monitor monitor = s.monitor();
        OciRuntime runtime = runtime(c);
        boolean ended;
        try (AttachSocket socket = AttachSocket.connect(Conmon.attachSocket(c.id()))) {
            runtime.start(c.id());
            ended = relay(c, socket, interactive, attach);
        } catch (IOException | RuntimeException e) {
            runtime.delete(c.id()); // ends the monitor, which records an exit
            await(monitor.child());
            cleanup(c.id());
            throw e;
        }
        if (!ended) return 0; // detached: it runs on, its monitor records how it ends
        return exitCode(c, monitor.child());
    }

    /**
     * Joins this terminal to a running container ({@code strata attach}): its output from now on, and
     * what is typed when it keeps stdin open and {@code noStdin} is not set. Answers its exit code
     * when it ends, 0 when the user detached.
     */
    public int attach(Container c, boolean noStdin, AttachOptions attach) throws IOException {
        if (refresh(c).status() != Container.Status.RUNNING) {
            throw new IllegalStateException("container " + c.name() + " is not running: strata start -a to start it attached");
        }
        boolean ended;
        try (AttachSocket socket = AttachSocket.connect(Conmon.attachSocket(c.id()))) {
            ended = relay(c, socket, c.openStdin() && !noStdin, attach);
        }
        return ended ? exitCode(c, null) : 0;
    }

    /** The relay of an attached container, this terminal raw while it runs with a terminal of its own and takes input. */
    private boolean relay(Container c, AttachSocket socket, boolean stdin, AttachOptions attach) throws IOException {
        Path bundle = containers.bundle(c.id());
        boolean terminal = Bundle.read(bundle).terminal();
        if (attach.sigProxy()) proxySignals(c, runtime(c));
        if (terminal) {
            Runnable resize = () -> io.strata.snapshots.Native.windowSize(0).ifPresent(size -> Conmon.resize(bundle, size[0], size[1]));
            resize.run();
            try {
                sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), x -> resize.run());
            } catch (IllegalArgumentException ignored) {
                // no SIGWINCH here: the size stays the first one
            }
        }
        try (AutoCloseable raw = terminal && stdin ? Attach.rawTerminal() : () -> {}) {
            return Attach.relay(socket, stdin ? System.in : null, System.out, System.err, attach.keys());
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        }
    }

    /** The exit code of a container whose output ended: its monitor's when it is this process's child, else once its clean-up recorded it. */
    private int exitCode(Container c, Process monitor) throws IOException {
        if (monitor != null) {
            await(monitor);
            Integer code = cleanup(c.id());
            // null: its monitor's clean-up removed it already (--rm); its end is in the events.
            return code != null ? code : events.lastExitCode(c.id()).orElse(255);
        }
        Container done = waitFor(c);
        return done.exitCode() == null ? 255 : done.exitCode();
    }

    /** The user stopped it (stop, kill, rm -f): its restart policy waits until it is started again. */
    private void stoppedByUser(Container c) throws IOException {
        Path dir = containers.dir(c.id());
        if (Files.isDirectory(dir)) Files.writeString(dir.resolve(RestartPolicy.STOPPED), "");
    }

    private void restartIfDue(String id, int code, List<String> exitCommand) throws IOException {
        Path dir = containers.dir(id);
        Container c = containers.get(id).orElse(null);
        if (c == null || c.status() != Container.Status.EXITED) return;
        RestartPolicy policy = RestartPolicy.read(dir);
        Path countFile = dir.resolve(RestartPolicy.COUNT);
        int count = Files.exists(countFile) ? Integer.parseInt(Files.readString(countFile).strip()) : 0;
        if (!policy.restarts(code, count, Files.exists(dir.resolve(RestartPolicy.STOPPED)))) return;
        Files.writeString(countFile, String.valueOf(count + 1));
        sleep(RestartPolicy.delayMillis(count));
        if (Files.exists(dir.resolve(RestartPolicy.STOPPED))) return; // stopped meanwhile
        try {
            startDetached(c, exitCommand, false);
        } catch (IOException | RuntimeException e) {
            Files.writeString(Conmon.log(dir), ContainerLog.record(java.time.OffsetDateTime.now(), true,
                    "strata: restarting (--restart " + policy + "): " + e.getMessage()), java.nio.file.StandardOpenOption.APPEND,
                    java.nio.file.StandardOpenOption.CREATE);
        }
    }

    /** Starts a container as the user asks (start, restart): its restart policy counts from here, and applies again. */
    public Container start(Container c, List<String> exitCommand) throws IOException {
        Path dir = containers.dir(c.id());
        Files.deleteIfExists(dir.resolve(RestartPolicy.STOPPED));
        Files.deleteIfExists(dir.resolve(RestartPolicy.COUNT));
        return startDetached(c, exitCommand, c.autoRemove());
    }

    /**
     * {@code start --all}: the containers whose restart policy wants them running and that are not
     * (after a host restart: always, and unless-stopped when the user had not stopped it). Answers them.
     */
    public List<Container> startAll(List<String> exitCommand) throws IOException {
        List<Container> started = new ArrayList<>();
        for (Container c : list()) {
            if (c.status() == Container.Status.RUNNING) continue;
            Path dir = containers.dir(c.id());
            if (!RestartPolicy.read(dir).startsAtBoot(Files.exists(dir.resolve(RestartPolicy.STOPPED)))) continue;
            started.add(start(c, exitCommand));
        }
        return started;
    }

    /** Freezes every process of a running container (the cgroup freezer); ps says "(Paused)" until {@link #unpause}. */
    public void pause(Container c) throws IOException {
        if (refresh(c).status() != Container.Status.RUNNING) throw new IllegalStateException("container " + c.name() + " is not running");
        if (paused(c)) throw new IllegalStateException("container " + c.name() + " is already paused");
        runtime(c).pause(c.id());
        events.container(c, "pause");
        Files.writeString(containers.dir(c.id()).resolve(PAUSED), "");
    }

    public void unpause(Container c) throws IOException {
        if (refresh(c).status() != Container.Status.RUNNING || !paused(c)) throw new IllegalStateException("container " + c.name() + " is not paused");
        runtime(c).resume(c.id());
        events.container(c, "unpause");
        Files.deleteIfExists(containers.dir(c.id()).resolve(PAUSED));
    }

    private static final String PAUSED = "paused";

    /** Whether the user paused it (a marker beside it: ps need not ask the runtime of every container). */
    public boolean paused(Container c) {
        return c.status() == Container.Status.RUNNING && Files.exists(containers.dir(c.id()).resolve(PAUSED));
    }

    /** The processes running in a container, as the runtime's {@code ps} lists them (ps -ef's columns, or {@code psArgs}'). */
    public String top(Container c, List<String> psArgs) throws IOException {
        if (refresh(c).status() != Container.Status.RUNNING) throw new IllegalStateException("container " + c.name() + " is not running");
        return runtime(c).ps(c.id(), psArgs);
    }

    /** Its writable layer's bytes, and those of the filesystem it sees (its image's layers too), as docker ps -s shows them. */
    public long[] sizes(Container c) throws IOException {
        long rw = snapshotter.usage(c.snapshot()).bytes();
        long image = 0;
        String parent = snapshotter.stat(c.snapshot()).map(Snapshotter.Info::parent).orElse(null);
        while (parent != null) {
            var info = snapshotter.stat(parent).orElse(null);
            if (info == null) break;
            image += info.usage() == null ? 0 : info.usage().bytes();
            parent = info.parent();
        }
        return new long[] {rw, rw + image};
    }

    /**
     * The container as {@code docker inspect} shows one: Id, Created, Path, Args, State, Image, Name,
     * RestartCount, Config, HostConfig, Mounts, NetworkSettings, with docker's member names, so
     * templates written for docker ({{.State.Status}}, {{.Config.Env}}) work as written.
     */
    public Map<String, Object> inspect(Container c) throws IOException {
        Container now = refresh(c);
        Path dir = containers.dir(c.id());
        Bundle.Written config = Files.exists(containers.bundle(c.id()).resolve("config.json")) ? Bundle.read(containers.bundle(c.id())) : null;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("Id", now.id());
        out.put("Created", now.created());
        out.put("Path", now.command().isEmpty() ? "" : now.command().getFirst());
        out.put("Args", now.command().isEmpty() ? List.of() : now.command().subList(1, now.command().size()));
        Map<String, Object> state = new LinkedHashMap<>();
        boolean running = now.status() == Container.Status.RUNNING;
        state.put("Status", paused(now) ? "paused" : now.status().name().toLowerCase(java.util.Locale.ROOT));
        state.put("Running", running);
        state.put("Paused", paused(now));
        state.put("Restarting", false);
        state.put("OOMKilled", false);
        state.put("Dead", false);
        state.put("Pid", running ? runtime(now).pid(now.id()).orElse(0L) : 0L);
        state.put("ExitCode", now.exitCode() == null ? 0 : now.exitCode());
        state.put("Error", "");
        state.put("StartedAt", now.started() == null ? "0001-01-01T00:00:00Z" : now.started());
        state.put("FinishedAt", now.finished() == null ? "0001-01-01T00:00:00Z" : now.finished());
        out.put("State", state);
        out.put("Image", now.imageDigest());
        out.put("Name", "/" + now.name());
        Path count = dir.resolve(RestartPolicy.COUNT);
        out.put("RestartCount", Files.exists(count) ? Integer.parseInt(Files.readString(count).strip()) : 0);
        Map<String, Object> cfg = new LinkedHashMap<>();
        String hostname = Files.exists(containers.bundle(c.id()).resolve("etc/hostname"))
                ? Files.readString(containers.bundle(c.id()).resolve("etc/hostname")).strip() : now.id().substring(0, 12);
        cfg.put("Hostname", hostname);
        cfg.put("User", config == null ? "" : config.user().uid() + ":" + config.user().gid());
        cfg.put("Tty", config != null && config.terminal());
        cfg.put("OpenStdin", now.openStdin());
        cfg.put("Env", config == null ? List.of() : config.env());
        cfg.put("Cmd", now.command());
        cfg.put("Image", now.image());
        cfg.put("WorkingDir", config == null ? "/" : config.cwd());
        cfg.put("StopSignal", stopPolicy(now).signal());
        cfg.put("StopTimeout", stopPolicy(now).timeoutSeconds());
        out.put("Config", cfg);
        Networking.Request request = Networking.requested(dir);
        Map<String, Object> host = new LinkedHashMap<>();
        Path mode = dir.resolve(NETWORK_MODE);
        host.put("NetworkMode", Files.exists(mode) ? Files.readString(mode) : request != null ? request.network() : "none");
        RestartPolicy restart = RestartPolicy.read(dir);
        host.put("RestartPolicy", Map.of("Name", restart.name(), "MaximumRetryCount", restart.maxRetries()));
        host.put("AutoRemove", now.autoRemove());
        host.put("Runtime", now.runtime());
        Map<String, Object> bindings = new LinkedHashMap<>();
        for (PortMapping p : request == null ? List.<PortMapping>of() : request.ports()) {
            bindings.computeIfAbsent(p.containerPort() + "/" + p.protocol(), k -> new ArrayList<Map<String, String>>());
            ((List<Map<String, String>>) bindings.get(p.containerPort() + "/" + p.protocol()))
                    .add(Map.of("HostIp", p.hostIp(), "HostPort", String.valueOf(p.hostPort())));
        }
        host.put("PortBindings", bindings);
        out.put("HostConfig", host);
        List<Map<String, Object>> mounts = new ArrayList<>();
        for (Volumes.Use u : volumeUses(now)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("Type", "volume");
            m.put("Name", u.volume());
            m.put("Source", volumes.get(u.volume()).mountpoint().toString());
            m.put("Destination", u.destination());
            m.put("Driver", "local");
            mounts.add(m);
        }
        out.put("Mounts", mounts);
        Map<String, Object> settings = new LinkedHashMap<>();
        Map<String, Object> nets = new LinkedHashMap<>();
        Networking.Attachment primary = running ? Networking.attachment(dir) : null;
        List<Networking.Attachment> all = new ArrayList<>();
        if (primary != null) all.add(primary);
        if (running) all.addAll(Networking.connected(dir));
        for (Networking.Attachment a : all) {
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("IPAddress", a.address());
            n.put("Gateway", a.result().path("ips").path(0).path("gateway").asText(""));
            n.put("MacAddress", a.result().path("interfaces").path(1).path("mac").asText(""));
            nets.put(a.config().path("name").asText(), n);
        }
        settings.put("IPAddress", primary == null ? "" : primary.address());
        settings.put("Ports", bindings);
        settings.put("Networks", nets);
        out.put("NetworkSettings", settings);
        return out;
    }

    /**
     * docker update: a container's memory, CPU and pids limits, changed in its config.json (for its
     * next starts) and, while it runs, in its cgroup through the runtime. Null leaves one as it is.
     */
    public void update(Container c, Long memoryBytes, Double cpus, Long pidsLimit) throws IOException {
        if (memoryBytes != null && memoryBytes < 6L << 20) throw new IllegalArgumentException("--memory must be at least 6 MiB, as docker's");
        if (cpus != null && cpus <= 0) throw new IllegalArgumentException("--cpus must be more than 0");
        if (pidsLimit != null && pidsLimit < -1) throw new IllegalArgumentException("--pids-limit is a number of processes, or -1 for none");
        Path config = containers.bundle(c.id()).resolve("config.json");
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) io.strata.oci.ImageJson.plain().readTree(Files.readAllBytes(config));
        var resources = (com.fasterxml.jackson.databind.node.ObjectNode) tree.with("linux").with("resources");
        List<String> args = new ArrayList<>();
        if (memoryBytes != null) {
            resources.putObject("memory").put("limit", memoryBytes).put("swap", memoryBytes); // no swap beyond it, as at create
            args.addAll(List.of("--memory", memoryBytes.toString(), "--memory-swap", memoryBytes.toString()));
        }
        if (cpus != null) {
            long quota = Math.round(cpus * 100_000);
            resources.putObject("cpu").put("period", 100_000).put("quota", quota);
            args.addAll(List.of("--cpu-period", "100000", "--cpu-quota", String.valueOf(quota)));
        }
        if (pidsLimit != null) {
            resources.putObject("pids").put("limit", pidsLimit);
            args.addAll(List.of("--pids-limit", pidsLimit.toString()));
        }
        if (args.isEmpty()) throw new IllegalArgumentException("update needs --memory, --cpus or --pids-limit");
        if (refresh(c).status() == Container.Status.RUNNING) runtime(c).update(c.id(), args);
        Path temp = config.resolveSibling("config.json.tmp");
        Files.write(temp, io.strata.oci.ImageJson.plain().writerWithDefaultPrettyPrinter().writeValueAsBytes(tree));
        Files.move(temp, config, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    /** A running container's counters now (its cgroup, its network), as docker stats reads them. */
    public CgroupStats stats(Container c) throws IOException {
        if (refresh(c).status() != Container.Status.RUNNING) throw new IllegalStateException("container " + c.name() + " is not running");
        return CgroupStats.read(c.id(), runtime(c).pid(c.id()).orElse(0L));
    }

    /** The container's restart policy, as given at create. */
    public RestartPolicy restartPolicy(Container c) throws IOException {
        return RestartPolicy.read(containers.dir(c.id()));
    }

    /** Signals sent to this process go to the container (docker's --sig-proxy): ^C, kill, a closed terminal. */
    private static void proxySignals(Container c, OciRuntime runtime) {
        List<String> signals = new ArrayList<>(List.of("INT", "TERM", "HUP", "QUIT", "USR1", "USR2"));
        for (String sig : signals) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(sig), x -> {
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
    }

    /**
     * Starts a created container detached: its monitor outlives this process, and when the container
     * exits runs {@code exitCommand} with the container's id (Strata's clean-up: its exit code, its
     * network, its mounts, --rm). Returns once it runs, or once it ended.
     */
    public Container startDetached(Container c, List<String> exitCommand, boolean autoRemove) throws IOException {
        Container current = refresh(c);
        if (current.status() == Container.Status.RUNNING) throw new IllegalStateException("container " + c.name() + " is already running");
        current = current.with(Container.Status.CREATED, null, null);
        containers.write(autoRemove ? current.removedWhenDone() : current);
        Started s = startLocked(current, current.openStdin(), exitCommand);
        if (s.refusal() != null) {
            // A command that cannot run is refused here, as docker and podman refuse it, rather than
            // reported only in the logs of a container that seemed to start.
            Files.writeString(Conmon.log(containers.dir(c.id())), ContainerLog.record(java.time.OffsetDateTime.now(), true, s.refusal()),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            if (autoRemove) remove(c, true);
            throw new CommandNotRunnable(s.refusal());
        }
        Container running = containers.get(c.id()).orElseThrow();
        try {
            runtime(c).start(c.id());
        } catch (IOException e) {
            runtime(c).delete(c.id()); // its monitor sees it end, and cleans up
            throw e;
        }
        return containers.get(c.id()).orElse(running.with(Container.Status.EXITED, null, null));
    }

    /**
     * {@link #start} under the container's clean-up lock, recording it running once its monitor runs:
     * a clean-up of a run before (its monitor's, which may come late) waits, then finds this run's
     * monitor alive, and leaves it be. Recorded before the command starts, so a command that ends at
     * once is recorded as exited by its monitor's clean-up, never after it.
     */
    private Started startLocked(Container c, boolean interactive, List<String> exitCommand) throws IOException {
        Path dir = containers.dir(c.id());
        try (var lock = io.strata.client.store.FileLocks.exclusive(dir.resolve("cleanup.lock"))) {
            Started s = start(c, interactive, exitCommand);
            if (s.monitor() != null) {
                containers.write(containers.get(c.id()).orElse(c).running(s.monitor().pid()));
                events.container(c, "start");
            }
            return s;
        }
    }

    /** A container created by its monitor and ready to start, or why its command cannot run. */
    private record Started(Conmon.Monitor monitor, String refusal) {}

    /**
     * Everything before the container's command starts: its rootfs mounted, its command checked, its
     * network attached, its monitor launched and the runtime's create done. A failure undoes it all.
     */
    private Started start(Container c, boolean interactive, List<String> exitCommand) throws IOException {
        Path dir = containers.dir(c.id());
        // Each run's monitor cleans up after that run only: a late clean-up of the run before must not touch this one.
        String token = HexFormat.of().formatHex(randomBytes());
        Files.writeString(dir.resolve(RUN_TOKEN), token);
        List<String> monitorExit = null;
        if (exitCommand != null) {
            monitorExit = new ArrayList<>(exitCommand);
            monitorExit.addAll(List.of("--run", token));
        }
        mountRootfs(c);
        try {
            String missing = checkCommand(c);
            if (missing != null) {
                record(c, CommandNotRunnable.exitCode(missing));
                unmountRootfs(c);
                return new Started(null, missing);
            }
            OciRuntime runtime = runtime(c);
            runtime.delete(c.id()); // state a killed earlier run left
            attachNetwork(c);
            boolean terminal = Bundle.read(containers.bundle(c.id())).terminal();
            try {
                return new Started(Conmon.create(new Conmon.Launch(c.id(), c.name(), dir, containers.bundle(c.id()), runtime, terminal,
                        interactive, monitorExit)), null);
            } catch (IOException e) {
                // The runtime could not exec the command (the check above cannot see everything it
                // sees): refused as a command that cannot run, with docker's 126 or 127.
                String failure = OciRuntime.startFailure(OciRuntime.log(containers.bundle(c.id()))).orElse(null);
                if (failure == null || startFailureExitCode(failure) == 125) throw e;
                runtime.delete(c.id());
                Networking.release(dir);
                unmountRootfs(c);
                record(c, startFailureExitCode(failure));
                return new Started(null, failure);
            }
        } catch (IOException | RuntimeException | Error e) {
            try {
                runtime(c).delete(c.id());
                Networking.release(dir);
            } catch (IOException | RuntimeException undo) {
                e.addSuppressed(undo);
            } finally {
                unmountRootfs(c);
            }
            throw e;
        }
    }

    /**
     * What follows a container's exit (its monitor's exit command, a foreground run's end, or the next
     * look at a container whose monitor died): its exit code recorded, the runtime's state, its network
     * and its mounts freed, and a --rm container removed. Idempotent; one at a time per container.
     * Answers its exit code (null: it still runs, or is gone).
     */
    public Integer cleanup(String id) throws IOException {
        return cleanup(id, null);
    }

    /**
     * As {@link #cleanup(String)}, from the container's monitor ({@code exitCommand}: what it was
     * started with): then its restart policy is applied, and it is started again when the policy says so.
     */
    public Integer cleanup(String id, List<String> exitCommand) throws IOException {
        return cleanup(id, exitCommand, null);
    }

    /**
     * As {@link #cleanup(String, List)}, from the monitor of the run {@code runToken} names: nothing
     * when the container has started again since (a clean-up that comes late must not end the new run).
     */
    public Integer cleanup(String id, List<String> exitCommand, String runToken) throws IOException {
        if (runToken != null) {
            Path token = containers.dir(id).resolve(RUN_TOKEN);
            if (!Files.exists(token) || !Files.readString(token).strip().equals(runToken)) return null;
        }
        Integer code = clean(id);
        if (exitCommand != null && code != null) restartIfDue(id, code, exitCommand);
        return code;
    }

    private Integer clean(String id) throws IOException {
        Path dir = containers.dir(id);
        if (!Files.isDirectory(dir)) return null;
        try (var lock = io.strata.client.store.FileLocks.exclusive(dir.resolve("cleanup.lock"))) {
            Container c = containers.get(id).orElse(null);
            if (c == null) return null; // removed meanwhile
            OciRuntime runtime = runtime(c);
            if (c.status() == Container.Status.RUNNING) {
                // Still running (its monitor, or the container without it: the monitor was killed): nothing to clean.
                // (An exit file says it ended: the runtime is asked only when there is none.)
                java.util.Optional<Integer> exit = Conmon.exitCode(dir);
                if (running(c) || exit.isEmpty() && runtime.status(id).map(st -> !st.equals("stopped")).orElse(false)) return null;
                int code = exit.orElse(255);
                // When the runtime could not start the command it said why, and its exit code (1)
                // would read as the command's: answer as docker does instead.
                if (code != 0) code = OciRuntime.startFailure(OciRuntime.log(containers.bundle(id))).map(Runner::startFailureExitCode).orElse(code);
                record(c, code);
                events.container(c, "die", Map.of("exitCode", String.valueOf(code)));
            }
            try {
                runtime.delete(id);
            } catch (IOException ignored) {
                // the runtime binary is gone: nothing of the runtime's to clean
            }
            Files.deleteIfExists(dir.resolve(PAUSED));
            try {
                Networking.release(dir);
            } finally {
                unmountRootfs(c);
            }
            Container now = containers.get(id).orElse(null);
            if (now != null && now.autoRemove() && now.status() == Container.Status.EXITED) remove(now, true);
            return now == null ? null : now.exitCode();
        }
    }

    /** Waits for {@code p} (null: nothing to wait for, 0) and answers its exit code. */
    static int await(Process p) throws IOException {
        if (p == null) return 0;
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
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
        Networking.awaitRelease(c.id()); // its last run's, still under way: it ends by removing the namespace this run makes again
        String hostname = Files.readString(containers.bundle(c.id()).resolve("etc/hostname")).strip();
        Networks.Network network;
        try {
            network = networks.get(request.network());
        } catch (IllegalArgumentException removed) {
            throw new IllegalStateException("container " + c.name() + "'s network " + request.network() + " was removed");
        }
        Networking.attach(containers.dir(c.id()), c.id(), c.name(), request, network, others, hostname);
        // The networks it was connected to after its create, again (a network removed meanwhile is let go).
        for (Networking.Connection connection : Networking.connections(containers.dir(c.id()))) {
            Networks.Network extra;
            try {
                extra = networks.get(connection.network());
            } catch (IllegalArgumentException removed) {
                Networking.forgetConnection(containers.dir(c.id()), connection.network());
                continue;
            }
            connectNow(c, connection, extra, request);
        }
    }

    /** The ports a container publishes while it runs, as {@code strata port} lists them. */
    public List<PortMapping> ports(Container c) throws IOException {
        Networking.Attachment a = refresh(c).status() == Container.Status.RUNNING ? Networking.attachment(containers.dir(c.id())) : null;
        return a == null ? List.of() : a.ports();
    }

    /**
     * The container as it is now: a container recorded as running whose monitor is gone (killed, or
     * the host restarted) is cleaned up here, its exit code what the monitor recorded, else 255.
     */
    public Container refresh(Container c) throws IOException {
        Container now = containers.get(c.id()).orElse(c);
        if (now.status() != Container.Status.RUNNING || running(now)) return now;
        if (cleanup(now.id()) == null && containers.get(c.id()).map(x -> x.status() == Container.Status.RUNNING).orElse(false)) return now;
        // Gone: removed at its exit (--rm), its exit code is in the events.
        return containers.get(c.id()).orElseGet(() -> now.with(Container.Status.EXITED, events.lastExitCode(c.id()).orElse(255), Instant.now().toString()));
    }

    /**
     * Whether a container recorded as running still runs: its monitor runs and has not written its
     * exit code (once it has, the clean-up need not wait for the monitor's own exit command).
     */
    private boolean running(Container c) throws IOException {
        return monitored(c) && Conmon.exitCode(containers.dir(c.id())).isEmpty();
    }

    /** Whether the container's monitor still runs (its conmon: alive until the clean-up it runs has finished). */
    private boolean monitored(Container c) throws IOException {
        if (c.pid() == null) return false;
        var handle = ProcessHandle.of(c.pid());
        if (handle.isEmpty() || !handle.get().isAlive()) return false;
        // A pid the kernel gave another process since: not the container's monitor.
        return handle.get().info().command().map(cmd -> cmd.endsWith("conmon")).orElse(true);
    }

    /**
     * Every container as it is now. A container run with {@code --rm} that exited while nothing
     * cleaned up after it is removed here, so --rm holds however the run ended.
     */
    public List<Container> list() throws IOException {
        List<Container> out = new ArrayList<>();
        for (Container c : containers.list()) {
            Container now = refresh(c);
            if (now.autoRemove() && now.status() == Container.Status.EXITED && !monitored(now)) {
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
        stoppedByUser(c);
        runtime(c).kill(c.id(), sig);
        events.container(c, "kill", Map.of("signal", sig));
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
        Container stopped = stopRunning(c, timeoutSeconds, stopSignal);
        events.container(c, "stop");
        return stopped;
    }

    private Container stopRunning(Container c, Integer timeoutSeconds, String stopSignal) throws IOException {
        stoppedByUser(c);
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
        return exec(c, new Exec(args, tty, true, false, List.of(), null, null, false));
    }

    /**
     * What {@code exec} takes: the command; a terminal; stdin passed on ({@code -i}); detached ({@code -d},
     * nothing waited for); variables added to the container's; another user ({@code -u}, as the image's
     * /etc/passwd names it) and working directory ({@code -w}); every capability ({@code --privileged}).
     */
    public record Exec(List<String> args, boolean tty, boolean interactive, boolean detach, List<String> env, String user, String workdir,
                       boolean privileged) {
        public Exec {
            env = env == null ? List.of() : List.copyOf(env);
            if (workdir != null && !workdir.startsWith("/")) throw new IllegalArgumentException("the working directory must be absolute, was " + workdir);
        }
    }

    /** Runs another command in a running container, as its main process runs unless {@code e} says otherwise; answers its exit code (0 detached). */
    public int exec(Container c, Exec e) throws IOException {
        if (refresh(c).status() != Container.Status.RUNNING) throw new IllegalStateException("container " + c.name() + " is not running");
        Bundle.Written config = Bundle.read(containers.bundle(c.id()));
        Path rootfs = containers.bundle(c.id()).resolve("rootfs");
        boolean mounted = Mount.isMountPoint(rootfs);
        // Its rootfs is mounted while it runs: a command it does not have is refused as run refuses it.
        String missing = mounted ? checkCommand(c, e.args().getFirst(), config) : null;
        if (missing != null) throw new CommandNotRunnable(missing);
        Users.Ids user = e.user() == null ? config.user() : Users.resolve(rootfs, e.user());
        List<String> env = new ArrayList<>(config.env());
        for (String kv : e.env()) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("environment entries are KEY=VALUE, was " + kv);
            env.removeIf(x -> x.startsWith(kv.substring(0, eq + 1)));
            env.add(kv);
        }
        if (e.tty() && env.stream().noneMatch(x -> x.startsWith("TERM="))) env.add("TERM=xterm"); // as docker's exec -t
        if (e.user() != null && user.home() != null && !user.home().isEmpty()) {
            env.removeIf(x -> x.startsWith("HOME="));
            env.add("HOME=" + user.home());
        }
        Path log = Files.createTempFile(containers.bundle(c.id()), "exec-", ".log");
        try {
            // -t without a terminal here (a script, a pipe): a pty of our own stands in, as podman's exec gives one.
            PseudoTerminal pty = e.tty() && !e.detach() && !io.strata.snapshots.Native.isTerminal(0) ? PseudoTerminal.open() : null;
            Process p;
            Thread output = null;
            try {
                p = runtime(c).exec(c.id(), log, e.args(), env, e.workdir() == null ? config.cwd() : e.workdir(), user, e.tty(),
                        e.interactive() || e.tty(), e.detach(), e.privileged() ? Capabilities.all() : List.of(), pty == null ? null : pty.slave());
                if (pty != null) {
                    output = Thread.ofPlatform().start(() -> {
                        try {
                            pty.copyOutput(System.out);
                        } catch (IOException ignored) {
                            // the terminal closed
                        }
                    });
                    if (e.interactive()) {
                        Thread.ofPlatform().daemon().start(() -> {
                            try {
                                pty.copyInput(System.in);
                            } catch (IOException ignored) {
                                // the command ended
                            }
                        });
                    }
                }
                int exited = p.waitFor();
                if (output != null) output.join(); // all the command wrote, before its exit code is answered
                if (exited == 0) return 0;
            } finally {
                if (pty != null) pty.close();
            }
            int code = p.exitValue();
            if (code == 0) return 0;
            // As run: the runtime said why, and its 1 would read as the command's.
            return OciRuntime.startFailure(log).map(Runner::startFailureExitCode).orElse(code);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", ie);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    /**
     * Prints a container's log as {@code q} asks (stdout's lines to {@code out}, stderr's to {@code err});
     * with {@code follow}, then what it writes until it exits.
     */
    public void logs(Container c, java.io.PrintStream out, java.io.PrintStream err, boolean follow, ContainerLog.Query q) throws IOException {
        Path log = Conmon.log(containers.dir(c.id()));
        long offset = ContainerLog.print(log, q, out, err);
        if (!follow) return;
        while (true) {
            boolean done = refresh(c).status() != Container.Status.RUNNING;
            offset = ContainerLog.follow(log, offset, q, out, err);
            if (done) return;
            sleep(100);
        }
    }

    static void sleep(long millis) throws IOException {
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
                return FileCapabilities.refusedUnder(p, FileCapabilities.mask(Capabilities.DEFAULT))
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
        frozen(c, rootfs -> {
            try (io.strata.snapshots.TarWriter tar = new io.strata.snapshots.TarWriter(out)) {
                io.strata.snapshots.LayerWriter.write(rootfs, tar);
            }
        });
    }

    private interface OnRootfs {
        void apply(Path rootfs) throws IOException;
    }

    /**
     * Runs {@code body} on the container's filesystem as it sees it (mounted for the while when it is
     * not running), its processes frozen while it runs (the cgroup freezer: what is read or written
     * holds still, and no path changes under the walk).
     */
    private void frozen(Container c, OnRootfs body) throws IOException {
        Path rootfs = containers.bundle(c.id()).resolve("rootfs");
        boolean running = refresh(c).status() == Container.Status.RUNNING;
        boolean mountedHere = !Mount.isMountPoint(rootfs);
        if (mountedHere) mountRootfs(c);
        boolean freeze = running && !paused(c);
        OciRuntime runtime = running ? runtime(c) : null;
        if (freeze) runtime.pause(c.id());
        try {
            body.apply(rootfs);
        } finally {
            try {
                if (freeze) runtime.resume(c.id());
            } finally {
                if (mountedHere) unmountRootfs(c);
            }
        }
    }

    /**
     * cp out of a container: the entry at {@code path} as the container sees it (a directory with all
     * below it) as a tar, its top named {@code name}, or with {@code name} empty only what is below the
     * directory. Walked through {@link io.strata.snapshots.ConfinedDir}: symlinks resolve inside the
     * container's root, never the host's.
     */
    public void copyOut(Container c, String path, String name, OutputStream out) throws IOException {
        frozen(c, rootfs -> {
            try (var root = io.strata.snapshots.ConfinedDir.open(rootfs); var tar = new io.strata.snapshots.TarWriter(out)) {
                String clean = Path.of("/").resolve(path).normalize().toString();
                if (name.isEmpty()) {
                    try (var dir = clean.equals("/") ? null : root.dirInRoot(clean)) {
                        if (!clean.equals("/") && dir == null) throw new IllegalArgumentException("no directory " + path + " in container " + c.name());
                        io.strata.snapshots.LayerWriter.writeBelow(dir == null ? root : dir, "", tar);
                    }
                    return;
                }
                if (clean.equals("/")) throw new IllegalArgumentException("copy / as /. (what is below it)");
                String parent = clean.substring(0, clean.lastIndexOf('/'));
                String base = clean.substring(clean.lastIndexOf('/') + 1);
                try (var holder = parent.isEmpty() ? null : root.dirInRoot(parent)) {
                    var dir = parent.isEmpty() ? root : holder;
                    if (dir == null || dir.lstat(base) == null) {
                        throw new IllegalArgumentException("no such file or directory in container " + c.name() + ": " + path);
                    }
                    io.strata.snapshots.LayerWriter.writeEntry(dir, base, name, tar);
                }
            }
        });
    }

    /** Whether {@code path} is a directory in the container (symlinks resolved inside its root); null when nothing is there. */
    public Boolean isDirectoryIn(Container c, String path) throws IOException {
        Boolean[] answer = {null};
        frozen(c, rootfs -> {
            try (var root = io.strata.snapshots.ConfinedDir.open(rootfs)) {
                String clean = Path.of("/").resolve(path).normalize().toString();
                if (clean.equals("/")) {
                    answer[0] = true;
                    return;
                }
                try (var dir = root.dirInRoot(clean)) {
                    if (dir != null) {
                        answer[0] = true;
                        return;
                    }
                }
                String parent = clean.substring(0, clean.lastIndexOf('/'));
                try (var holder = parent.isEmpty() ? null : root.dirInRoot(parent)) {
                    var dir = parent.isEmpty() ? root : holder;
                    if (dir != null && dir.lstat(clean.substring(clean.lastIndexOf('/') + 1)) != null) answer[0] = false;
                }
            }
        });
        return answer[0];
    }

    /**
     * cp into a container: the tar's entries applied below the directory {@code dir} as the container
     * sees it, by the layer applier (no entry leaves the directory or goes through a symlink), the
     * directory held by its fd and the container frozen, so no path it changes can redirect a write.
     */
    public void copyIn(Container c, InputStream tar, String dir) throws IOException {
        frozen(c, rootfs -> {
            try (var root = io.strata.snapshots.ConfinedDir.open(rootfs)) {
                String clean = Path.of("/").resolve(dir).normalize().toString();
                try (var target = clean.equals("/") ? null : root.dirInRoot(clean)) {
                    if (!clean.equals("/") && target == null) throw new IllegalArgumentException("no directory " + dir + " in container " + c.name());
                    io.strata.snapshots.Applier.applyFiles(tar, (target == null ? root : target).self(), io.strata.snapshots.Applier.Limits.DEFAULT);
                }
            }
        });
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
            stoppedByUser(c);
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
            io.strata.snapshots.OverlaySnapshotter.deleteTree(dir);
            events.container(c, "destroy");
        }
    }

    /** Where this store's events are kept (strata events reads them). */
    public Events events() {
        return events;
    }
}
