package io.strata.cli;

import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.ImageJson;
import io.strata.oci.JsonIn;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** strata inspect IMAGE: a stored image's manifest and config as JSON, or fields of them through a template. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a stored image's manifest and config (JSON, or --format '{{.Config.architecture}}').")
final class InspectCommand implements Callable<Integer> {

    @Mixin
    ClientOptions options;

    @Parameters(paramLabel = "IMAGE", description = "A name, reference or ID from strata images.")
    String reference;

    @Override
    public Integer call() throws Exception {
        String format = options.format();
        LayoutStore store = options.store();
        LocalImage image = LocalImage.find(store, reference);
        Descriptor manifest = image.manifest();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", image.name());
        out.put("id", image.id());
        out.put("digest", manifest.digest().toString());
        out.put("mediaType", manifest.mediaType());
        out.put("manifest", ImageJson.read(store.read(manifest.digest()), "manifest", JsonIn::any));
        if (!MediaType.INDEXES.contains(manifest.mediaType())) {
            Digest config = Manifest.parse(store.read(manifest.digest())).config().digest();
            if (store.has(config)) out.put("config", ImageJson.read(store.read(config), "config", JsonIn::any));
        }
        Output.one(format, out, null);
        return 0;
    }
}
