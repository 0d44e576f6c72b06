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

/** The verbs that change a container's state, limits or name, or look inside it: restart, pause, unpause, update, rename, top. */
final class ContainerStateCommands {
    private ContainerStateCommands() {}

    @Command(name = "restart", mixinStandardHelpOptions = true, description = "Stop containers (as stop does), then start them detached.")
    static final class Restart extends OnEach {
        @Option(names = {"-t", "--time"}, paramLabel = "SECONDS", description = "Seconds to wait before SIGKILL (default: the container's --stop-timeout).")
        Integer seconds;

        String doing() {
            return "restarting a container";
        }

        void apply(Runner runner, Container c) throws Exception {
            runner.stop(c, seconds, null);
            runner.start(c, Containers.cleanupCommand(options.store()));
        }
    }

    /** A verb applied to each container named, as root, printing each name as docker does. */
    abstract static class OnEach implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Parameters(paramLabel = "CONTAINER", arity = "1..*", description = "Container names or IDs (prefixes too).")
        List<String> names;

        /** What it does, as the root requirement says it ("pausing a container"). */
        abstract String doing();

        abstract void apply(Runner runner, Container c) throws Exception;

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot(doing());
            LifecycleCommands.each(options, names, this::apply);
            return 0;
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, description = "Freeze every process of running containers (the cgroup freezer).")
    static final class Pause extends OnEach {
        String doing() {
            return "pausing a container";
        }

        void apply(Runner runner, Container c) throws Exception {
            runner.pause(c);
        }
    }

    @Command(name = "unpause", mixinStandardHelpOptions = true, description = "Thaw paused containers.")
    static final class Unpause extends OnEach {
        String doing() {
            return "unpausing a container";
        }

        void apply(Runner runner, Container c) throws Exception {
            runner.unpause(c);
        }
    }

    @Command(name = "update", mixinStandardHelpOptions = true, description = "Change containers' memory, CPU and pids limits (now if they run, "
            + "and at their next starts).")
    static final class Update extends OnEach {
        @Option(names = {"-m", "--memory"}, paramLabel = "BYTES", description = "Memory limit, e.g. 64m, 1g.")
        String memory;

        @Option(names = "--cpus", paramLabel = "N", description = "CPU limit, e.g. 0.5.")
        Double cpus;

        @Option(names = "--pids-limit", paramLabel = "N", description = "Process limit (-1: none).")
        Long pidsLimit;

        String doing() {
            return "updating a container";
        }

        void apply(Runner runner, Container c) throws Exception {
            runner.update(c, memory == null ? null : ContainerOptions.bytes(memory), cpus, pidsLimit);
        }
    }

    @Command(name = "rename", mixinStandardHelpOptions = true, description = "Give a container another name.")
    static final class Rename implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Parameters(index = "0", paramLabel = "CONTAINER", description = "Container name or ID.")
        String name;

        @Parameters(index = "1", paramLabel = "NEW_NAME", description = "Its new name (letters, digits, _ . -).")
        String newName;

        @Override
        public Integer call() throws Exception {
            var containers = Containers.store(options.store());
            containers.rename(containers.find(name), newName);
            return 0;
        }
    }

    @Command(name = "top", mixinStandardHelpOptions = true, description = "Show a running container's processes (ps -ef, or the ps options given).")
    static final class Top implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Parameters(index = "0", paramLabel = "CONTAINER", description = "A running container's name or ID.")
        String name;

        /** Everything after the container goes to ps as it is (-o pid,comm), as docker top passes it. */
        @picocli.CommandLine.Unmatched
        List<String> psOptions = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("listing a container's processes");
            LayoutStore store = options.store();
            System.out.print(Containers.runner(store).top(Containers.store(store).find(name), psOptions));
            return 0;
        }
    }
}
