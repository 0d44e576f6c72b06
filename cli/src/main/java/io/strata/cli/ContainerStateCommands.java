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

/** The verbs that change a container's state, limits or name, or look inside it: restart, pause, unpause, update, stats, rename, top. */
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

    @Command(name = "stats", mixinStandardHelpOptions = true, description = "Show running containers' use of CPU, memory, network, block I/O "
            + "and processes, from their cgroups (refreshed each second; --no-stream: once).")
    static final class Stats implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = "--no-stream", description = "One sample, then exit.")
        boolean noStream;

        @Option(names = {"-a", "--all"}, description = "Containers that are not running too (shown with zeros), as docker's.")
        boolean all;

        @Parameters(paramLabel = "CONTAINER", arity = "0..*", description = "Container names or IDs (default: every running one).")
        List<String> names = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("reading containers' cgroups");
            Output.check(options.format());
            LayoutStore store = options.store();
            Runner runner = Containers.runner(store);
            boolean clear = !noStream && options.format() == null && io.strata.snapshots.Native.isTerminal(1);
            while (true) {
                List<Container> list = new ArrayList<>();
                if (names.isEmpty()) {
                    for (Container c : runner.list()) if (all || c.status() == Container.Status.RUNNING) list.add(c);
                } else {
                    for (String n : names) list.add(Containers.store(store).find(n));
                }
                // CPU % is over an interval: two samples half a second apart (docker's first sample works the same way).
                java.util.Map<String, io.strata.runner.CgroupStats> first = sample(runner, list);
                long t0 = System.nanoTime();
                Thread.sleep(500);
                java.util.Map<String, io.strata.runner.CgroupStats> second = sample(runner, list);
                long wall = System.nanoTime() - t0;
                List<java.util.Map<String, Object>> rows = new ArrayList<>();
                for (Container c : list) rows.add(row(c, first.get(c.id()), second.get(c.id()), wall));
                if (clear) System.out.print("\033[2J\033[H");
                Output.rows(options.format(), false, rows, List.of(Output.Column.of("CONTAINER ID", "ID"), Output.Column.of("NAME", "Name"),
                        Output.Column.of("CPU %", "CPUPerc"), Output.Column.of("MEM USAGE / LIMIT", "MemUsage"), Output.Column.of("MEM %", "MemPerc"),
                        Output.Column.of("NET I/O", "NetIO"), Output.Column.of("BLOCK I/O", "BlockIO"), Output.Column.of("PIDS", "PIDs")), "ID");
                System.out.flush();
                if (noStream) return 0;
                Thread.sleep(500);
            }
        }

        private static java.util.Map<String, io.strata.runner.CgroupStats> sample(Runner runner, List<Container> list) throws Exception {
            java.util.Map<String, io.strata.runner.CgroupStats> out = new java.util.HashMap<>();
            for (Container c : list) {
                try {
                    out.put(c.id(), runner.stats(c));
                } catch (IllegalStateException notRunning) {
                    // shown with zeros
                }
            }
            return out;
        }

        /** docker stats' row: CPU over the interval (100 % is one core), memory in binary units, I/O in decimal ones. */
        private static java.util.Map<String, Object> row(Container c, io.strata.runner.CgroupStats a, io.strata.runner.CgroupStats b, long wall) {
            java.util.Map<String, Object> r = new java.util.LinkedHashMap<>();
            r.put("ID", c.id().substring(0, 12));
            r.put("Name", c.name());
            boolean up = a != null && b != null;
            double cpu = up ? 100.0 * Math.max(0, b.cpuNanos() - a.cpuNanos()) / wall : 0;
            r.put("CPUPerc", String.format(java.util.Locale.ROOT, "%.2f%%", cpu));
            r.put("MemUsage", up ? binary(b.memoryBytes()) + " / " + binary(b.memoryLimit()) : "0B / 0B");
            r.put("MemPerc", String.format(java.util.Locale.ROOT, "%.2f%%", up && b.memoryLimit() > 0 ? 100.0 * b.memoryBytes() / b.memoryLimit() : 0));
            r.put("NetIO", up ? Output.size(b.netReceived()) + " / " + Output.size(b.netSent()) : "0B / 0B");
            r.put("BlockIO", up ? Output.size(b.blockRead()) + " / " + Output.size(b.blockWritten()) : "0B / 0B");
            r.put("PIDs", String.valueOf(up ? b.pids() : 0));
            return r;
        }

        /** Bytes as docker's units.BytesSize prints them: four significant digits, KiB, MiB, GiB. */
        static String binary(long n) {
            String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
            double v = n;
            int u = 0;
            while (v >= 1024 && u < units.length - 1) {
                v /= 1024;
                u++;
            }
            return new java.math.BigDecimal(v).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString() + units[u];
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
            Container renamed = containers.rename(containers.find(name), newName);
            new io.strata.runner.Events(options.store().root()).emit("container", "rename", renamed.id(), java.util.Map.of("name", newName,
                    "oldName", name, "image", renamed.image()));
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
