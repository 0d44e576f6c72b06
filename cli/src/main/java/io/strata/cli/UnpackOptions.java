package io.strata.cli;

import io.strata.client.store.LayoutStore;
import io.strata.snapshots.Applier;
import io.strata.snapshots.Native;
import io.strata.snapshots.OverlaySnapshotter;
import picocli.CommandLine.Option;

/** How layers are unpacked into snapshots: the limits that stop a decompression bomb. */
final class UnpackOptions {
    @Option(names = "--max-layer-size", paramLabel = "BYTES",
            description = "Refuse a layer that unpacks to more than this (default 64 GiB).")
    long maxLayerSize = Applier.Limits.DEFAULT.maxBytes();

    @Option(names = "--max-layer-entries", paramLabel = "N",
            description = "Refuse a layer with more entries than this (default 10000000).")
    long maxLayerEntries = Applier.Limits.DEFAULT.maxEntries();

    Applier.Limits limits() {
        if (maxLayerSize < 1 || maxLayerEntries < 1) throw new IllegalArgumentException("layer limits must be positive");
        return new Applier.Limits(maxLayerSize, maxLayerEntries);
    }

    /** The snapshots of a store live beside its blobs. */
    static OverlaySnapshotter snapshotter(LayoutStore store) {
        return new OverlaySnapshotter(store.root().resolve("snapshots"));
    }

    /** Device nodes, overlay mounts and trusted.* xattrs need root: say so before anything changes. */
    static void requireRoot(String what) {
        if (!Native.isRoot()) {
            throw new IllegalStateException(what + " needs root (device nodes, overlay mounts, trusted.* xattrs): run it as root");
        }
    }
}
