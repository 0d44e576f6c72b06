package io.strata.cli;

import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.ImageConfig;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** strata images: the names in the local store, as docker images shows them. */
@Command(name = "images", mixinStandardHelpOptions = true, description = "List images in the local store (-q: IDs only).")
final class ImagesCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Override
    public Integer call() throws Exception {
        String format = options.format();
        LayoutStore store = options.store();
        List<LayoutStore.Named> names = new ArrayList<>(store.names());
        names.sort((a, b) -> a.name().compareTo(b.name()));
        Instant now = Instant.now();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (var n : names) rows.add(row(store, n));
        Output.rows(format, options.quiet(), rows, List.of(
                Output.Column.of("REPOSITORY", "repository"), Output.Column.of("TAG", "tag"), Output.Column.of("IMAGE ID", "id"),
                new Output.Column("CREATED", r -> r.get("created") == null ? "" : Output.ago(Instant.parse((String) r.get("created")), now)),
                new Output.Column("SIZE", r -> Output.size((Long) r.get("size")))), "id");
        return 0;
    }

    /**
     * The bytes of its layers unpacked, as docker and podman show an image's size (each snapshot
     * counted its files at commit); null when a layer is not unpacked here (then the stored bytes are shown).
     */
    private static Long unpackedSize(LayoutStore store, Manifest m, ImageConfig config) throws IOException {
        var snapshotter = UnpackOptions.snapshotter(store);
        long total = 0;
        for (io.strata.oci.Digest chain : io.strata.client.Unpacker.chainIds(m, config)) {
            var info = snapshotter.stat(chain.toString()).orElse(null);
            if (info == null || info.usage() == null) return null;
            total += info.usage().bytes();
        }
        return total;
    }

    /** One image: its name split as docker shows it, its ID and digest, when it was built and its size. */
    static Map<String, Object> row(LayoutStore store, LayoutStore.Named n) throws IOException {
        Map<String, Object> row = new LinkedHashMap<>();
        String name = n.name();
        int at = name.indexOf('@');
        int colon = name.lastIndexOf(':');
        String repository = at >= 0 ? name.substring(0, at) : colon > name.lastIndexOf('/') && colon > 0 ? name.substring(0, colon) : name;
        String tag = at >= 0 || repository.equals(name) ? "<none>" : name.substring(colon + 1);
        Descriptor d = n.manifest();
        row.put("name", name);
        row.put("repository", repository);
        row.put("tag", tag);
        row.put("id", d.digest().encoded().substring(0, 12));
        row.put("digest", d.digest().toString());
        row.put("mediaType", d.mediaType());
        String created = null;
        long size = d.size();
        if (store.has(d.digest()) && MediaType.MANIFESTS.contains(d.mediaType()) && !MediaType.INDEXES.contains(d.mediaType())) {
            Manifest m = Manifest.parse(store.read(d.digest()));
            for (Descriptor b : m.blobs()) size += b.size();
            if (store.has(m.config().digest())) {
                try {
                    ImageConfig config = ImageConfig.parse(store.read(m.config().digest()));
                    created = config.created();
                    if (created != null) created = Instant.parse(created).toString();
                    Long unpacked = unpackedSize(store, m, config);
                    if (unpacked != null) size = unpacked;
                } catch (IOException | RuntimeException notAnImage) {
                    created = null; // an artifact's config, or a date we cannot read
                }
            }
        }
        row.put("created", created);
        row.put("size", size);
        return row;
    }
}
