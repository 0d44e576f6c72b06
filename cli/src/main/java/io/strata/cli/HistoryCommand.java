package io.strata.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.strata.oci.Descriptor;
import io.strata.oci.ImageConfig;
import io.strata.oci.Manifest;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** strata history REF: the image's layers with size, created and created_by, newest first (as docker history). */
@Command(name = "history", mixinStandardHelpOptions = true, description = "Show how a stored image was built.")
final class HistoryCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    ClientOptions options;

    @Parameters(paramLabel = "REF")
    String reference;

    @Override
    public Integer call() throws Exception {
        var store = options.store();
        Manifest manifest = Manifest.parse(store.read(LocalImage.find(store, reference).manifest().digest()));
        ImageConfig config = ImageConfig.parse(store.read(manifest.config().digest()));
        List<Descriptor> layers = manifest.layers();
        List<ImageConfig.History> history = config.history();
        ArrayNode rows = JSON.createArrayNode();
        int layer = 0;
        int steps = Math.max(history.size(), layers.size());
        for (int i = 0; i < steps; i++) {
            ImageConfig.History h = i < history.size() ? history.get(i) : new ImageConfig.History(null, null, null, null, false);
            boolean empty = h.emptyLayer() || (!history.isEmpty() && layer >= layers.size());
            var row = rows.addObject();
            row.put("created", h.created() == null ? "" : h.created());
            row.put("createdBy", h.createdBy() == null ? "" : h.createdBy());
            row.put("comment", h.comment() == null ? "" : h.comment());
            if (!empty && layer < layers.size()) {
                row.put("digest", layers.get(layer).digest().toString());
                row.put("size", layers.get(layer).size());
                layer++;
            } else {
                row.put("size", 0);
            }
        }
        if (options.json()) {
            System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(rows));
            return 0;
        }
        if (!options.quiet) System.out.printf("%-14s %-22s %-60s %10s%n", "LAYER", "CREATED", "CREATED BY", "SIZE");
        for (int i = rows.size() - 1; i >= 0; i--) {
            JsonNode r = rows.get(i);
            String digest = r.path("digest").asText("");
            String by = r.path("createdBy").asText();
            System.out.printf("%-14s %-22s %-60s %10s%n", digest.isEmpty() ? "<missing>" : digest.substring(7, 19),
                    r.path("created").asText(), by.length() > 60 ? by.substring(0, 57) + "..." : by, r.path("size").asLong());
        }
        return 0;
    }
}
