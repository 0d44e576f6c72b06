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

    private Daemon(Process process, Path dir) {
        this.process = process;
        this.dir = dir;
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
        return new Daemon(p, dir);
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
