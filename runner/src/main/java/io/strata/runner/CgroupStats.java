package io.strata.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What a container uses, read from its cgroup ({@code /strata/ID}: cgroup v2's unified files, or v1's
 * per-controller ones, whichever this host mounts) and its network namespace's counters, as docker
 * stats shows it.
 */
public record CgroupStats(long cpuNanos, long memoryBytes, long memoryLimit, long pids, long blockRead, long blockWritten, long netReceived,
                          long netSent) {
    private static final Path ROOT = Path.of("/sys/fs/cgroup");

    /** Reads the container {@code id}'s counters; {@code pid} is its init's (for its network's counters), or 0. */
    static CgroupStats read(String id, long pid) throws IOException {
        String group = "strata/" + id;
        Path v2 = ROOT.resolve(group);
        boolean unified = Files.exists(ROOT.resolve("cgroup.controllers"));
        long cpu, memory, limit, pids, read = 0, written = 0;
        if (unified) {
            cpu = field(v2.resolve("cpu.stat"), "usage_usec") * 1000;
            memory = number(v2.resolve("memory.current")) - field(v2.resolve("memory.stat"), "inactive_file");
            limit = number(v2.resolve("memory.max"));
            pids = number(v2.resolve("pids.current"));
            for (String line : lines(v2.resolve("io.stat"))) {
                for (String f : line.split(" ")) {
                    if (f.startsWith("rbytes=")) read += Long.parseLong(f.substring(7));
                    if (f.startsWith("wbytes=")) written += Long.parseLong(f.substring(7));
                }
            }
        } else {
            cpu = number(controller("cpuacct", group).resolve("cpuacct.usage"));
            Path mem = controller("memory", group);
            memory = number(mem.resolve("memory.usage_in_bytes")) - field(mem.resolve("memory.stat"), "total_inactive_file");
            limit = number(mem.resolve("memory.limit_in_bytes"));
            pids = number(controller("pids", group).resolve("pids.current"));
            for (String line : lines(controller("blkio", group).resolve("blkio.throttle.io_service_bytes"))) {
                String[] f = line.split(" ");
                if (f.length == 3 && f[1].equals("Read")) read += Long.parseLong(f[2]);
                if (f.length == 3 && f[1].equals("Write")) written += Long.parseLong(f[2]);
            }
        }
        // No limit (v2's "max", v1's page-rounded huge number): the host's memory, as docker shows it.
        long host = hostMemory();
        if (limit <= 0 || limit > host) limit = host;
        long rx = 0, tx = 0;
        if (pid > 0) {
            for (String line : lines(Path.of("/proc", String.valueOf(pid), "net", "dev"))) {
                int colon = line.indexOf(':');
                if (colon < 0 || line.substring(0, colon).strip().equals("lo")) continue;
                String[] f = line.substring(colon + 1).trim().split("\\s+");
                rx += Long.parseLong(f[0]);
                tx += Long.parseLong(f[8]);
            }
        }
        return new CgroupStats(cpu, Math.max(0, memory), limit, pids, read, written, rx, tx);
    }

    /** v1's directory of a controller (cpuacct may be mounted together with cpu). */
    private static Path controller(String name, String group) {
        Path p = ROOT.resolve(name).resolve(group);
        if (Files.isDirectory(p)) return p;
        return ROOT.resolve("cpu,cpuacct").resolve(group);
    }

    private static List<String> lines(Path f) throws IOException {
        try {
            return Files.readAllLines(f);
        } catch (java.nio.file.NoSuchFileException gone) {
            return List.of();
        }
    }

    private static long number(Path f) throws IOException {
        List<String> l = lines(f);
        if (l.isEmpty() || l.getFirst().isBlank() || l.getFirst().strip().equals("max")) return 0;
        return Long.parseLong(l.getFirst().strip());
    }

    private static long field(Path f, String key) throws IOException {
        for (String line : lines(f)) {
            if (line.startsWith(key + " ")) return Long.parseLong(line.substring(key.length() + 1).strip());
        }
        return 0;
    }

    private static long hostMemory() throws IOException {
        for (String line : lines(Path.of("/proc/meminfo"))) {
            if (line.startsWith("MemTotal:")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        }
        return Long.MAX_VALUE;
    }
}
