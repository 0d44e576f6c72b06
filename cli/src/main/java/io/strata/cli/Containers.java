package io.strata.cli;

import io.strata.client.Unpacker;
import io.strata.client.store.LayoutStore;
import io.strata.oci.ImageConfig;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import io.strata.runner.ContainerStore;
import io.strata.runner.Runner;
import java.io.IOException;

/** Where a store keeps its containers, and the image of a stored name as the runner needs it. */
final class Containers {
    private Containers() {}

    static ContainerStore store(LayoutStore store) {
        return new ContainerStore(store.root().resolve("containers"));
    }

    static Runner runner(LayoutStore store) {
        return new Runner(UnpackOptions.snapshotter(store), store(store), store.root().resolve("runtime"), store.leases(), volumes(store),
                new io.strata.runner.Networks(store.root().resolve("networks")));
    }

    static io.strata.runner.Volumes volumes(LayoutStore store) {
        return new io.strata.runner.Volumes(store.root().resolve("volumes"), store(store));
    }

    /**
     * What a detached container's monitor runs when the container exits: this program again, as
     * {@code strata container-cleanup}, started as this JVM was (its AOT cache, the quick compiler:
     * it lives a moment) with a small heap. The monitor adds the container's id.
     */
    static java.util.List<String> cleanupCommand(LayoutStore store) {
        java.util.List<String> cmd = new java.util.ArrayList<>(QuickJit.thisJvm().stream()
                .filter(option -> !option.equals("-XX:+UseTransparentHugePages")).toList());
        cmd.addAll(java.util.List.of("-Xmx64m", "-jar", System.getProperty("java.class.path"), "container-cleanup", "--root",
                store.root().toString()));
        return cmd;
    }

    /** A stored image's config and layer stack (mount, run and create read them the same way). */
    static Runner.Image image(LayoutStore store, LocalImage local) throws IOException {
        return image(store, local, null);
    }

    /**
     * The image {@code local} names; of an index kept whole (pull --all-platforms, manifest create),
     * the entry for {@code platform} (null: this host's), which must be stored.
     */
    static Runner.Image image(LayoutStore store, LocalImage local, io.strata.oci.Platform platform) throws IOException {
        if (MediaType.INDEXES.contains(local.manifest().mediaType())) {
            io.strata.oci.Platform wanted = platform == null ? io.strata.oci.Platform.host() : platform;
            io.strata.oci.Index index = io.strata.oci.Index.parse(store.read(local.manifest().digest()));
            String name = local.name();
            io.strata.oci.Descriptor chosen = index.select(wanted).orElseThrow(() -> new IllegalArgumentException(
                    "no " + wanted + " image in " + name + " (it has: " + String.join(", ", index.platforms()) + ")"));
            if (!store.has(chosen.digest())) {
                throw new IllegalArgumentException(local.name() + "'s " + wanted + " image is not stored: pull it (--platform " + wanted + ")");
            }
            local = new LocalImage(local.name(), new io.strata.oci.Descriptor(chosen.mediaType(), chosen.digest(), chosen.size()));
        }
        Manifest manifest = Manifest.parse(store.read(local.manifest().digest()));
        if (!MediaType.IMAGE_CONFIGS.contains(manifest.config().mediaType())) {
            String type = manifest.artifactType() != null ? manifest.artifactType() : manifest.config().mediaType();
            throw new IllegalArgumentException(local.name() + " is an artifact (" + type + "), not an image: it cannot run");
        }
        ImageConfig config = ImageConfig.parse(store.read(manifest.config().digest()));
        return new Runner.Image(local.name(), local.manifest().digest(), config, Unpacker.chainIds(manifest, config));
    }
}
