package io.strata.cli;

import io.strata.runner.Container;
import io.strata.runner.Runner;
import io.strata.snapshots.Native;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** strata ps [-a]: containers, running ones by default, in docker's columns and words. */
@Command(name = "ps", mixinStandardHelpOptions = true, description = "List containers (-q: IDs only).")
@SuppressWarnings("unchecked")
final class PsCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Option(names = {"-a", "--all"}, description = "Show every container, not only running ones.")
    boolean all;

    @Option(names = {"-f", "--filter"}, paramLabel = "KEY=VALUE", description = "Only containers that match: status=created|running|paused|"
            + "exited, name=PART, id=PREFIX, ancestor=IMAGE (one key given twice: either; different keys: all).")
    List<String> filters = new ArrayList<>();

    @Option(names = {"-n", "--last"}, paramLabel = "N", description = "The N containers created last, in any state.")
    Integer last;

    @Option(names = {"-l", "--latest"}, description = "The container created last, in any state.")
    boolean latest;

    @Option(names = {"-s", "--size"}, description = "Show each container's size: its writable layer (virtual: what it sees).")
    boolean size;

    @Override
    public Integer call() throws Exception {
        String format = options.format();
        var store = options.store();
        Map<String, List<String>> wanted = filters(filters);
        Runner runner = Native.isRoot() ? Containers.runner(store) : null;
        List<Container> list = new ArrayList<>(runner != null ? runner.list() : Containers.store(store).list());
        if (latest) last = 1;
        boolean any = all || last != null || wanted.containsKey("status");
        list.removeIf(c -> !any && c.status() != Container.Status.RUNNING);
        list.sort(Comparator.comparing(Container::created).reversed());
        Instant now = Instant.now();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Container c : list) {
            boolean paused = runner != null && runner.paused(c);
            String state = paused ? "paused" : c.status().name().toLowerCase(java.util.Locale.ROOT);
            if (!matches(wanted, c, state)) continue;
            if (last != null && rows.size() == last) break;
            Map<String, Object> row = c.members();
            row.put("shortId", c.id().substring(0, 12));
            // docker ps's template names, which scripts use: {{.Names}}, {{.State}} (created, running, paused, exited), {{.Status}} in words.
            row.put("names", c.name());
            // {{.Command}} is one line, as podman prints it (docker quotes it too; its table does here).
            row.put("command", String.join(" ", c.command()));
            row.put("state", state);
            row.put("status", status(c, paused, now));
            row.put("createdAt", c.created());
            row.put("runningFor", Output.ago(Instant.parse(c.created()), now));
            row.put("ports", runner == null ? "" : String.join(", ", runner.ports(c).stream()
                    .map(p -> (p.hostIp().isEmpty() ? "0.0.0.0" : p.hostIp()) + ":" + p.hostPort() + "->" + p.containerPort() + "/" + p.protocol())
                    .toList()));
            if (size && runner != null) {
                long[] s = runner.sizes(c);
                row.put("size", Output.size(s[0]) + " (virtual " + Output.size(s[1]) + ")");
            }
            rows.add(row);
        }
        List<Output.Column> columns = new ArrayList<>(List.of(
                Output.Column.of("CONTAINER ID", "shortId"),
                Output.Column.of("IMAGE", "image"),
                new Output.Column("COMMAND", r -> {
                    String cmd = (String) r.get("command");
                    return "\"" + (cmd.length() > 20 ? cmd.substring(0, 19) + "…" : cmd) + "\"";
                }),
                Output.Column.of("CREATED", "runningFor"),
                Output.Column.of("STATUS", "status"),
                Output.Column.of("PORTS", "ports"),
                Output.Column.of("NAMES", "name")));
        if (size) columns.add(Output.Column.of("SIZE", "size"));
        Output.rows(format, options.quiet(), rows, columns, "shortId");
        return 0;
    }

    /** docker's words: "Created", "Up 3 minutes", "Up 5 seconds (Paused)", "Exited (0) 2 seconds ago". */
    static String status(Container c, boolean paused, Instant now) {
        return switch (c.status()) {
            case CREATED -> "Created";
            case RUNNING -> "Up" + (c.started() == null ? "" : " " + Output.duration(Instant.parse(c.started()), now)) + (paused ? " (Paused)" : "");
            case EXITED -> "Exited (" + c.exitCode() + ")" + (c.finished() == null ? "" : " " + Output.ago(Instant.parse(c.finished()), now));
        };
    }

    private static final List<String> KEYS = List.of("status", "name", "id", "ancestor");

    /** The filters by key; an unknown key or a status docker does not have is refused. */
    static Map<String, List<String>> filters(List<String> given) {
        Map<String, List<String>> out = Output.filters(given, KEYS);
        for (String value : out.getOrDefault("status", List.of())) {
            if (!List.of("created", "running", "paused", "exited").contains(value)) {
                throw new IllegalArgumentException("invalid filter 'status=" + value + "': created, running, paused or exited");
            }
        }
        return out;
    }

    private static boolean matches(Map<String, List<String>> wanted, Container c, String state) {
        for (var e : wanted.entrySet()) {
            boolean any = switch (e.getKey()) {
                case "status" -> e.getValue().contains(state);
                case "name" -> e.getValue().stream().anyMatch(c.name()::contains);
                case "id" -> e.getValue().stream().anyMatch(c.id()::startsWith);
                default -> e.getValue().stream().anyMatch(v -> c.image().equals(v) || c.image().equals(LocalImage.normalise(v))
                        || c.imageDigest().equals(v));
            };
            if (!any) return false;
        }
        return true;
    }
}
