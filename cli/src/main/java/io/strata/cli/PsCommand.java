package io.strata.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.runner.Container;
import io.strata.snapshots.Native;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** strata ps [-a]: containers, running ones by default. */
@Command(name = "ps", mixinStandardHelpOptions = true, description = "List containers.")
final class PsCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Option(names = {"-a", "--all"}, description = "Show every container, not only running ones.")
    boolean all;

    @Override
    public Integer call() throws Exception {
        var store = options.store();
        List<Container> list = new ArrayList<>(Native.isRoot() ? Containers.runner(store).list() : Containers.store(store).list());
        list.removeIf(c -> !all && c.status() != Container.Status.RUNNING);
        list.sort(Comparator.comparing(Container::created).reversed());
        if (options.json()) {
            System.out.println(new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(list));
            return 0;
        }
        if (!options.quiet) System.out.printf("%-12s  %-30s  %-24s  %-20s  %s%n", "CONTAINER ID", "IMAGE", "COMMAND", "STATUS", "NAMES");
        for (Container c : list) {
            if (options.quiet) {
                System.out.println(c.id().substring(0, 12));
                continue;
            }
            String cmd = String.join(" ", c.command());
            String status = switch (c.status()) {
                case CREATED -> "Created";
                case RUNNING -> "Up";
                case EXITED -> "Exited (" + c.exitCode() + ")";
            };
            System.out.printf("%-12s  %-30s  %-24s  %-20s  %s%n", c.id().substring(0, 12), c.image(),
                    "\"" + (cmd.length() > 20 ? cmd.substring(0, 19) + "…" : cmd) + "\"", status, c.name());
        }
        return 0;
    }
}
