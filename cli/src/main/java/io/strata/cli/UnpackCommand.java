package io.strata.cli;

import io.strata.client.Unpacker;
import io.strata.client.store.Leases;
import io.strata.client.store.LayoutStore;
import io.strata.oci.ImageConfig;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** strata unpack REF: unpacks an image already in the store (pulled with --no-unpack, or whose snapshots gc removed). */
@Command(name = "unpack", mixinStandardHelpOptions = true, description = "Unpack a stored image's layers into snapshots.")
final class UnpackCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Mixin
    UnpackOptions unpackOptions;

    @Parameters(paramLabel = "REF", description = "A name from strata images, or an image reference.")
    String reference;

    @Option(names = "--concurrency", paramLabel = "N", description = "Layers unpacked at once (default 4).")
    int concurrency = 4;

    /** Unpacks a stored image's layers that have no snapshot yet, under a lease. */
    static Unpacker.Result unpack(LayoutStore store, LocalImage image, io.strata.snapshots.Applier.Limits limits, int concurrency,
                                  ProgressDisplay progress) throws java.io.IOException {
        Manifest manifest = Manifest.parse(store.read(image.manifest().digest()));
        try (Interrupted ignored = Interrupted.report(store);
             Leases.Lease lease = store.leases().acquire("unpack " + image.name())) {
            lease.add(manifest.blobs().stream().map(d -> d.digest()).toList(), List.of());
            for (var d : manifest.blobs()) {
                if (!store.has(d.digest())) throw new IllegalStateException("blob " + d.digest() + " of " + image.name() + " is not in the store: pull the image again");
            }
            ImageConfig config = ImageConfig.parse(store.read(manifest.config().digest()));
            return new Unpacker(UnpackOptions.snapshotter(store), limits, concurrency, progress)
                    .unpack(manifest, config, layer -> Files.newInputStream(store.blobPath(layer.digest())), lease);
        }
    }

    @Override
    public Integer call() throws Exception {
        UnpackOptions.requireRoot("unpacking");
        String format = options.format();
        LayoutStore store = options.store();
        LocalImage image = LocalImage.find(store, reference);
        if (MediaType.INDEXES.contains(image.manifest().mediaType())) {
            throw new IllegalArgumentException(image.name() + " is an index: unpack one of its platforms' images");
        }
        Unpacker.Result result;
        try (ProgressDisplay progress = ProgressDisplay.open(options.quiet())) {
            result = unpack(store, image, unpackOptions.limits(), concurrency, progress);
        }
        if (!options.quiet()) {
            Output.one(format, Output.fields("unpacked", result.unpacked(), "existing", result.existing()),
                    "unpacked " + result.unpacked() + " layers, " + result.existing() + " already unpacked");
        }
        return 0;
    }
}
