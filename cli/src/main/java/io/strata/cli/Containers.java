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
     * Starts a container's shim: this program again, as {@code strata container-shim}, in a session of
     * its own (setsid) so it outlives the command that started it and the terminal it ran in.
     */
    static Runner.ShimLauncher shimLauncher(LayoutStore store) {
        return (id, log) -> {
            // The shim starts as this JVM was started (its AOT cache, the quick compiler: a shim waits
            // and copies logs), with a smaller heap and without huge pages: it lives as long as its
            // container, so its memory counts more than the 70 ms they save (RSS 71 MiB against 75).
            // `run -d` 1.4-1.6 s -> 0.9-1.0 s: the shim used to load every class from the jars.
            java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("setsid"));
            for (String option : QuickJit.thisJvm()) if (!option.equals("-XX:+UseTransparentHugePages")) cmd.add(option);
            cmd.addAll(java.util.List.of("-Xmx64m", "-jar", System.getProperty("java.class.path"),
                    "container-shim", "--root", store.root().toString(), id));
            return new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(log.toFile()).redirectErrorStream(true).start();
        };
    }

    /** A stored image's config and layer stack (mount, run and create read them the same way). */
    static Runner.Image image(LayoutStore store, LocalImage local) throws IOException {
        if (MediaType.INDEXES.contains(local.manifest().mediaType())) {
            throw new IllegalArgumentException(local.name() + " is an index: pull one of its platforms' images (--platform)");
        }
        Manifest manifest = Manifest.parse(store.read(local.manifest().digest()));
        ImageConfig config = ImageConfig.parse(store.read(manifest.config().digest()));
        return new Runner.Image(local.name(), local.manifest().digest(), config, Unpacker.chainIds(manifest, config));
    }
}
