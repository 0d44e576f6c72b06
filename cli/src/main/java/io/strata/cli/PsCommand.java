package io.strata.cli;

import io.strata.runner.Container;
import io.strata.snapshots.Native;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** strata ps [-a]: containers, running ones by default. */
@Command(name = "ps", mixinStandardHelpOptions = true, description = "List containers (-q: IDs only).")
@SuppressWarnings("unchecked")
final class PsCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Option(names = {"-a", "--all"}, description = "Show every container, not only running ones.")
    boolean all;

    @Override
    public Integer call() throws Exception {
        String format = options.format();
        var store = options.store();
        List<Container> list = new ArrayList<>(Native.isRoot() ? Containers.runner(store).list() : Containers.store(store).list());
        list.removeIf(c -> !all && c.status() != Container.Status.RUNNING);
        list.sort(Comparator.comparing(Container::created).reversed());
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Container c : list) {
            Map<String, Object> row = c.members();
            row.put("shortId", c.id().substring(0, 12));
            // docker ps's template names, which scripts use: {{.Names}}, {{.State}} (created, running, exited).
            row.put("names", c.name());
            row.put("state", c.status().name().toLowerCase(java.util.Locale.ROOT));
            rows.add(row);
        }
        Output.rows(format, options.quiet(), rows, List.of(
                Output.Column.of("CONTAINER ID", "shortId"),
                Output.Column.of("IMAGE", "image"),
                new Output.Column("COMMAND", r -> {
                    String cmd = String.join(" ", (List<String>) r.get("command"));
                    return "\"" + (cmd.length() > 20 ? cmd.substring(0, 19) + "…" : cmd) + "\"";
                }),
                new Output.Column("STATUS", r -> switch (Container.Status.valueOf((String) r.get("status"))) {
                    case CREATED -> "Created";
                    case RUNNING -> "Up";
                    case EXITED -> "Exited (" + r.get("exitCode") + ")";
                }),
                Output.Column.of("NAMES", "name")), "shortId");
        return 0;
    }
}
