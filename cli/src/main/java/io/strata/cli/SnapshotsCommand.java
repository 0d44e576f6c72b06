package io.strata.cli;

import io.strata.client.store.LayoutStore;
import io.strata.oci.Digest;
import io.strata.oci.ImageConfig;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import io.strata.snapshots.Snapshotter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** strata snapshots: every snapshot with its parent, state, size, inodes and the images that use it. */
@SuppressWarnings("unchecked")
@Command(name = "snapshots", mixinStandardHelpOptions = true, description = "List the unpacked layers (snapshots).")
final class SnapshotsCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Override
    public Integer call() throws Exception {
        String format = options.format();
        LayoutStore store = options.store();
        var snapshotter = UnpackOptions.snapshotter(store);
        Map<String, TreeSet<String>> users = imagesBySnapshot(store);
        List<Snapshotter.Info> all = new ArrayList<>(snapshotter.list());
        all.sort(Comparator.comparing(Snapshotter.Info::kind).thenComparing(Snapshotter.Info::name));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Snapshotter.Info i : all) {
            Snapshotter.Usage u = i.usage() != null ? i.usage() : snapshotter.usage(i.name());
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", i.name());
            row.put("parent", i.parent());
            row.put("state", i.kind().name().toLowerCase());
            row.put("size", u.bytes());
            row.put("inodes", u.inodes());
            row.put("created", i.created());
            row.put("images", List.copyOf(users.getOrDefault(i.name(), new TreeSet<>())));
            rows.add(row);
        }
        Output.rows(format, options.quiet(), rows, List.of(
                new Output.Column("NAME", r -> shortName((String) r.get("name"))),
                new Output.Column("PARENT", r -> shortName((String) r.get("parent"))),
                Output.Column.of("STATE", "state"),
                new Output.Column("SIZE", r -> Output.size((Long) r.get("size"))),
                Output.Column.of("INODES", "inodes"),
                new Output.Column("IMAGES", r -> String.join(",", (List<String>) r.get("images")))), "name");
        return 0;
    }

    private static String shortName(String name) {
        if (name == null) return "-";
        return name.startsWith("sha256:") ? name.substring(0, 19) : name.length() > 19 ? name.substring(0, 18) + "…" : name;
    }

    /** For each ChainID, the names of the stored images whose layer stack includes it. */
    static Map<String, TreeSet<String>> imagesBySnapshot(LayoutStore store) throws IOException {
        Map<String, TreeSet<String>> out = new HashMap<>();
        for (LayoutStore.Named n : store.names()) {
            if (!MediaType.MANIFESTS.contains(n.manifest().mediaType()) || MediaType.INDEXES.contains(n.manifest().mediaType())) continue;
            if (!store.has(n.manifest().digest())) continue;
            Manifest m = Manifest.parse(store.read(n.manifest().digest()));
            if (!store.has(m.config().digest())) continue;
            List<Digest> chain;
            try {
                chain = ImageConfig.parse(store.read(m.config().digest())).rootfs().chainIds();
            } catch (IOException e) {
                continue; // an artifact, not an image
            }
            for (Digest c : chain) out.computeIfAbsent(c.toString(), k -> new TreeSet<>()).add(n.name());
        }
        return out;
    }
}
