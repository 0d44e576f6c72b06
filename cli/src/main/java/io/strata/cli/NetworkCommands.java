package io.strata.cli;

import io.strata.runner.Networks;
import io.strata.runner.Runner;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** strata network create|ls|inspect|rm|prune|connect|disconnect: bridges of their own, where containers find each other by name. */
@Command(name = "network", mixinStandardHelpOptions = true, description = "Manage networks: containers on one a user made reach each "
        + "other by name.", subcommands = {NetworkCommands.Create.class, NetworkCommands.Ls.class, NetworkCommands.Inspect.class,
                NetworkCommands.Rm.class, NetworkCommands.Prune.class, NetworkCommands.Connect.class, NetworkCommands.Disconnect.class})
final class NetworkCommands {
    private NetworkCommands() {}

    /** As docker network inspect shows a network (the fields scripts read). */
    static Map<String, Object> row(Runner runner, Networks.Network n) throws java.io.IOException {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("Name", n.name());
        r.put("Id", n.id());
        r.put("Created", n.created());
        r.put("Driver", "bridge");
        r.put("Internal", n.internal());
        r.put("IPAM", Map.of("Driver", "host-local", "Config", List.of(Map.of("Subnet", n.subnet(), "Gateway", n.gateway()))));
        r.put("Options", Map.of("bridge", n.bridge()));
        r.put("Labels", n.labels());
        r.put("Containers", runner.networkUsers(n.name()));
        return r;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a network.")
    static final class Create implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = "--subnet", paramLabel = "CIDR", description = "Its subnet (default: the first free /24 of 10.92.0.0/16).")
        String subnet;

        @Option(names = "--gateway", paramLabel = "IP", description = "The bridge's address in the subnet (default: the first).")
        String gateway;

        @Option(names = "--internal", description = "No route out of the network: its containers reach only each other.")
        boolean internal;

        @Option(names = {"-l", "--label"}, paramLabel = "KEY=VALUE", description = "A label on the network.")
        List<String> labels = new ArrayList<>();

        @Parameters(paramLabel = "NAME", description = "The network's name.")
        String name;

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("making a network");
            Map<String, String> l = Output.labels(labels);
            System.out.println(Containers.runner(options.store()).networks().create(name, subnet, gateway, internal, l).name());
            return 0;
        }
    }

    @Command(name = "ls", aliases = "list", mixinStandardHelpOptions = true, description = "List networks.")
    static final class Ls implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Override
        public Integer call() throws Exception {
            Runner runner = Containers.runner(options.store());
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Networks.Network n : runner.networks().list()) rows.add(row(runner, n));
            Output.rows(options.format(), options.quiet(), rows, List.of(new Output.Column("NETWORK ID", r -> ((String) r.get("Id")).substring(0, 12)),
                    Output.Column.of("NAME", "Name"), Output.Column.of("DRIVER", "Driver")), "Name");
            return 0;
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true, description = "Show networks in docker's shape (JSON).")
    static final class Inspect implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Parameters(paramLabel = "NAME", arity = "1..*", description = "Network names.")
        List<String> names;

        @Override
        public Integer call() throws Exception {
            Runner runner = Containers.runner(options.store());
            List<Map<String, Object>> out = new ArrayList<>();
            for (String n : names) out.add(row(runner, runner.networks().get(n)));
            System.out.println(Output.json(out));
            return 0;
        }
    }

    @Command(name = "rm", aliases = "remove", mixinStandardHelpOptions = true, description = "Remove networks no container asks for.")
    static final class Rm implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Parameters(paramLabel = "NAME", arity = "1..*", description = "Network names.")
        List<String> names;

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("removing a network");
            Runner runner = Containers.runner(options.store());
            for (String n : names) {
                runner.removeNetwork(n);
                System.out.println(n);
            }
            return 0;
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true, description = "Remove every network no container asks for.")
    static final class Prune implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-f", "--force"}, description = "Do not ask first.")
        boolean force;

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("removing networks");
            if (!force && !Output.confirmed("networks not used by at least one container")) return 1;
            for (String n : Containers.runner(options.store()).pruneNetworks()) System.out.println(n);
            return 0;
        }
    }

    /** connect's and disconnect's parameters: NETWORK CONTAINER, in docker's order. */
    static final class NetworkAndContainer {
        @Parameters(index = "0", paramLabel = "NETWORK", description = "The network.")
        String network;

        @Parameters(index = "1", paramLabel = "CONTAINER", description = "The container's name or ID.")
        String container;
    }

    @Command(name = "connect", mixinStandardHelpOptions = true, description = "Put a container on a network too (now if it runs, and at each start).")
    static final class Connect implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = "--alias", paramLabel = "NAME", description = "Another name it is found by on this network.")
        List<String> aliases = new ArrayList<>();

        @Option(names = "--ip", paramLabel = "IPV4", description = "Its address on this network.")
        String ip;

        @Mixin
        NetworkAndContainer target;

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("connecting a container to a network");
            var store = options.store();
            Containers.runner(store).connect(Containers.store(store).find(target.container), target.network, ip, aliases);
            return 0;
        }
    }

    @Command(name = "disconnect", mixinStandardHelpOptions = true, description = "Take a container off a network it was connected to.")
    static final class Disconnect implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-f", "--force"}, description = "Accepted as docker's; disconnecting never needs it here.")
        boolean force;

        @Mixin
        NetworkAndContainer target;

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("disconnecting a container from a network");
            var store = options.store();
            Containers.runner(store).disconnect(Containers.store(store).find(target.container), target.network);
            return 0;
        }
    }
}
