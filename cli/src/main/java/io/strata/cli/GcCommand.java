package io.strata.cli;

import io.strata.client.GarbageCollector;
import io.strata.snapshots.Native;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** strata gc: removes blobs and snapshots that no image in the store and no pull in progress uses. */
@Command(name = "gc", mixinStandardHelpOptions = true, description = "Remove blobs and snapshots no stored image uses.")
final class GcCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Option(names = "--grace", paramLabel = "MINUTES",
            description = "Also keep blobs younger than this (default 0: pulls in progress are protected by their leases).")
    long graceMinutes = 0;

    /** Removes what no stored image, no container and no pull in progress uses (gc, and the prunes after they removed things). */
    static GarbageCollector.Result collect(io.strata.client.store.LayoutStore store, Duration grace) throws java.io.IOException {
        // Snapshots are only touched as root (their files belong to the images' owners); blobs always.
        var snapshotter = Native.isRoot() ? UnpackOptions.snapshotter(store) : null;
        // Containers' writable layers, and through them their images' layers, stay; so do the build cache's images.
        return GarbageCollector.collect(store, snapshotter, grace, new GarbageCollector.InUse() {
            @Override
            public java.util.Set<String> snapshots() throws java.io.IOException {
                java.util.Set<String> keys = new java.util.HashSet<>();
                for (var c : Containers.store(store).list()) keys.add(c.snapshot());
                return keys;
            }

            @Override
            public java.util.Set<io.strata.oci.Digest> manifests() throws java.io.IOException {
                return new java.util.HashSet<>(new io.strata.builder.BuildCache(store.root()).images());
            }
        });
    }

    @Override
    public Integer call() throws Exception {
        String format = options.format();
        var store = options.store();
        var result = collect(store, Duration.ofMinutes(graceMinutes));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("removed", result.removed());
        out.put("bytes", result.bytes());
        out.put("snapshotsRemoved", result.snapshotsRemoved());
        out.put("kept", result.kept());
        Output.one(format, out, "removed " + result.removed() + " blobs, " + result.bytes() + " bytes, "
                + result.snapshotsRemoved() + " snapshots");
        if (format == null && !options.quiet()) for (String k : result.kept()) System.err.println("kept: " + k);
        return 0;
    }
}
