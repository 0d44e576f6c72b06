package io.strata.cli;

import io.strata.client.store.LayoutStore;
import io.strata.runner.Container;
import io.strata.runner.Runner;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The container lifecycle verbs after run: create, start, stop, kill, wait, logs, exec, and the shim. */
final class LifecycleCommands {
    private LifecycleCommands() {}

    interface Action {
        void apply(Runner runner, Container c) throws Exception;
    }

    /** Applies an action to each named container, printing each name as docker does. */
    static void each(ClientOptions options, List<String> names, Action action) throws Exception {
        LayoutStore store = options.store();
        Runner runner = Containers.runner(store);
        for (String n : names) {
            action.apply(runner, Containers.store(store).find(n));
            if (!options.quiet()) System.out.println(n);
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a container without starting it.")
    static final class Create implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Mixin
        ContainerOptions container;

        @Mixin
        RemoteOptions remote;

        @Option(names = "--rm", description = "Remove the container when it exits (after its first start).")
        boolean rm;

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("creating a container");
            if (rm && !io.strata.runner.RestartPolicy.parse(container.restart).equals(io.strata.runner.RestartPolicy.NO)) {
                throw new IllegalArgumentException("conflicting options: --restart and --rm");
            }
            LayoutStore store = options.store();
            Container c = container.create(options, remote, store);
            if (rm) Containers.runner(store).removeWhenDone(c);
            System.out.println(c.id());
            return 0;
        }
    }

    // With -a its exit code is the container's, so its own failures are 125 (as run's).
    @Command(name = "start", mixinStandardHelpOptions = true, description = "Start created or stopped containers, detached or attached (-a).",
            exitCodeOnInvalidInput = 125, exitCodeOnExecutionException = 125)
    static final class Start implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-a", "--attach"}, description = "Attach to the container's output and answer its exit code.")
        boolean attach;

        @Option(names = {"-i", "--interactive"}, description = "With -a: pass stdin to the container (when it was created with -i).")
        boolean interactive;

        @Mixin
        AttachFlags attachFlags;

        @Option(names = "--all", description = "Start the containers whose restart policy wants them running (always; unless-stopped "
                + "unless the user stopped it): what the systemd unit of strata system unit runs at boot.")
        boolean all;

        @Parameters(paramLabel = "CONTAINER", arity = "0..*", description = "Container names or IDs (prefixes too).")
        List<String> names = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("starting a container");
            LayoutStore store = options.store();
            if (all) {
                if (!names.isEmpty() || attach) throw new IllegalArgumentException("start --all takes no containers and no -a");
                for (Container c : Containers.runner(store).startAll(Containers.cleanupCommand(store))) {
                    if (!options.quiet()) System.out.println(c.name());
                }
                return 0;
            }
            if (names.isEmpty()) throw new IllegalArgumentException("start needs a container, or --all");
            if (attach) {
                if (names.size() != 1) throw new IllegalArgumentException("start -a takes one container");
                var attachOptions = attachFlags.options();
                Container c = Containers.store(store).find(names.getFirst());
                return Containers.runner(store).startAttached(c, interactive && c.openStdin(), attachOptions, Containers.cleanupCommand(store));
            }
            each(options, names, (runner, c) -> runner.start(c, Containers.cleanupCommand(store)));
            return 0;
        }
    }

    @Command(name = "attach", mixinStandardHelpOptions = true, description = "Join this terminal to a running container's output "
            + "(and input, when it keeps stdin open); ctrl-p ctrl-q detaches.", exitCodeOnInvalidInput = 125, exitCodeOnExecutionException = 125)
    static final class Attach implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = "--no-stdin", description = "Do not pass this terminal's input to the container.")
        boolean noStdin;

        @Mixin
        AttachFlags attachFlags;

        @Parameters(paramLabel = "CONTAINER", description = "Container name or ID.")
        String name;

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("attaching to a container");
            var attachOptions = attachFlags.options();
            LayoutStore store = options.store();
            return Containers.runner(store).attach(Containers.store(store).find(name), noStdin, attachOptions);
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop containers: SIGTERM, then SIGKILL after a timeout.")
    static final class Stop implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-t", "--time"}, paramLabel = "SECONDS", description = "Seconds to wait before SIGKILL (default: the container's "
                + "--stop-timeout, 10).")
        Integer seconds;

        @Parameters(paramLabel = "CONTAINER", arity = "1..*", description = "Container names or IDs (prefixes too).")
        List<String> names;

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("stopping a container");
            each(options, names, (runner, c) -> runner.stop(c, seconds, null));
            return 0;
        }
    }

    @Command(name = "kill", mixinStandardHelpOptions = true, description = "Send a signal to running containers.",
            exitCodeOnExecutionException = 125)
    static final class Kill implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-s", "--signal"}, paramLabel = "SIGNAL", description = "The signal (default KILL).")
        String signal = "KILL";

        @Parameters(paramLabel = "CONTAINER", arity = "1..*", description = "Container names or IDs (prefixes too).")
        List<String> names;

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("signalling a container");
            String checked = io.strata.runner.Signals.parse(signal); // before any container is looked at
            each(options, names, (runner, c) -> runner.kill(c, checked));
            return 0;
        }
    }

    @Command(name = "port", mixinStandardHelpOptions = true, description = "List a running container's published ports, or where one of them is.")
    static final class Port implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Parameters(index = "0", paramLabel = "CONTAINER", description = "Container name or ID.")
        String name;

        @Parameters(index = "1", arity = "0..1", paramLabel = "PORT[/PROTO]", description = "Only this container port (e.g. 80, 53/udp).")
        String port;

        @Override
        public Integer call() throws Exception {
            LayoutStore store = options.store();
            var c = Containers.store(store).find(name);
            List<io.strata.runner.PortMapping> ports = Containers.runner(store).ports(c);
            if (port != null) {
                String wanted = port.contains("/") ? port : port + "/tcp";
                ports = ports.stream().filter(p -> (p.containerPort() + "/" + p.protocol()).equals(wanted)).toList();
                if (ports.isEmpty()) throw new IllegalArgumentException("no public port '" + wanted + "' published for " + c.name());
                // docker prints only the host side when asked for one port
                for (var p : ports) System.out.println((p.hostIp().isEmpty() ? "0.0.0.0" : p.hostIp()) + ":" + p.hostPort());
                return 0;
            }
            for (var p : ports) System.out.println(p);
            return 0;
        }
    }

    @Command(name = "wait", mixinStandardHelpOptions = true, description = "Wait for containers to exit and print their exit codes.")
    static final class Wait implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Parameters(paramLabel = "CONTAINER", arity = "1..*", description = "Container names or IDs (prefixes too).")
        List<String> names;

        @Override
        public Integer call() throws Exception {
            LayoutStore store = options.store();
            for (String n : names) {
                Container c = Containers.runner(store).waitFor(Containers.store(store).find(n));
                System.out.println(c.exitCode());
            }
            return 0;
        }
    }

    @Command(name = "logs", mixinStandardHelpOptions = true, description = "Print a container's output (detached or not; kept until it is removed).")
    static final class Logs implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-f", "--follow"}, description = "Keep printing until the container exits.")
        boolean follow;

        @Option(names = {"-n", "--tail"}, paramLabel = "N", description = "Only the last N lines of each stream (default all).")
        String tail = "all";

        @Option(names = {"-t", "--timestamps"}, description = "Show each line's time.")
        boolean timestamps;

        @Option(names = "--since", paramLabel = "TIME", description = "Only lines written from TIME on: a timestamp (2026-12-07T10:00:00Z), "
                + "seconds since the epoch, or a duration before now (10m).")
        String since;

        @Option(names = "--until", paramLabel = "TIME", description = "Only lines written before TIME (as --since).")
        String until;

        @Parameters(paramLabel = "CONTAINER", description = "Container name or ID.")
        String name;

        @Override
        public Integer call() throws Exception {
            java.time.Instant now = java.time.Instant.now();
            java.time.Instant from = since == null ? null : io.strata.runner.ContainerLog.time(since, now);
            java.time.Instant to = until == null ? null : io.strata.runner.ContainerLog.time(until, now);
            long lines;
            try {
                lines = tail.equals("all") ? Long.MAX_VALUE : Long.parseLong(tail);
            } catch (NumberFormatException e) {
                lines = -1;
            }
            if (lines < 0) throw new IllegalArgumentException("--tail must be a number of lines or all, was " + tail);
            LayoutStore store = options.store();
            Containers.runner(store).logs(Containers.store(store).find(name), System.out, System.err, follow,
                    new io.strata.runner.ContainerLog.Query(lines, from, to, timestamps));
            return 0;
        }
    }

    // Its exit code is the command's, so its own failures are docker's and podman's 125 (see RunCommand).
    @Command(name = "exec", mixinStandardHelpOptions = true, description = "Run a command in a running container.",
            exitCodeOnInvalidInput = 125, exitCodeOnExecutionException = 125)
    static final class Exec implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-t", "--tty"}, description = "Give the command a terminal.")
        boolean tty;

        @Option(names = {"-i", "--interactive"}, description = "Pass stdin to the command (without it, its stdin is empty, as docker's).")
        boolean interactive;

        @Option(names = {"-d", "--detach"}, description = "Start the command and return at once.")
        boolean detach;

        @Option(names = {"-e", "--env"}, paramLabel = "KEY[=VALUE]", description = "Set a variable (KEY alone: this shell's value, if set).")
        List<String> env = new ArrayList<>();

        @Option(names = "--env-file", paramLabel = "FILE", description = "Read variables from a file (KEY=VALUE lines).")
        List<java.nio.file.Path> envFiles = new ArrayList<>();

        @Option(names = {"-u", "--user"}, paramLabel = "USER[:GROUP]", description = "Run as this user (a name or uid in the container).")
        String user;

        @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Run in this directory (absolute).")
        String workdir;

        @Option(names = "--privileged", description = "Give the command every capability.")
        boolean privileged;

        @Parameters(index = "0", paramLabel = "CONTAINER", description = "A running container's name or ID.")
        String name;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments.")
        List<String> command = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("exec in a container");
            LayoutStore store = options.store();
            var exec = new Runner.Exec(command, tty, interactive, detach, ContainerOptions.environment(envFiles, env), user, workdir, privileged);
            return Containers.runner(store).exec(Containers.store(store).find(name), exec);
        }
    }

    /** What a detached container's monitor runs when it exits (conmon's exit command; not for users). */
    @Command(name = "container-cleanup", hidden = true)
    static final class Cleanup implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = "--run", paramLabel = "TOKEN", description = "The run whose monitor calls.")
        String run;

        @Parameters(paramLabel = "ID")
        String id;

        @Override
        public Integer call() throws Exception {
            LayoutStore store = options.store();
            Containers.runner(store).cleanup(id, Containers.cleanupCommand(store), run);
            return 0;
        }
    }
}
