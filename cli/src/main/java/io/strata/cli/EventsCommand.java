package io.strata.cli;

import io.strata.client.store.LayoutStore;
import io.strata.oci.ImageJson;
import io.strata.oci.JsonIn;
import io.strata.runner.ContainerLog;
import io.strata.runner.Events;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * strata events: container and image events as docker events prints them, the past ones from --since,
 * then those that happen, until --until (or ^C). Every command records its own (see {@link Events}).
 */
@Command(name = "events", mixinStandardHelpOptions = true, description = "Show container and image events as they happen (--since: from "
        + "then; --until: up to then, then exit).")
final class EventsCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Option(names = "--since", paramLabel = "TIME", description = "Also the events since TIME (a timestamp, epoch seconds, or a duration: 10m).")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "Stop at TIME (and print what happened up to it).")
    String until;

    @Option(names = {"-f", "--filter"}, paramLabel = "KEY=VALUE", description = "type=container|image, event=ACTION, container=NAME|ID, "
            + "image=NAME (a key twice: either; different keys: all).")
    List<String> filters = new ArrayList<>();

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.nnnnnnnnnXXX").withZone(ZoneId.systemDefault());

    @Override
    public Integer call() throws Exception {
        Output.check(options.format());
        Instant now = Instant.now();
        Instant from = since == null ? now : ContainerLog.time(since, now);
        Instant to = until == null ? null : ContainerLog.time(until, now);
        Map<String, List<String>> wanted = Output.filters(filters, List.of("type", "event", "container", "image"));
        LayoutStore store = options.store();
        Path file = new Events(store.root()).file();
        Path older = file.resolveSibling("events.jsonl.1");
        if (Files.exists(older)) print(older, 0, from, to, wanted);
        long offset = print(file, 0, from, to, wanted);
        // Without --until: what happens from now on, until interrupted.
        while (to == null || Instant.now().isBefore(to)) {
            Thread.sleep(200);
            if (Files.exists(file) && Files.size(file) < offset) offset = 0; // rotated
            offset = print(file, offset, from, to, wanted);
        }
        return 0;
    }

    /** Prints the events from {@code offset} that are wanted; returns how far it read (whole lines only). */
    @SuppressWarnings("unchecked")
    private long print(Path file, long offset, Instant from, Instant to, Map<String, List<String>> wanted) throws IOException {
        if (!Files.exists(file)) return offset;
        try (RandomAccessFile in = new RandomAccessFile(file.toFile(), "r")) {
            in.seek(offset);
            byte[] rest = new byte[(int) Math.min(in.length() - offset, Integer.MAX_VALUE)];
            in.readFully(rest);
            int end = 0;
            for (int i = 0; i < rest.length; i++) {
                if (rest[i] != '\n') continue;
                String line = new String(rest, end, i - end, StandardCharsets.UTF_8);
                end = i + 1;
                if (line.isBlank()) continue;
                Map<String, Object> e = (Map<String, Object>) ImageJson.read(line.getBytes(StandardCharsets.UTF_8), "event", JsonIn::any);
                long nanos = ((Number) e.get("timeNano")).longValue();
                Instant at = Instant.ofEpochSecond(nanos / 1_000_000_000L, nanos % 1_000_000_000L);
                if (at.isBefore(from) || to != null && !at.isBefore(to) || !matches(e, wanted)) continue;
                show(e, at);
            }
            System.out.flush();
            return offset + end;
        }
    }

    @SuppressWarnings("unchecked")
    private static boolean matches(Map<String, Object> e, Map<String, List<String>> wanted) {
        Map<String, Object> a = (Map<String, Object>) e.getOrDefault("Attributes", Map.of());
        for (var w : wanted.entrySet()) {
            boolean any = switch (w.getKey()) {
                case "type" -> w.getValue().contains(e.get("Type"));
                case "event" -> w.getValue().contains(e.get("Action"));
                case "container" -> "container".equals(e.get("Type")) && w.getValue().stream()
                        .anyMatch(v -> v.equals(a.get("name")) || e.get("ID").toString().startsWith(v));
                default -> w.getValue().stream().anyMatch(v -> v.equals(a.get("image")) || v.equals(a.get("name")) && "image".equals(e.get("Type")));
            };
            if (!any) return false;
        }
        return true;
    }

    /** docker's line: TIME TYPE ACTION ID (k=v, …), or the --format. */
    @SuppressWarnings("unchecked")
    private void show(Map<String, Object> e, Instant at) {
        if ("json".equals(options.format())) {
            System.out.println(Output.render("{{json .}}", e)); // a line an event, as docker's
            return;
        }
        if (options.format() != null) {
            Output.one(options.format(), e, null);
            return;
        }
        Map<String, Object> a = (Map<String, Object>) e.getOrDefault("Attributes", Map.of());
        List<String> attrs = a.entrySet().stream().sorted(Map.Entry.comparingByKey()).map(x -> x.getKey() + "=" + x.getValue()).toList();
        System.out.println(TIME.format(at) + " " + e.get("Type") + " " + e.get("Action") + " " + e.get("ID")
                + (attrs.isEmpty() ? "" : " (" + String.join(", ", attrs) + ")"));
    }
}
