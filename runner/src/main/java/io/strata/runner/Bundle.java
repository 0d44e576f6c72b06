package io.strata.runner;

import io.strata.oci.ImageJson;
import io.strata.oci.JsonIn;
import io.strata.oci.JsonOut;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A runtime-spec bundle: {@code config.json} beside the mounted {@code rootfs}, with the
 * namespaces, mounts, masked paths, capabilities and limits Docker gives a container by default,
 * and the container's own {@code /etc/hosts}, {@code /etc/hostname} and {@code /etc/resolv.conf}.
 */
public final class Bundle {

    static final List<String> MASKED = List.of("/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap");
    static final List<String> READ_ONLY = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

    private Bundle() {}

    /** Writes config.json and the container's etc files into {@code dir}; the rootfs is {@code dir/rootfs}. */
    public static void write(Path dir, RunSpec spec, String id) throws IOException {
        Path etc = Files.createDirectories(dir.resolve("etc"));
        Files.writeString(etc.resolve("hostname"), spec.hostname() + "\n");
        StringBuilder hosts = new StringBuilder("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
        for (RunSpec.ExtraHost h : spec.extraHosts()) hosts.append(h.ip()).append('\t').append(h.name()).append('\n');
        // On the bridge, the container's address names it (added when it is attached), as docker's hosts file.
        if (spec.network() != RunSpec.Network.BRIDGE) hosts.append("127.0.1.1\t").append(spec.hostname()).append('\n');
        Files.writeString(etc.resolve("hosts"), hosts);
        Files.writeString(etc.resolve("resolv.conf"), ResolvConf.of(spec.network(), spec.dns()));
        // One cgroup per container under strata/, which the runtime removes with the container.
        Files.write(dir.resolve("config.json"), config(dir, spec, "/strata/" + id, Networking.netns(id)));
    }

    /**
     * The runtime spec's config.json, written with jackson-core's generator (a container's start
     * should not build an ObjectMapper for one document).
     */
    static byte[] config(Path dir, RunSpec spec, String cgroupsPath, Path netns) throws IOException {
        long files = Math.min(1_048_576, hostOpenFilesLimit());
        List<Mount> mounts = new ArrayList<>(List.of(
                new Mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"),
                new Mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
                new Mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
                new Mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
                new Mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
                new Mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
                new Mount("/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro")));
        for (String f : List.of("hostname", "hosts", "resolv.conf")) {
            mounts.add(new Mount("/etc/" + f, "bind", dir.resolve("etc").resolve(f).toString(), "rbind", spec.readOnly() ? "ro" : "rw"));
        }
        for (RunSpec.Bind b : spec.binds()) mounts.add(new Mount(b.container(), "bind", b.host(), "rbind", b.readOnly() ? "ro" : "rw"));
        for (RunSpec.Tmpfs t : spec.tmpfs()) mounts.add(new Mount(t.destination(), "tmpfs", "tmpfs", t.mountOptions().toArray(String[]::new)));
        List<String> namespaces = new ArrayList<>(List.of("pid", "ipc", "uts", "mount"));
        if (spec.network() != RunSpec.Network.HOST) namespaces.add("network");
        int[] consoleSize = spec.terminal() ? spec.consoleSize() : null;

        return JsonOut.object(true, c -> c.string("ociVersion", "1.0.2")
                .object("process", true, process -> process.bool("terminal", spec.terminal())
                        // The caller's size from the start: the runtime would set it only after the process began.
                        .object("consoleSize", consoleSize != null, size -> size.number("height", consoleSize[0]).number("width", consoleSize[1]))
                        .object("user", true, user -> user.number("uid", spec.user().uid()).number("gid", spec.user().gid())
                                .numbers("additionalGids", spec.user().additionalGids()))
                        .strings("args", spec.args()).strings("env", spec.env()).string("cwd", spec.cwd())
                        .object("capabilities", true, caps -> caps.strings("bounding", Capabilities.DEFAULT)
                                .strings("effective", Capabilities.DEFAULT).strings("permitted", Capabilities.DEFAULT))
                        .objects("rlimits", List.of("RLIMIT_NOFILE"), (type, limit) -> limit.string("type", type)
                                .number("hard", files).number("soft", files))
                        .bool("noNewPrivileges", true))
                .object("root", true, root -> root.string("path", "rootfs").bool("readonly", spec.readOnly()))
                .string("hostname", spec.hostname())
                .objects("mounts", mounts, Mount::write)
                .object("linux", true, linux -> linux
                        .objects("namespaces", namespaces, (type, ns) -> ns.string("type", type)
                                // On the bridge, the runtime joins the namespace the CNI plugins set up.
                                .string("path", !type.equals("network") ? null : spec.network() == RunSpec.Network.BRIDGE ? netns.toString()
                                        : spec.network() == RunSpec.Network.CONTAINER ? spec.joinNetns().toString() : null))
                        .strings("maskedPaths", MASKED).strings("readonlyPaths", READ_ONLY)
                        .object("resources", true, resources -> resources
                                .objects("devices", List.of("rwm"), (access, deny) -> deny.bool("allow", false).string("access", access))
                                // no swap beyond the limit, as docker's --memory alone
                                .object("memory", spec.memoryBytes() != null, memory -> memory.number("limit", spec.memoryBytes())
                                        .number("swap", spec.memoryBytes()))
                                .object("cpu", spec.cpus() != null, cpu -> cpu.number("period", 100_000)
                                        .number("quota", Math.round(spec.cpus() * 100_000)))
                                .object("pids", spec.pidsLimit() != null, pids -> pids.number("limit", spec.pidsLimit())))
                        .string("cgroupsPath", cgroupsPath)));
    }

    /** What exec, the command check and unmounting need back from a written config.json. */
    record Written(List<String> env, String cwd, Users.Ids user, List<Mount> mounts, boolean terminal) {
        /** Where the runtime mounts something in the container, in config.json's order. */
        List<String> mountpoints() {
            return mounts.stream().map(Mount::destination).toList();
        }
    }

    /** Reads back the config.json {@link #write} put in {@code dir} (the streaming parser: no ObjectMapper). */
    static Written read(Path dir) throws IOException {
        Path config = dir.resolve("config.json");
        return ImageJson.read(Files.readAllBytes(config), config.toString(), in -> {
            var f = new Object() {
                List<String> env = List.of();
                List<Mount> mounts = List.of();
                String cwd = "/";
                boolean terminal;
                int uid, gid;
                List<Integer> gids = List.of();
            };
            in.object((member, v) -> {
                switch (member) {
                    case "process" -> v.object((name, p) -> {
                        switch (name) {
                            case "env" -> f.env = Objects.requireNonNullElse(p.strings(), List.of());
                            case "cwd" -> f.cwd = Objects.requireNonNullElse(p.string(), "/");
                            case "terminal" -> f.terminal = p.bool();
                            case "user" -> p.object((id, u) -> {
                                switch (id) {
                                    case "uid" -> f.uid = u.int32();
                                    case "gid" -> f.gid = u.int32();
                                    case "additionalGids" -> f.gids = Objects.requireNonNullElse(u.list(JsonIn::int32), List.of());
                                    default -> u.skip();
                                }
                            });
                            default -> p.skip();
                        }
                    });
                    case "mounts" -> f.mounts = Objects.requireNonNullElse(v.list(mount -> {
                        String[] m = new String[3]; // destination, type, source
                        mount.object((name, value) -> {
                            switch (name) {
                                case "destination" -> m[0] = value.string();
                                case "type" -> m[1] = value.string();
                                case "source" -> m[2] = value.string();
                                default -> value.skip();
                            }
                        });
                        return new Mount(m[0], m[1], m[2]);
                    }), List.of());
                    default -> v.skip();
                }
            });
            return new Written(f.env, f.cwd, new Users.Ids(f.uid, f.gid, f.gids, null), f.mounts, f.terminal);
        });
    }

    /** A mount of config.json (read back without its options). */
    record Mount(String destination, String type, String source, String... options) {
        boolean isBind() {
            return "bind".equals(type);
        }

        void write(JsonOut out) throws IOException {
            out.string("destination", destination).string("type", type).string("source", source)
                    .strings("options", List.of(options));
        }
    }

    /** This process's hard limit on open files: a container cannot be given more. */
    static long hostOpenFilesLimit() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
            if (line.startsWith("Max open files")) {
                String[] p = line.substring("Max open files".length()).trim().split("\\s+");
                return p[1].equals("unlimited") ? 1_048_576 : Long.parseLong(p[1]);
            }
        }
        return 1024;
    }
}
