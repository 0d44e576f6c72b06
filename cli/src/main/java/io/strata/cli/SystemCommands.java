package io.strata.cli;

import io.strata.client.store.LayoutStore;
import io.strata.oci.Digest;
import io.strata.oci.ImageConfig;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import io.strata.runner.Container;
import io.strata.runner.Runner;
import io.strata.snapshots.Snapshotter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** strata system: what concerns the host as a whole. */
@Command(name = "system", mixinStandardHelpOptions = true, description = "Manage Strata on this host: df (disk usage), prune, info, unit "
        + "(the systemd unit that brings containers back after a restart).",
        subcommands = {SystemCommands.Df.class, PruneCommands.SystemPrune.class, SystemCommands.Info.class, SystemCommands.Unit.class})
final class SystemCommands {
    private SystemCommands() {}

    /**
     * docker system df: images (their unpacked layers, each counted once however many images share
     * it), containers (their writable layers) and volumes, what of each is in use and what a prune
     * would free.
     */
    @Command(name = "df", mixinStandardHelpOptions = true, description = "Show the disk space images, containers and volumes use.")
    static final class Df implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-v", "--verbose"}, description = "Each image, container and volume.")
        boolean verbose;

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("reading the snapshots' usage");
            LayoutStore store = options.store();
            Runner runner = Containers.runner(store);
            var snapshotter = UnpackOptions.snapshotter(store);
            Map<String, Snapshotter.Info> snapshots = new HashMap<>();
            for (var info : snapshotter.list()) snapshots.put(info.name(), info);
            List<Container> containers = runner.list();
            // The snapshots a container stands on, and the images containers were made from.
            Set<String> inUse = new HashSet<>();
            Set<String> imagesInUse = new HashSet<>();
            for (Container c : containers) {
                imagesInUse.add(c.imageDigest());
                String p = snapshots.containsKey(c.snapshot()) ? snapshots.get(c.snapshot()).parent() : null;
                while (p != null && inUse.add(p)) p = snapshots.containsKey(p) ? snapshots.get(p).parent() : null;
            }
            long imageBytes = 0, imageReclaimable = 0;
            for (var info : snapshots.values()) {
                if (info.kind() != Snapshotter.Kind.COMMITTED || info.usage() == null) continue;
                imageBytes += info.usage().bytes();
                if (!inUse.contains(info.name())) imageReclaimable += info.usage().bytes();
            }
            Set<Digest> images = new HashSet<>();
            List<String[]> imageRows = new ArrayList<>();
            for (var named : store.names()) {
                images.add(named.manifest().digest());
                if (verbose) imageRows.add(imageRow(store, named, snapshots, containers));
            }
            long activeImages = images.stream().filter(d -> imagesInUse.contains(d.toString())).count();
            long containerBytes = 0, containerReclaimable = 0;
            int running = 0;
            List<String[]> containerRows = new ArrayList<>();
            for (Container c : containers) {
                long rw = runner.sizes(c)[0];
                containerBytes += rw;
                if (c.status() == Container.Status.RUNNING) running++;
                else containerReclaimable += rw;
                containerRows.add(new String[] {c.id().substring(0, 12), c.image(), Output.size(rw), PsCommand.status(c, runner.paused(c),
                        java.time.Instant.now()), c.name()});
            }
            var volumes = Containers.volumes(store);
            long volumeBytes = 0, volumeReclaimable = 0;
            int volumesInUse = 0;
            List<String[]> volumeRows = new ArrayList<>();
            var all = volumes.list();
            for (var v : all) {
                long size = volumes.size(v.name());
                int links = volumes.users(v.name()).size();
                volumeBytes += size;
                if (links > 0) volumesInUse++;
                else volumeReclaimable += size;
                volumeRows.add(new String[] {v.name(), String.valueOf(links), Output.size(size)});
            }
            List<Map<String, Object>> rows = List.of(
                    row("Images", images.size(), activeImages, imageBytes, imageReclaimable),
                    row("Containers", containers.size(), running, containerBytes, containerReclaimable),
                    row("Local Volumes", all.size(), volumesInUse, volumeBytes, volumeReclaimable),
                    row("Build Cache", 0, 0, 0, 0));
            if (!verbose) {
                Output.rows(options.format(), false, rows, List.of(Output.Column.of("TYPE", "Type"), Output.Column.of("TOTAL", "TotalCount"),
                        Output.Column.of("ACTIVE", "Active"), Output.Column.of("SIZE", "Size"), Output.Column.of("RECLAIMABLE", "Reclaimable")), "Type");
                return 0;
            }
            System.out.println("Images space usage:\n");
            table(List.of("REPOSITORY", "TAG", "IMAGE ID", "SIZE", "CONTAINERS"), imageRows);
            System.out.println("\nContainers space usage:\n");
            table(List.of("CONTAINER ID", "IMAGE", "SIZE", "STATUS", "NAMES"), containerRows);
            System.out.println("\nLocal Volumes space usage:\n");
            table(List.of("VOLUME NAME", "LINKS", "SIZE"), volumeRows);
            return 0;
        }

        private static Map<String, Object> row(String type, long total, long active, long size, long reclaimable) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("Type", type);
            r.put("TotalCount", String.valueOf(total));
            r.put("Active", String.valueOf(active));
            r.put("Size", Output.size(size));
            r.put("Reclaimable", Output.size(reclaimable) + (size == 0 ? "" : " (" + Math.round(100.0 * reclaimable / size) + "%)"));
            return r;
        }

        /** An image's row: its unpacked layers' bytes, and how many containers were made from it. */
        private static String[] imageRow(LayoutStore store, LayoutStore.Named named, Map<String, Snapshotter.Info> snapshots,
                                         List<Container> containers) throws java.io.IOException {
            long bytes = 0;
            if (!MediaType.INDEXES.contains(named.manifest().mediaType())) {
                Manifest m = Manifest.parse(store.read(named.manifest().digest()));
                for (Digest chain : io.strata.client.Unpacker.chainIds(m, ImageConfig.parse(store.read(m.config().digest())))) {
                    var info = snapshots.get(chain.toString());
                    if (info != null && info.usage() != null) bytes += info.usage().bytes();
                }
            }
            String name = named.name();
            int colon = name.lastIndexOf(':');
            boolean tagged = colon > name.lastIndexOf('/');
            long users = containers.stream().filter(c -> c.image().equals(named.name())).count();
            return new String[] {tagged ? name.substring(0, colon) : name, tagged ? name.substring(colon + 1) : "<none>",
                    named.manifest().digest().encoded().substring(0, 12), Output.size(bytes), String.valueOf(users)};
        }

        /** A table as every verb prints one (Output.rows), its cells given in the headers' order. */
        private static void table(List<String> headers, List<String[]> rows) {
            List<Map<String, Object>> maps = new ArrayList<>();
            for (String[] r : rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                for (int i = 0; i < headers.size(); i++) m.put(headers.get(i), r[i]);
                maps.add(m);
            }
            Output.rows(null, false, maps, headers.stream().map(h -> Output.Column.of(h, h)).toList(), headers.getFirst());
        }
    }

    /** docker info: what this host runs containers with, and how many there are. */
    @Command(name = "info", mixinStandardHelpOptions = true, description = "Show what this host runs containers with, and how many there are.")
    static final class Info implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Override
        public Integer call() throws Exception {
            LayoutStore store = options.store();
            List<Container> containers = io.strata.snapshots.Native.isRoot() ? Containers.runner(store).list() : Containers.store(store).list();
            long running = containers.stream().filter(c -> c.status() == Container.Status.RUNNING).count();
            long paused = io.strata.snapshots.Native.isRoot()
                    ? containers.stream().filter(Containers.runner(store)::paused).count() : 0;
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("Containers", containers.size());
            info.put("Running", running - paused);
            info.put("Paused", paused);
            info.put("Stopped", containers.size() - running);
            info.put("Images", store.names().size());
            info.put("StorageDriver", "overlay (native, one snapshot per layer)");
            info.put("RootDir", store.root().toAbsolutePath().toString());
            List<String> runtimes = new ArrayList<>();
            for (String r : io.strata.runner.OciRuntime.KNOWN) if (tool(r) != null) runtimes.add(r);
            info.put("Runtimes", runtimes);
            info.put("DefaultRuntime", "runc");
            info.put("Monitor", tool("conmon") == null ? "conmon: not installed" : firstLine("conmon", "--version"));
            info.put("Init", initOrNone());
            info.put("CgroupVersion", Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers")) ? "2"
                    : Files.isDirectory(Path.of("/sys/fs/cgroup/unified")) ? "1 (hybrid)" : "1");
            info.put("KernelVersion", System.getProperty("os.version"));
            info.put("OperatingSystem", osName());
            info.put("Architecture", io.strata.oci.Platform.host().architecture());
            info.put("CPUs", Runtime.getRuntime().availableProcessors());
            info.put("NetworkPlugins", "CNI (/usr/lib/cni), names by aardvark-dns");
            info.put("ServerVersion", new Strata.Version().getVersion()[0]);
            if (options.format() != null) {
                Output.one(options.format(), info, "");
                return 0;
            }
            info.forEach((k, v) -> System.out.println(k.replaceAll("([a-z])([A-Z])", "$1 $2") + ": "
                    + (v instanceof List<?> l ? String.join(" ", l.stream().map(String::valueOf).toList()) : v)));
            return 0;
        }

        private static String initOrNone() {
            try {
                return Runner.defaultInit().toString();
            } catch (IllegalStateException e) {
                return "none (apt-get install catatonit for --init)";
            }
        }

        private static Path tool(String name) {
            return io.strata.runner.Executables.find(name).orElse(null);
        }

        private static String firstLine(String... command) throws Exception {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).lines().findFirst().orElse("").strip();
            p.waitFor();
            return out;
        }

        private static String osName() throws java.io.IOException {
            Path release = Path.of("/etc/os-release");
            if (Files.exists(release)) {
                for (String line : Files.readAllLines(release)) {
                    if (line.startsWith("PRETTY_NAME=")) return line.substring(12).replace("\"", "");
                }
            }
            return System.getProperty("os.name");
        }
    }

    /** docker version: this client's version, Java's, and the platform. */
    @Command(name = "version", mixinStandardHelpOptions = true, description = "Show Strata's version, its Java's and the platform's.")
    static final class Version implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Override
        public Integer call() throws Exception {
            Map<String, Object> v = new LinkedHashMap<>();
            String full = new Strata.Version().getVersion()[0];
            v.put("Version", full.substring("strata ".length(), full.indexOf(" (")));
            v.put("JavaVersion", Runtime.version().toString());
            v.put("Os", "linux");
            v.put("Arch", io.strata.oci.Platform.host().architecture());
            Output.one(options.format(), v, "Strata:\n Version:       " + v.get("Version") + "\n Java version:  " + v.get("JavaVersion")
                    + "\n OS/Arch:       linux/" + v.get("Arch"));
            return 0;
        }
    }

    /**
     * A systemd unit that runs {@code strata start --all} at boot, as podman's podman-restart.service:
     * without a daemon, containers with a restart policy come back through it.
     */
    @Command(name = "unit", mixinStandardHelpOptions = true, description = "Print the systemd unit that starts containers with --restart "
            + "always (and unless-stopped) at boot: strata system unit > /etc/systemd/system/strata-restart.service; "
            + "systemctl enable strata-restart.service")
    static final class Unit implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Override
        public Integer call() throws Exception {
            System.out.print(unit(launcher(), options.store().root()));
            return 0;
        }

        static String unit(String launcher, Path root) {
            return """
                    [Unit]
                    Description=Strata: start the containers whose restart policy is always or unless-stopped
                    Wants=network-online.target
                    After=network-online.target local-fs.target

                    [Service]
                    Type=oneshot
                    RemainAfterExit=yes
                    ExecStart=%s start --all --root %s

                    [Install]
                    WantedBy=multi-user.target
                    """.formatted(launcher, root.toAbsolutePath());
        }

        /** The ./strata launcher beside this jar (cli/target/strata.jar), else the java command that runs it. */
        private static String launcher() {
            Path jar = Path.of(System.getProperty("java.class.path")).toAbsolutePath();
            Path script = jar.getParent() == null || jar.getParent().getParent() == null ? null
                    : jar.getParent().getParent().getParent().resolve("strata");
            if (script != null && Files.isExecutable(script)) return script.normalize().toString();
            return Path.of(System.getProperty("java.home"), "bin", "java") + " -jar " + jar;
        }
    }
}
