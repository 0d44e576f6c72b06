package io.strata.cli;

import io.strata.client.Puller;
import io.strata.client.store.LayoutStore;
import io.strata.oci.MediaType;
import io.strata.oci.Platform;
import io.strata.oci.Reference;
import io.strata.runner.Container;
import io.strata.runner.RunSpec;
import io.strata.runner.Runner;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** What strata run and strata create take: the image, its command, and how the container runs it. */
final class ContainerOptions {
    @Mixin
    UnpackOptions unpackOptions;

    @Option(names = "--name", paramLabel = "NAME", description = "The container's name (default: strata-<id>).")
    String name;

    @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "Set an environment variable.")
    List<String> env = new ArrayList<>();

    @Option(names = "--env-file", paramLabel = "FILE", description = "Read KEY=VALUE lines from a file.")
    List<Path> envFiles = new ArrayList<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Working directory in the container.")
    String workdir;

    @Option(names = {"-u", "--user"}, paramLabel = "USER[:GROUP]", description = "User (name or id) from the image's /etc/passwd.")
    String user;

    @Option(names = "--entrypoint", paramLabel = "CMD", description = "Replace the image's entrypoint (\"\" clears it).")
    String entrypoint;

    @Option(names = "--hostname", paramLabel = "NAME", description = "The container's host name (default: its short id).")
    String hostname;

    @Option(names = "--network", paramLabel = "bridge|none|host|NAME|container:C", description = "bridge (default): the default network, "
            + "strata0, with outbound traffic and published ports; NAME: a network made with strata network create, where containers find "
            + "each other by name; none: a network namespace with only loopback; host: the host's; container:C: running container C's.")
    String network = "bridge";

    @Option(names = "--network-alias", paramLabel = "ALIAS", description = "Another name the container answers to on a network made with "
            + "strata network create.")
    List<String> aliases = new ArrayList<>();

    @Option(names = {"-p", "--publish"}, paramLabel = "[IP:][HOSTPORT:]CONTAINERPORT[/PROTO]", description = "Publish a container's port "
            + "(or range) on the host, e.g. 8080:80, 127.0.0.1:8080:80/tcp, 53:53/udp; without HOSTPORT, a free one.")
    List<String> publish = new ArrayList<>();

    @Option(names = {"-P", "--publish-all"}, description = "Publish every port the image exposes (EXPOSE) on a free host port.")
    boolean publishAll;

    @Option(names = "--dns", paramLabel = "IP", description = "A nameserver for the container (replaces the host's).")
    List<String> dns = new ArrayList<>();

    @Option(names = "--dns-search", paramLabel = "DOMAIN", description = "A search domain for the container (replaces the host's).")
    List<String> dnsSearch = new ArrayList<>();

    @Option(names = "--dns-option", paramLabel = "OPTION", description = "A resolver option, e.g. ndots:2 (replaces the host's).")
    List<String> dnsOptions = new ArrayList<>();

    @Option(names = "--add-host", paramLabel = "NAME:IP", description = "Add a line to the container's /etc/hosts.")
    List<String> addHosts = new ArrayList<>();

    @Option(names = "--stop-signal", paramLabel = "SIGNAL", description = "The signal stop sends (default: the image's STOPSIGNAL, else SIGTERM).")
    String stopSignal;

    @Option(names = "--stop-timeout", paramLabel = "SECONDS", description = "Seconds stop waits before SIGKILL (default 10).")
    Integer stopTimeout;

    @Option(names = "--restart", paramLabel = "POLICY", description = "Start it again when it exits: no (default), on-failure[:N], "
            + "always, unless-stopped (detached containers; start --all brings them back after a host restart).")
    String restart = "no";

    @Option(names = "--init", description = "Run an init as PID 1 (catatonit, else tini): it reaps zombies and passes signals on.")
    boolean init;

    @Option(names = "--init-path", paramLabel = "PATH", description = "The init --init runs (a statically linked binary).")
    Path initPath;

    @Option(names = "--ip", paramLabel = "IPV4", description = "The container's address on the bridge network (default: the next free).")
    String ip;

    @Option(names = "--mac-address", paramLabel = "MAC", description = "The container's MAC address on the bridge network.")
    String mac;

    @Option(names = {"-v", "--volume"}, paramLabel = "SOURCE:CTR[:ro]", description = "Mount a named volume (made on first use, "
            + "filled from the image when empty) or bind a host path (absolute) into the container.")
    List<String> volumes = new ArrayList<>();

    @Option(names = "--mount", paramLabel = "type=bind|volume|tmpfs,source=S,target=T[,readonly]", description = "Mount a host path, "
            + "a volume or a tmpfs (docker's --mount; tmpfs-size= and tmpfs-mode= for a tmpfs).")
    List<String> mounts = new ArrayList<>();

    @Option(names = "--tmpfs", paramLabel = "PATH[:OPTIONS]", description = "Mount a tmpfs at PATH (options: size=64m, mode=1777, …).")
    List<String> tmpfs = new ArrayList<>();

    @Option(names = "--read-only", description = "Mount the container's root filesystem read-only.")
    boolean readOnly;

    @Option(names = {"-m", "--memory"}, paramLabel = "BYTES", description = "Memory limit, e.g. 64m, 1g.")
    String memory;

    @Option(names = "--cpus", paramLabel = "N", description = "CPU limit, e.g. 0.5.")
    Double cpus;

    @Option(names = "--pids-limit", paramLabel = "N", description = "Limit on processes in the container.")
    Long pidsLimit;

    @Option(names = {"-t", "--tty"}, description = "Give the container a terminal.")
    boolean tty;

    @Option(names = {"-i", "--interactive"}, description = "Pass stdin to the container (without it, the container's stdin is empty, as docker's).")
    boolean interactive;

    @Option(names = "--runtime", paramLabel = "runc|crun", description = "The OCI runtime (default runc).")
    String runtime = "runc";

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "Platform to pull when the image is not stored.")
    String platform;

    @Parameters(index = "0", paramLabel = "REF", description = "A stored image, or a reference to pull.")
    String reference;

    @Parameters(index = "1..*", paramLabel = "CMD", description = "The command and its arguments (default: the image's).")
    List<String> command = new ArrayList<>();

    /** Creates the container, pulling and unpacking the image first when the store lacks it. */
    Container create(ClientOptions options, RemoteOptions remote, LayoutStore store) throws Exception {
        List<RunSpec.Bind> binds = new ArrayList<>();
        List<Runner.VolumeMount> named = new ArrayList<>();
        List<RunSpec.Tmpfs> tmpfsMounts = new ArrayList<>();
        for (String v : volumes) {
            String source = v.contains(":") ? v.substring(0, v.indexOf(':')) : v;
            if (io.strata.runner.Volumes.isName(source)) {
                String[] p = v.split(":", -1);
                if (p.length < 2 || p.length > 3 || (p.length == 3 && !p[2].equals("ro") && !p[2].equals("rw"))) {
                    throw new IllegalArgumentException("a volume is NAME:CONTAINER[:ro], was " + v);
                }
                named.add(new Runner.VolumeMount(p[0], p[1], p.length == 3 && p[2].equals("ro")));
            } else {
                binds.add(RunSpec.Bind.parse(v));
            }
        }
        for (String m : mounts) {
            Map<String, String> kv = RunSpec.mountOptions(m);
            String type = kv.getOrDefault("type", "volume");
            String source = kv.getOrDefault("source", kv.get("src"));
            String target = kv.getOrDefault("target", kv.getOrDefault("destination", kv.get("dst")));
            boolean ro = List.of("true", "1").contains(kv.getOrDefault("readonly", kv.getOrDefault("ro", "false")));
            if (target == null) throw new IllegalArgumentException("--mount " + m + ": target= is required");
            switch (type) {
                case "bind" -> {
                    if (source == null) throw new IllegalArgumentException("--mount " + m + ": source= is required for a bind");
                    binds.add(RunSpec.Bind.parse(source + ":" + target + (ro ? ":ro" : "")));
                }
                case "volume" -> {
                    if (source == null) throw new IllegalArgumentException("--mount " + m + ": source= (the volume's name) is required");
                    named.add(new Runner.VolumeMount(source, target, ro));
                }
                case "tmpfs" -> {
                    List<String> opts = new ArrayList<>();
                    if (kv.containsKey("tmpfs-size")) opts.add("size=" + kv.get("tmpfs-size"));
                    if (kv.containsKey("tmpfs-mode")) opts.add("mode=" + kv.get("tmpfs-mode"));
                    if (ro) opts.add("ro");
                    tmpfsMounts.add(new RunSpec.Tmpfs(target, opts));
                }
                default -> throw new IllegalArgumentException("--mount " + m + ": type is bind, volume or tmpfs, was " + type);
            }
        }
        for (String t : tmpfs) tmpfsMounts.add(RunSpec.Tmpfs.parse(t));
        for (RunSpec.Bind bind : binds) {
            // Refused before anything is pulled or made, as podman refuses it (docker's -v makes the
            // directory, a habit of its own); the runtime would say so only in its log format.
            if (!Files.exists(Path.of(bind.host()))) throw new IllegalArgumentException("volume source " + bind.host() + ": no such file or directory");
        }
        // What the user wrote is checked before anything is pulled or made.
        if (stopSignal != null) io.strata.runner.Signals.parse(stopSignal);
        Path initBinary = initBinary();
        io.strata.runner.RestartPolicy restartPolicy = io.strata.runner.RestartPolicy.parse(restart);
        RunSpec.Network net = switch (network) {
            case "none" -> RunSpec.Network.NONE;
            case "host" -> RunSpec.Network.HOST;
            default -> network.startsWith("container:") ? RunSpec.Network.CONTAINER
                    : RunSpec.Network.BRIDGE; // the default bridge, or a network of that name (checked below)
        };
        if (net == RunSpec.Network.CONTAINER) Containers.store(store).find(network.substring("container:".length())); // one that exists
        List<io.strata.runner.PortMapping> ports = new ArrayList<>();
        for (String p : publish) ports.addAll(io.strata.runner.PortMapping.parse(p, ContainerOptions::freePort));
        Runner runner = Containers.runner(store);
        if (publishAll && net != RunSpec.Network.BRIDGE) {
            runner.checkNetwork(net, network, List.of(new io.strata.runner.PortMapping("", 1, 1, "tcp")), null, null, List.of());
        }
        runner.checkNetwork(net, network, ports, ip, mac, aliases);
        RunSpec.Dns resolver = new RunSpec.Dns(dns, dnsSearch, dnsOptions);
        List<RunSpec.ExtraHost> extraHosts = new ArrayList<>();
        for (String h : addHosts) extraHosts.add(RunSpec.ExtraHost.parse(h));
        Runner.Image image = findOrPull(options, remote, store);
        if (publishAll && image.config().config() != null && image.config().config().exposedPorts() != null) {
            for (String exposed : image.config().config().exposedPorts().keySet()) {
                ports.addAll(io.strata.runner.PortMapping.parse(exposed, ContainerOptions::freePort)); // 80/tcp: the container's side only
            }
        }
        List<String> environment = environment(envFiles, env);
        Runner.Options o = new Runner.Options(name, command, entrypoint, environment, workdir, user, hostname, net,
                binds, readOnly, memory == null ? null : bytes(memory), cpus, pidsLimit,
                tty, interactive, runtime, ports, resolver, extraHosts, named, tmpfsMounts, ip, mac,
                net == RunSpec.Network.BRIDGE ? network : net == RunSpec.Network.CONTAINER ? network.substring("container:".length()) : null, aliases,
                stopSignal, stopTimeout, initBinary, restartPolicy);
        return runner.create(image, o);
    }

    /**
     * The variables of {@code --env-file} files, then of {@code -e}: a line or an argument naming a
     * variable without a value takes this process's, and one unset here is left out, as docker's.
     */
    static List<String> environment(List<Path> envFiles, List<String> env) throws java.io.IOException {
        List<String> environment = new ArrayList<>();
        for (Path f : envFiles) {
            for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                String l = line.strip();
                if (!l.isEmpty() && !l.startsWith("#")) withValue(l).ifPresent(environment::add);
            }
        }
        for (String e : env) withValue(e).ifPresent(environment::add);
        return environment;
    }

    /** --init's binary: --init-path's (which implies --init), else the default one found here. */
    private Path initBinary() {
        if (initPath != null) {
            if (!Files.isRegularFile(initPath) || !Files.isExecutable(initPath)) {
                throw new IllegalArgumentException("--init-path " + initPath + " is not an executable file");
            }
            return initPath.toAbsolutePath();
        }
        return init ? Runner.defaultInit() : null;
    }

    /** A host port free now, the kernel's choice (as docker picks one for -p CONTAINERPORT and -P). */
    private static int freePort() {
        try (var s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("no free port: " + e.getMessage(), e);
        }
    }

    /**
     * {@code KEY=VALUE} as given; a bare {@code KEY} takes this process's value, and is left unset
     * when this process has none, as docker's -e and --env-file (not set to empty).
     */
    private static Optional<String> withValue(String entry) {
        if (entry.contains("=")) return Optional.of(entry);
        String value = System.getenv(entry);
        return value == null ? Optional.empty() : Optional.of(entry + "=" + value);
    }

    /** The image: stored (its missing snapshots unpacked, as after load or pull --no-unpack), else pulled. */
    private Runner.Image findOrPull(ClientOptions options, RemoteOptions remote, LayoutStore store) throws Exception {
        return findOrPull(options, remote, unpackOptions, store, reference, platform);
    }

    /**
     * The stored image {@code reference} names, unpacked; pulled (and unpacked) first when it is not
     * stored: what run, create and build's FROM take.
     */
    static Runner.Image findOrPull(ClientOptions options, RemoteOptions remote, UnpackOptions unpackOptions, LayoutStore store, String reference,
                                   String platform) throws Exception {
        return findOrPull(options, remote, unpackOptions, store, reference, platform, "missing");
    }

    /** As above, with podman's --pull policy: missing (pull what is not stored), always (pull first), never (stored only). */
    static Runner.Image findOrPull(ClientOptions options, RemoteOptions remote, UnpackOptions unpackOptions, LayoutStore store, String reference,
                                   String platform, String pull) throws Exception {
        LocalImage local;
        try {
            if (pull.equals("always")) throw new IllegalArgumentException("pulled first, whatever is stored");
            local = LocalImage.find(store, reference);
            if (platform != null && !MediaType.INDEXES.contains(local.manifest().mediaType())) {
                // A stored image for another platform is not the one asked for: pulled again, as podman does.
                Platform offered = Containers.image(store, local).config().platform();
                if (!Platform.parse(platform).matches(offered)) {
                    throw new IllegalArgumentException("the stored " + reference + " is for " + offered + ", not " + Platform.parse(platform));
                }
            }
        } catch (IllegalArgumentException notStored) {
            if (pull.equals("never")) throw notStored;
            Reference ref = Reference.parse(reference);
            try (ProgressDisplay progress = ProgressDisplay.open(options.quiet());
                 Interrupted ignored = Interrupted.report(store)) {
                Puller puller = new Puller(remote.client(ref.registry(), progress::retry), store, 4, progress,
                        Optional.of(new Puller.Unpack(UnpackOptions.snapshotter(store), unpackOptions.limits())));
                if (QuickJit.active()) puller.beforeWork(QuickJit.HandOff::ifLarge);
                puller.pull(ref, platform == null ? Platform.host() : Platform.parse(platform), platform != null);
            } catch (QuickJit.HandOff handOff) {
                // strata pull in a JVM of its own that has the optimising compiler (this one, started for a
                // quick command, has not: hashing and inflating would be several times slower).
                QuickJit.runWithOptimisingCompiler(PullCommand.args(store, remote, unpackOptions, options.quiet(), null, platform, 4, false,
                        reference), true);
            }
            return Containers.image(store, LocalImage.find(store, reference));
        }
        // An index kept whole gives the image of the platform asked (or this host's).
        Runner.Image image = Containers.image(store, local, platform == null ? null : Platform.parse(platform));
        if (!image.chainIds().isEmpty() && UnpackOptions.snapshotter(store).stat(image.chainIds().getLast().toString()).isEmpty()) {
            try (ProgressDisplay progress = ProgressDisplay.open(options.quiet())) {
                UnpackCommand.unpack(store, new LocalImage(local.name(), new io.strata.oci.Descriptor(io.strata.oci.MediaType.OCI_MANIFEST,
                        image.manifest(), store.read(image.manifest()).length)), unpackOptions.limits(), 4, progress);
            }
        }
        return image;
    }

    /** 64m, 1g, 512k or plain bytes, as docker's --memory. */
    static long bytes(String text) {
        String t = text.trim().toLowerCase();
        long unit = 1;
        char last = t.isEmpty() ? ' ' : t.charAt(t.length() - 1);
        switch (last) {
            case 'b' -> t = t.substring(0, t.length() - 1);
            case 'k' -> { unit = 1L << 10; t = t.substring(0, t.length() - 1); }
            case 'm' -> { unit = 1L << 20; t = t.substring(0, t.length() - 1); }
            case 'g' -> { unit = 1L << 30; t = t.substring(0, t.length() - 1); }
            default -> { }
        }
        try {
            return Math.multiplyExact(Long.parseLong(t), unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new IllegalArgumentException("invalid size " + text + " (e.g. 64m, 1g)");
        }
    }
}
