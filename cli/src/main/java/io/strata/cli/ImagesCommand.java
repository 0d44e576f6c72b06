package io.strata.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.client.store.LayoutStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** strata images: the names in the local store and the manifests they point at. */
@Command(name = "images", mixinStandardHelpOptions = true, description = "List images in the local store.")
final class ImagesCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Override
    public Integer call() throws Exception {
        List<LayoutStore.Named> names = new ArrayList<>(options.store().names());
        names.sort((a, b) -> a.name().compareTo(b.name()));
        if (options.json()) {
            List<Map<String, Object>> out = new ArrayList<>();
            for (var n : names) {
                out.add(Map.of("name", n.name(), "digest", n.manifest().digest().toString(), "mediaType", n.manifest().mediaType()));
            }
            System.out.println(new ObjectMapper().writeValueAsString(out));
            return 0;
        }
        if (!options.quiet) System.out.printf("%-60s %s%n", "NAME", "DIGEST");
        for (var n : names) System.out.printf("%-60s %s%n", n.name(), n.manifest().digest());
        return 0;
    }
}
