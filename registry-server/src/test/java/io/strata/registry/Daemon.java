package io.strata.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A daemon a test starts as its child (containerd, dockerd) with its own directories and socket;
 * stopping it also unmounts whatever it left mounted below its directory.
 */
public final class Daemon implements AutoCloseable {
    private final Process process;
    private final Path dir;
    private final Path socket;

    private Daemon(Process process, Path dir, Path socket) {
        this.process = process;
        this.dir = dir;
        this.socket = socket;
    }

    /** The socket clients talk to (ctr --address, docker --host unix://). */
    public Path socket() {
        return socket;
    }

    /** containerd with its root, state and socket under {@code dir}, and no CRI plugin. */
    public static Daemon containerd(Path dir) throws Exception {
        Path socket = dir.resolve("containerd.sock");
        Files.writeString(dir.resolve("config.toml"), """
                version = 2
                root = "%s"
                state = "%s"
                disabled_plugins = ["io.containerd.grpc.v1.cri"]
                [grpc]
                  address = "%s"
                [ttrpc]
                  address = "%s.ttrpc"
                """.formatted(dir.resolve("root"), dir.resolve("state"), socket, socket));
        return start(dir, socket, List.of("containerd", "--config", dir.resolve("config.toml").toString()));
    }

    /** dockerd with its data, exec root and socket under {@code dir}: no bridge network, no iptables (shared/DEPENDENCIES.md). */
    public static Daemon dockerd(Path dir) throws Exception {
        Path socket = dir.resolve("docker.sock");
        return start(dir, socket, List.of("dockerd", "--data-root", dir.resolve("data").toString(),
                "--exec-root", dir.resolve("exec").toString(), "--pidfile", dir.resolve("docker.pid").toString(),
                "--host", "unix://" + socket, "--iptables=false", "--ip6tables=false", "--bridge=none",
                "--storage-driver", "overlay2"));
    }

    /** Starts {@code command} and waits until {@code socket} exists (or the daemon dies). */
    public static Daemon start(Path dir, Path socket, List<String> command) throws Exception {
        Path log = dir.resolve(Path.of(command.getFirst()).getFileName() + ".log");
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(socket)) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new IOException(command.getFirst() + " did not start:\n" + Files.readString(log));
            }
            Thread.sleep(100);
        }
        return new Daemon(p, dir, socket);
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        // Overlay and namespace mounts under the daemon's directory, deepest first.
        List<String> mounts = Files.readAllLines(Path.of("/proc/mounts")).stream()
                .map(line -> line.split(" ")[1])
                .filter(m -> m.startsWith(dir.toString()))
                .sorted(java.util.Comparator.reverseOrder())
                .toList();
        for (String m : mounts) new ProcessBuilder("umount", "-l", m).start().waitFor();
    }
}
