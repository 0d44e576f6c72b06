package io.strata.cli;

import io.strata.runner.Volumes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** strata volume create|ls|inspect|rm|prune: named volumes, as docker's and podman's verbs. */
@Command(name = "volume", mixinStandardHelpOptions = true, description = "Manage volumes: data that outlives containers.",
        subcommands = {VolumeCommands.Create.class, VolumeCommands.Ls.class, VolumeCommands.Inspect.class, VolumeCommands.Rm.class,
                VolumeCommands.Prune.class})
final class VolumeCommands {
    private VolumeCommands() {}

    static Map<String, Object> row(Volumes v, Volumes.Volume volume) throws java.io.IOException {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("CreatedAt", volume.createdAt());
        r.put("Driver", "local");
        r.put("Labels", volume.labels());
        r.put("Mountpoint", volume.mountpoint().toString());
        r.put("Name", volume.name());
        r.put("Options", Map.of());
        r.put("Scope", "local");
        r.put("Anonymous", volume.anonymous());
        r.put("UsedBy", v.users(volume.name()));
        return r;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a volume.")
    static final class Create implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "A label on the volume.")
        List<String> labels = new ArrayList<>();

        @Parameters(paramLabel = "NAME", description = "The volume's name.")
        String name;

        @Override
        public Integer call() throws Exception {
            Map<String, String> l = Output.labels(labels);
            System.out.println(Containers.volumes(options.store()).create(name, l).name());
            return 0;
        }
    }

    @Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true, description = "List volumes.")
    static final class Ls implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Override
        public Integer call() throws Exception {
            Volumes volumes = Containers.volumes(options.store());
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Volumes.Volume v : volumes.list()) rows.add(row(volumes, v));
            Output.rows(options.format(), options.quiet(), rows, List.of(Output.Column.of("DRIVER", "Driver"),
                    Output.Column.of("VOLUME NAME", "Name")), "Name");
            return 0;
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true, description = "Show volumes in docker's shape (JSON).")
    static final class Inspect implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Parameters(paramLabel = "NAME", arity = "1..*", description = "Volume names.")
        List<String> names;

        @Override
        public Integer call() throws Exception {
            Volumes volumes = Containers.volumes(options.store());
            List<Map<String, Object>> out = new ArrayList<>();
            for (String n : names) out.add(row(volumes, volumes.get(n)));
            if (options.format() != null && options.format().contains("{{")) {
                for (Map<String, Object> o : out) Output.one(options.format(), o, null);
            } else {
                System.out.println(Output.json(out));
            }
            return 0;
        }
    }

    @Command(name = "rm", aliases = "remove", mixinStandardHelpOptions = true, description = "Remove volumes no container uses.")
    static final class Rm implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Parameters(paramLabel = "NAME", arity = "1..*", description = "Volume names.")
        List<String> names;

        @Override
        public Integer call() throws Exception {
            Volumes volumes = Containers.volumes(options.store());
            for (String n : names) {
                volumes.remove(n);
                System.out.println(n);
            }
            return 0;
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true, description = "Remove every volume no container uses.")
    static final class Prune implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-f", "--force"}, description = "Do not ask first.")
        boolean force;

        @Override
        public Integer call() throws Exception {
            if (!force && !Output.confirmed("volumes not used by at least one container")) return 1;
            for (String n : Containers.volumes(options.store()).prune()) System.out.println(n);
            return 0;
        }
    }
}
