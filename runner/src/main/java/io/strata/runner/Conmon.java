package io.strata.runner;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A container's monitor: Debian's {@code conmon}, as podman and CRI-O use it. It runs the runtime's
 * {@code create}, holds the container's stdio (a pty master with {@code -t}, pipes without), writes
 * its output to {@code ctr.log} (kubernetes' k8s-file format, started afresh past {@link #LOG_SIZE_MAX}),
 * serves the attach socket, writes the exit code to {@code exit} in the container's directory, and,
 * for a detached container, runs Strata's clean-up command when the container exits. About 2 MB of
 * memory per container, where a JVM of Strata's own was 66 MB.
 *
 * <p>The container is created, not started: the caller attaches first (nothing it prints is missed)
 * and then starts it with the runtime.
 */
final class Conmon {
    static final long LOG_SIZE_MAX = 10L << 20;
    /** {@code ATTACH/ID} is a link to the bundle, so the socket's path stays within sockaddr_un's 108 bytes. */
    static final Path ATTACH = Networking.RUN.resolve("attach");

    private Conmon() {}

    static Path log(Path containerDir) {
        return containerDir.resolve("ctr.log");
    }

    static Path exitFile(Path containerDir) {
        return containerDir.resolve("exit");
    }

    static Path pidFile(Path containerDir) {
        return containerDir.resolve("conmon.pid");
    }

    static Path attachSocket(String id) {
        return ATTACH.resolve(id).resolve("attach");
    }

    /** The exit code conmon recorded, if it recorded one (it writes -1 when it timed the container out). */
    static Optional<Integer> exitCode(Path containerDir) throws IOException {
        try {
            String s = Files.readString(exitFile(containerDir)).strip();
            return s.matches("-?\\d+") && !s.startsWith("-") ? Optional.of(Integer.parseInt(s)) : Optional.empty();
        } catch (java.nio.file.NoSuchFileException none) {
            return Optional.empty();
        }
    }

    static Path binary() throws IOException {
        return Executables.find("conmon", "/usr/libexec/podman")
                .orElseThrow(() -> new IOException("conmon is not installed (apt-get install conmon): it supervises every container"));
    }

    /** What a monitor is launched with. {@code exitCommand} null: the caller stays and cleans up itself (a foreground run). */
    record Launch(String id, String name, Path containerDir, Path bundle, OciRuntime runtime, boolean terminal, boolean stdin,
                  List<String> exitCommand) {}

    /** A monitor whose container the runtime created: its pid, and its process when it is this one's child. */
    record Monitor(long pid, Process child) {}

    /**
     * Launches the monitor and returns once the runtime created the container. A detached container's
     * monitor leaves this process (conmon forks itself into a session of its own); a foreground one
     * stays its child ({@code --sync}) in a session of its own, so the terminal's ^C reaches Strata,
     * which passes it on, and not the monitor.
     */
    static Monitor create(Launch l) throws IOException {
        Path dir = l.containerDir();
        for (Path f : List.of(exitFile(dir), pidFile(dir), containerPid(l.bundle()), OciRuntime.log(l.bundle()))) Files.deleteIfExists(f);
        Files.createDirectories(ATTACH);
        List<String> cmd = new ArrayList<>(List.of("setsid", binary().toString(), "--api-version", "1", "-c", l.id(), "-u", l.id(),
                "-n", l.name(), "-r", l.runtime().binaryPath().toString(), "-b", l.bundle().toString(), "-p", containerPid(l.bundle()).toString(),
                "-P", pidFile(dir).toString(), "-l", "k8s-file:" + log(dir), "--log-size-max", String.valueOf(LOG_SIZE_MAX),
                "--persist-dir", dir.toString(), "--socket-dir-path", ATTACH.toString(), "--no-sync-log"));
        for (String a : l.runtime().globalArgs(OciRuntime.log(l.bundle()))) cmd.addAll(List.of("--runtime-arg", a));
        if (l.terminal()) cmd.add("-t");
        if (l.stdin()) cmd.add("-i");
        if (l.exitCommand() == null) {
            cmd.add("--sync");
        } else {
            // Detached: its stdin outlives any one attach (docker's StdinOnce false).
            if (l.stdin()) cmd.add("--leave-stdin-open");
            cmd.addAll(List.of("--exit-command", l.exitCommand().getFirst()));
            for (String a : l.exitCommand().subList(1, l.exitCommand().size())) cmd.addAll(List.of("--exit-command-arg", a));
            cmd.addAll(List.of("--exit-command-arg", l.id()));
        }
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        long pid;
        if (l.exitCommand() == null) {
            pid = p.pid();
        } else {
            // conmon's first process writes the pid of the one that stays, then exits.
            int code = Runner.await(p);
            if (code != 0 || !Files.exists(pidFile(dir))) throw new IOException("conmon could not start (exit code " + code + ")");
            pid = Long.parseLong(Files.readString(pidFile(dir)).strip());
        }
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(containerPid(l.bundle()))) {
            if (!ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) || System.nanoTime() > deadline) {
                if (p.isAlive()) p.destroyForcibly();
                String why = OciRuntime.startFailure(OciRuntime.log(l.bundle())).orElse("the runtime did not create it");
                throw new IOException("cannot create container " + l.name() + ": " + why);
            }
            Runner.sleep(3);
        }
        return new Monitor(pid, l.exitCommand() == null ? p : null);
    }

    /** The runtime writes the container's pid here once it created it. */
    static Path containerPid(Path bundle) {
        return bundle.resolve("pidfile");
    }

    /** Tells the monitor the terminal's size, which it sets on the container's pty (its control fifo: "1 ROWS COLUMNS"). */
    static void resize(Path bundle, int rows, int columns) {
        Path ctl = bundle.resolve("ctl");
        if (!Files.exists(ctl)) return;
        // Read and write: opening a fifo so never waits for a reader (the monitor may have just exited).
        try (var ch = java.nio.channels.FileChannel.open(ctl, java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(("1 " + rows + " " + columns + "\n").getBytes(StandardCharsets.US_ASCII)));
        } catch (IOException ignored) {
            // the monitor is gone: nothing to resize
        }
    }
}
