package io.strata.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** strata inspect REF: the manifest and config of a stored image, as JSON. */
@Command(name = "inspect", mixinStandardHelpOptions = true, description = "Show a stored image's manifest and config.")
final class InspectCommand implements Callable<Integer> {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    ClientOptions options;

    @Parameters(paramLabel = "REF", description = "A name from strata images, or an image reference.")
    String reference;

    @Override
    public Integer call() throws Exception {
        LayoutStore store = options.store();
        Descriptor manifest = LocalImage.find(store, reference).manifest();
        JsonNode body = JSON.readTree(store.read(manifest.digest()));
        ObjectNode out = JSON.createObjectNode();
        out.put("digest", manifest.digest().toString());
        out.put("mediaType", manifest.mediaType());
        out.set("manifest", body);
        if (!MediaType.INDEXES.contains(manifest.mediaType())) {
            Digest config = Manifest.parse(store.read(manifest.digest())).config().digest();
            if (store.has(config)) out.set("config", JSON.readTree(store.read(config)));
        }
        System.out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
        return 0;
    }
}
