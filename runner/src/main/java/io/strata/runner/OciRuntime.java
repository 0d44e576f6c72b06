package io.strata.runner;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * An OCI runtime binary (runc, crun) driven by its command line, with its state under the store.
 * Every namespace is set up by the runtime: the JVM is multithreaded and never unshares itself.
 */
public record OciRuntime(String name, Path stateRoot) {
    public static final List<String> KNOWN = List.of("runc", "crun");

    public OciRuntime {
        if (!KNOWN.contains(name)) throw new IllegalArgumentException("unknown runtime " + name + " (runc or crun)");
    }

    /** Fails with one line when this runtime cannot run on this host, saying why. */
    public void checkUsable() throws IOException {
        if (binary() == null) {
            throw new IOException(name + " is not installed (apt-get install " + name + ")");
        }
        if (name.equals("crun") && hybridCgroups()) {
            throw new IOException("crun cannot run containers on this host: its cgroups are in hybrid mode (v1 controllers with "
                    + "a v2 unified hierarchy at /sys/fs/cgroup/unified), which crun 1.8 does not support; use --runtime runc");
        }
    }

    static boolean hybridCgroups() {
        Path unified = Path.of("/sys/fs/cgroup/unified");
        return Files.isDirectory(unified) && Files.exists(unified.resolve("cgroup.controllers"))
                && Files.isDirectory(Path.of("/sys/fs/cgroup/memory"));
    }

    private Path binary() {
        return Executables.find(name).orElse(null);
    }

    private List<String> command(String... args) throws IOException {
        Path bin = binary();
        if (bin == null) throw new IOException(name + " is not installed (apt-get install " + name + ")");
        Files.createDirectories(stateRoot);
        List<String> cmd = new ArrayList<>(List.of(bin.toString(), "--root", stateRoot.toString()));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Where {@link #run} has the runtime write its own messages (runc and crun alike: --log, JSON lines). */
    static Path log(Path bundle) {
        return bundle.resolve("runtime.log");
    }

    /** The runtime's binary, for conmon's {@code -r}. */
    Path binaryPath() throws IOException {
        Path bin = binary();
        if (bin == null) throw new IOException(name + " is not installed (apt-get install " + name + ")");
        return bin;
    }

    /** The options before the runtime's command: its state under the store, its messages to {@code log} as JSON lines ({@link #startFailure}). */
    List<String> globalArgs(Path log) throws IOException {
        Files.createDirectories(stateRoot);
        return List.of("--root", stateRoot.toString(), "--log", log.toString(), "--log-format", "json");
    }

    /** Starts a created container's command. */
    public void start(String id) throws IOException {
        Result r = quiet("start", id);
        if (r.exit() != 0) throw new IOException("cannot start container " + id + " with " + name + ": " + r.err().strip());
    }

    /** {@code args} after the global options that send the runtime's messages to {@code log} as JSON lines, which {@link #startFailure} reads. */
    private static String[] loggingTo(Path log, String... args) {
        List<String> all = new ArrayList<>(List.of("--log", log.toString(), "--log-format", "json"));
        all.addAll(List.of(args));
        return all.toArray(String[]::new);
    }

    /**
     * Why the runtime could not start what it logged to {@code log} ({@link #log} of a container's
     * bundle, or an exec's own): the last error there, or empty when it logged none (the command ran,
     * and its exit code is the command's).
     */
    public static java.util.Optional<String> startFailure(Path log) throws IOException {
        if (!Files.exists(log)) return java.util.Optional.empty();
        String failure = null;
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            if (!line.startsWith("{")) continue;
            String[] entry = new String[2]; // level, msg
            io.strata.oci.ImageJson.read(line.getBytes(StandardCharsets.UTF_8), log.toString(), in -> {
                in.object((member, v) -> {
                    switch (member) {
                        case "level" -> entry[0] = v.string();
                        case "msg" -> entry[1] = v.string();
                        default -> v.skip();
                    }
                });
                return null;
            });
            if (("error".equals(entry[0]) || "fatal".equals(entry[0])) && entry[1] != null) failure = entry[1];
        }
        return java.util.Optional.ofNullable(failure);
    }

    /**
     * Runs another process in a running container with this process's stdout and stderr (stdin too
     * with {@code stdin}; detached, the runtime returns once it started); the runtime's messages go
     * to {@code log} (one of the exec's own: the container's {@link #log} is its run's). {@code caps}
     * are given to the process beyond the container's own (--privileged: all of them).
     */
    public Process exec(String id, Path log, List<String> args, List<String> env, String cwd, Users.Ids user, boolean tty, boolean stdin,
                        boolean detach, List<String> caps) throws IOException {
        return exec(id, log, args, env, cwd, user, tty, stdin, detach, caps, null);
    }

    /** As above; with {@code terminal} (a pty slave made here), the runtime's stdio and controlling terminal are that terminal. */
    Process exec(String id, Path log, List<String> args, List<String> env, String cwd, Users.Ids user, boolean tty, boolean stdin,
                 boolean detach, List<String> caps, Path terminal) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(loggingTo(log, "exec")));
        if (tty) cmd.add("--tty");
        if (detach) cmd.add("--detach");
        for (String e : env) cmd.addAll(List.of("--env", e));
        cmd.addAll(List.of("--cwd", cwd, "--user", user.uid() + ":" + user.gid()));
        for (int g : user.additionalGids()) cmd.addAll(List.of("--additional-gids", String.valueOf(g)));
        for (String cap : caps) cmd.addAll(List.of("--cap", cap));
        cmd.add(id);
        cmd.addAll(args);
        List<String> full = command(cmd.toArray(String[]::new));
        if (terminal != null) {
            // setsid -c: a session of its own whose controlling terminal is its stdin, the pty's slave (runc -t needs one).
            List<String> withTerminal = new ArrayList<>(List.of("setsid", "-c"));
            withTerminal.addAll(full);
            java.io.File t = terminal.toFile();
            return new ProcessBuilder(withTerminal).redirectInput(ProcessBuilder.Redirect.from(t)).redirectOutput(ProcessBuilder.Redirect.appendTo(t))
                    .redirectError(ProcessBuilder.Redirect.appendTo(t)).start();
        }
        ProcessBuilder pb = new ProcessBuilder(full).inheritIO();
        // Without -i the command's stdin is empty, as docker's exec.
        if (!stdin || detach) pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        if (detach) pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
        return pb.start();
    }

    /** The runtime's status of the container: "running", "stopped", …, or empty when it knows none. */
    public java.util.Optional<String> status(String id) throws IOException {
        if (!Files.exists(stateRoot.resolve(id))) return java.util.Optional.empty();
        Result r = quiet("state", id);
        if (r.exit() != 0) return java.util.Optional.empty();
        var m = java.util.regex.Pattern.compile("\"status\":\\s*\"(\\w+)\"").matcher(r.out());
        return m.find() ? java.util.Optional.of(m.group(1)) : java.util.Optional.empty();
    }

    /** The host pid of the container's init process, or empty when it runs none. */
    public java.util.Optional<Long> pid(String id) throws IOException {
        if (!Files.exists(stateRoot.resolve(id))) return java.util.Optional.empty();
        Result r = quiet("state", id);
        var m = java.util.regex.Pattern.compile("\"pid\":\\s*(\\d+)").matcher(r.out());
        return r.exit() == 0 && m.find() && !m.group(1).equals("0") ? java.util.Optional.of(Long.parseLong(m.group(1))) : java.util.Optional.empty();
    }

    /** The container's processes as {@code ps} shows them ({@code runtime ps ID -- ARGS}: ps -ef without args). */
    public String ps(String id, List<String> psArgs) throws IOException {
        List<String> args = new ArrayList<>(List.of("ps", id)); // its flags end at the id: what follows is ps's
        args.addAll(psArgs.isEmpty() ? List.of("-ef") : psArgs);
        Result r = quiet(args.toArray(String[]::new));
        if (r.exit() != 0) throw new IOException(name + " ps: " + r.err().strip());
        return r.out();
    }

    /** Changes a running container's cgroup limits ({@code runtime update ARGS ID}). */
    public void update(String id, List<String> args) throws IOException {
        List<String> all = new ArrayList<>(List.of("update"));
        all.addAll(args);
        all.add(id);
        Result r = quiet(all.toArray(String[]::new));
        if (r.exit() != 0) throw new IOException(name + " update: " + r.err().strip());
    }

    /** Sends a signal to the container's init process. */
    public void kill(String id, String signal) throws IOException {
        quiet("kill", id, signal);
    }

    /**
     * Freezes every process of the container (the cgroup freezer, as {@code docker commit --pause}
     * does), so that what Strata reads of its files holds still; {@link #resume} thaws it.
     */
    public void pause(String id) throws IOException {
        Result r = quiet("pause", id);
        if (r.exit() != 0) throw new IOException("cannot pause container " + id + " with " + name + ": " + r.err().strip());
    }

    public void resume(String id) throws IOException {
        Result r = quiet("resume", id);
        if (r.exit() != 0) throw new IOException("cannot resume container " + id + " with " + name + ": " + r.err().strip());
    }

    /** Removes the runtime's state of the container (and kills it if it still runs); nothing to do, no process started. */
    public void delete(String id) throws IOException {
        if (!Files.exists(stateRoot.resolve(id))) return;
        quiet("delete", "--force", id);
    }

    /** The ids the runtime knows. */
    public List<String> list() throws IOException {
        Result r = quiet("list", "--quiet");
        return r.out().lines().filter(l -> !l.isBlank()).toList();
    }

    record Result(int exit, String out, String err) {}

    private Result quiet(String... args) throws IOException {
        Process p = new ProcessBuilder(command(args)).redirectErrorStream(false).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(name + " " + String.join(" ", args) + " did not finish");
            }
            return new Result(p.exitValue(), out, err);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
