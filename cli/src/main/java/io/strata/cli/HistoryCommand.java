package io.strata.cli;

import io.strata.oci.Descriptor;
import io.strata.oci.ImageConfig;
import io.strata.oci.Manifest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * strata history REF: how the image was built. The table and templates go newest first with human
 * sizes and times, as docker history; JSON is the config's history in its order, with the spec's
 * field names, each step with the layer it made (if any) and that layer's size.
 */
@Command(name = "history", mixinStandardHelpOptions = true, description = "Show how a stored image was built (-q: layer IDs only).")
final class HistoryCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Parameters(paramLabel = "IMAGE", description = "A name, reference or ID from strata images.")
    String reference;

    @Override
    public Integer call() throws Exception {
        String format = options.format();
        var store = options.store();
        Manifest manifest = Manifest.parse(store.read(LocalImage.find(store, reference).manifest().digest()));
        ImageConfig config = ImageConfig.parse(store.read(manifest.config().digest()));
        List<Descriptor> layers = manifest.layers();
        List<ImageConfig.History> history = config.history();
        List<Map<String, Object>> rows = new ArrayList<>();
        int layer = 0;
        int steps = Math.max(history.size(), layers.size());
        for (int i = 0; i < steps; i++) {
            ImageConfig.History h = i < history.size() ? history.get(i) : new ImageConfig.History(null, null, null, null, false);
            boolean empty = h.emptyLayer() || (!history.isEmpty() && layer >= layers.size());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("created", h.created());
            row.put("created_by", h.createdBy() == null ? "" : h.createdBy());
            row.put("author", h.author());
            row.put("comment", h.comment() == null ? "" : h.comment());
            row.put("empty_layer", empty);
            Descriptor made = !empty && layer < layers.size() ? layers.get(layer++) : null;
            row.put("layer", made == null ? null : made.digest().toString());
            row.put("id", made == null ? "<missing>" : made.digest().encoded().substring(0, 12));
            row.put("size", made == null ? 0L : made.size());
            rows.add(row);
        }
        if (options.json()) {
            System.out.println(Output.json(rows));
            return 0;
        }
        Instant now = Instant.now();
        Output.rows(format, options.quiet(), rows.reversed(), List.of(
                Output.Column.of("LAYER", "id"),
                new Output.Column("CREATED", r -> r.get("created") == null ? "" : ago((String) r.get("created"), now)),
                new Output.Column("CREATED BY", r -> cut((String) r.get("created_by"), 60)),
                new Output.Column("SIZE", r -> Output.size((Long) r.get("size"))),
                new Output.Column("COMMENT", r -> cut((String) r.get("comment"), 40))), "id");
        return 0;
    }

    private static String ago(String created, Instant now) {
        try {
            return Output.ago(Instant.parse(created), now);
        } catch (RuntimeException e) {
            return created;
        }
    }

    private static String cut(String s, int width) {
        String one = s.replace('\n', ' ').replace('\t', ' ');
        return one.length() > width ? one.substring(0, width - 1) + "…" : one;
    }
}
