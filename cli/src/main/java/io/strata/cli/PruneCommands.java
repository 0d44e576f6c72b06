package io.strata.cli;

import io.strata.client.store.LayoutStore;
import io.strata.runner.Container;
import io.strata.runner.Runner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What docker's prunes remove: stopped containers, unused images, and all of it at once (system prune). */
final class PruneCommands {
    private PruneCommands() {}

    /** Removes every container not running; answers their ids and the bytes of their writable layers. */
    static long pruneContainers(Runner runner, List<String> deleted) throws Exception {
        long bytes = 0;
        for (Container c : runner.list()) {
            if (c.status() == Container.Status.RUNNING) continue;
            bytes += runner.sizes(c)[0];
            runner.remove(c, false);
            deleted.add(c.id());
        }
        return bytes;
    }

    /** Untags the images no container uses ({@code all}; without it there are none: an image here always has a name). */
    static void pruneImages(LayoutStore store, boolean all, List<String> untagged) throws Exception {
        if (!all) return;
        Set<String> used = new HashSet<>();
        for (Container c : Containers.store(store).list()) used.add(c.image());
        for (var named : store.names()) {
            if (used.contains(named.name())) continue;
            store.untag(named.name());
            untagged.add(named.name());
        }
    }

    @Command(name = "container", mixinStandardHelpOptions = true, description = "Manage containers (prune: remove every stopped one).",
            subcommands = {ContainerPrune.class})
    static final class ContainerGroup {}

    @Command(name = "prune", mixinStandardHelpOptions = true, description = "Remove every container that is not running.")
    static final class ContainerPrune implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-f", "--force"}, description = "Do not ask first.")
        boolean force;

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("removing containers");
            if (!force && !Output.confirmed("stopped containers")) return 1;
            List<String> deleted = new ArrayList<>();
            long bytes = pruneContainers(Containers.runner(options.store()), deleted);
            System.out.println("Deleted Containers:");
            deleted.forEach(System.out::println);
            System.out.println("\nTotal reclaimed space: " + Output.size(bytes));
            return 0;
        }
    }

    @Command(name = "image", mixinStandardHelpOptions = true, description = "Manage images (prune: remove unused ones).",
            subcommands = {ImagePrune.class})
    static final class ImageGroup {}

    @Command(name = "prune", mixinStandardHelpOptions = true, description = "Remove what no image uses; with -a, also every image no "
            + "container uses.")
    static final class ImagePrune implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-a", "--all"}, description = "Also the images no container uses (not only blobs and layers no image uses).")
        boolean all;

        @Option(names = {"-f", "--force"}, description = "Do not ask first.")
        boolean force;

        @Override
        public Integer call() throws Exception {
            if (!force && !Output.confirmed(all ? "images without at least one container associated to them" : "dangling images")) return 1;
            LayoutStore store = options.store();
            List<String> untagged = new ArrayList<>();
            pruneImages(store, all, untagged);
            var gc = GcCommand.collect(store, Duration.ZERO);
            if (!untagged.isEmpty()) System.out.println("Deleted Images:");
            for (String u : untagged) System.out.println("untagged: " + u);
            System.out.println((untagged.isEmpty() ? "" : "\n") + "Total reclaimed space: " + Output.size(gc.bytes()));
            return 0;
        }
    }

    @Command(name = "prune", mixinStandardHelpOptions = true, description = "Remove stopped containers, networks no container uses, what "
            + "no image uses (-a: and unused images), and with --volumes the volumes no container uses.")
    static final class SystemPrune implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-a", "--all"}, description = "Also every image no container uses.")
        boolean all;

        @Option(names = "--volumes", description = "Also the volumes no container uses.")
        boolean volumes;

        @Option(names = {"-f", "--force"}, description = "Do not ask first.")
        boolean force;

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("pruning the system");
            String what = "stopped containers, networks not used by at least one container, " + (volumes ? "volumes not used by at least "
                    + "one container, " : "") + (all ? "images without at least one container associated to them" : "dangling images");
            if (!force && !Output.confirmed(what)) return 1;
            LayoutStore store = options.store();
            Runner runner = Containers.runner(store);
            List<String> deleted = new ArrayList<>();
            long bytes = pruneContainers(runner, deleted);
            List<String> networks = runner.pruneNetworks();
            List<String> removedVolumes = volumes ? Containers.volumes(store).prune() : List.of();
            List<String> untagged = new ArrayList<>();
            pruneImages(store, all, untagged);
            bytes += GcCommand.collect(store, Duration.ZERO).bytes();
            if (!deleted.isEmpty()) System.out.println("Deleted Containers:\n" + String.join("\n", deleted) + "\n");
            if (!networks.isEmpty()) System.out.println("Deleted Networks:\n" + String.join("\n", networks) + "\n");
            if (!removedVolumes.isEmpty()) System.out.println("Deleted Volumes:\n" + String.join("\n", removedVolumes) + "\n");
            if (!untagged.isEmpty()) System.out.println("Deleted Images:\n" + String.join("\n", untagged.stream().map(u -> "untagged: " + u).toList()) + "\n");
            System.out.println("Total reclaimed space: " + Output.size(bytes));
            return 0;
        }
    }

    @Command(name = "builder", mixinStandardHelpOptions = true, description = "Manage the build cache (prune: forget it, and free what only it kept).",
            subcommands = {BuilderPrune.class})
    static final class BuilderGroup {}

    @Command(name = "prune", mixinStandardHelpOptions = true, description = "Forget every cached build step, then remove what only the cache kept.")
    static final class BuilderPrune implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-f", "--force"}, description = "Do not ask first.")
        boolean force;

        @Override
        public Integer call() throws Exception {
            if (!force && !Output.confirmed("all build cache")) return 1;
            LayoutStore store = options.store();
            int forgotten = new io.strata.builder.BuildCache(store.root()).prune();
            var gc = GcCommand.collect(store, Duration.ZERO);
            System.out.println("Forgot " + forgotten + " cached steps");
            System.out.println("Total reclaimed space: " + Output.size(gc.bytes()));
            return 0;
        }
    }
}
