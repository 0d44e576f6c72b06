package io.strata.runner;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.oci.ImageJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A runtime-spec bundle: {@code config.json} beside the mounted {@code rootfs}, with the
 * namespaces, mounts, masked paths, capabilities and limits Docker gives a container by default,
 * and the container's own {@code /etc/hosts}, {@code /etc/hostname} and {@code /etc/resolv.conf}.
 */
public final class Bundle {

    /** Docker's default capabilities (moby's oci/caps/defaults.go). */
    static final List<String> CAPABILITIES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
            "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
            "CAP_KILL", "CAP_AUDIT_WRITE");
    static final List<String> MASKED = List.of("/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap");
    static final List<String> READ_ONLY = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

    private Bundle() {}

    /** Writes config.json and the container's etc files into {@code dir}; the rootfs is {@code dir/rootfs}. */
    public static void write(Path dir, RunSpec spec, String id) throws IOException {
        Path etc = Files.createDirectories(dir.resolve("etc"));
        Files.writeString(etc.resolve("hostname"), spec.hostname() + "\n");
        Files.writeString(etc.resolve("hosts"), "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t"
                + spec.hostname() + "\n");
        Files.writeString(etc.resolve("resolv.conf"), resolvConf(spec.network()));
        ObjectNode config = config(dir, spec);
        // One cgroup per container under strata/, which the runtime removes with the container.
        ((ObjectNode) config.get("linux")).put("cgroupsPath", "/strata/" + id);
        Files.write(dir.resolve("config.json"), ImageJson.plain().writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
    }

    /** The host's resolvers for host networking; none reachable from a network namespace of its own. */
    private static String resolvConf(RunSpec.Network network) throws IOException {
        Path host = Path.of("/etc/resolv.conf");
        if (network == RunSpec.Network.HOST && Files.isReadable(host)) return Files.readString(host, StandardCharsets.UTF_8);
        return "";
    }

    static ObjectNode config(Path dir, RunSpec spec) throws IOException {
        ObjectNode c = ImageJson.plain().createObjectNode();
        c.put("ociVersion", "1.0.2");
        ObjectNode process = c.putObject("process");
        process.put("terminal", spec.terminal());
        if (spec.terminal() && spec.consoleSize() != null) {
            // The caller's size from the start: the runtime would set it only after the process began.
            ObjectNode size = process.putObject("consoleSize");
            size.put("height", spec.consoleSize()[0]);
            size.put("width", spec.consoleSize()[1]);
        }
        ObjectNode user = process.putObject("user");
        user.put("uid", spec.user().uid());
        user.put("gid", spec.user().gid());
        if (!spec.user().additionalGids().isEmpty()) {
            ArrayNode gids = user.putArray("additionalGids");
            spec.user().additionalGids().forEach(gids::add);
        }
        spec.args().forEach(process.putArray("args")::add);
        spec.env().forEach(process.putArray("env")::add);
        process.put("cwd", spec.cwd());
        ObjectNode caps = process.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) CAPABILITIES.forEach(caps.putArray(set)::add);
        ObjectNode nofile = process.putArray("rlimits").addObject();
        long files = Math.min(1_048_576, hostOpenFilesLimit());
        nofile.put("type", "RLIMIT_NOFILE");
        nofile.put("hard", files);
        nofile.put("soft", files);
        process.put("noNewPrivileges", true);

        ObjectNode root = c.putObject("root");
        root.put("path", "rootfs");
        root.put("readonly", spec.readOnly());
        c.put("hostname", spec.hostname());

        ArrayNode mounts = c.putArray("mounts");
        mount(mounts, "/proc", "proc", "proc", "nosuid", "noexec", "nodev");
        mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
        mount(mounts, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5");
        mount(mounts, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
        mount(mounts, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
        mount(mounts, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
        mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro");
        for (String f : List.of("hostname", "hosts", "resolv.conf")) {
            mount(mounts, "/etc/" + f, "bind", dir.resolve("etc").resolve(f).toString(), "rbind", spec.readOnly() ? "ro" : "rw");
        }
        for (RunSpec.Bind b : spec.binds()) mount(mounts, b.container(), "bind", b.host(), "rbind", b.readOnly() ? "ro" : "rw");

        ObjectNode linux = c.putObject("linux");
        ArrayNode namespaces = linux.putArray("namespaces");
        for (String ns : List.of("pid", "ipc", "uts", "mount")) namespaces.addObject().put("type", ns);
        if (spec.network() != RunSpec.Network.HOST) namespaces.addObject().put("type", "network");
        MASKED.forEach(linux.putArray("maskedPaths")::add);
        READ_ONLY.forEach(linux.putArray("readonlyPaths")::add);
        ObjectNode resources = linux.putObject("resources");
        ObjectNode deny = resources.putArray("devices").addObject();
        deny.put("allow", false);
        deny.put("access", "rwm");
        if (spec.memoryBytes() != null) {
            ObjectNode memory = resources.putObject("memory");
            memory.put("limit", spec.memoryBytes());
            memory.put("swap", spec.memoryBytes()); // no swap beyond the limit, as docker's --memory alone
        }
        if (spec.cpus() != null) {
            ObjectNode cpu = resources.putObject("cpu");
            cpu.put("period", 100_000);
            cpu.put("quota", Math.round(spec.cpus() * 100_000));
        }
        if (spec.pidsLimit() != null) resources.putObject("pids").put("limit", spec.pidsLimit());
        return c;
    }

    private static void mount(ArrayNode mounts, String destination, String type, String source, String... options) {
        ObjectNode m = mounts.addObject();
        m.put("destination", destination);
        m.put("type", type);
        m.put("source", source);
        ArrayNode o = m.putArray("options");
        for (String opt : options) o.add(opt);
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
