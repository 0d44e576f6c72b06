package io.strata.cli;

import io.strata.client.Puller;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Platform;
import io.strata.oci.Reference;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** strata pull REF: fetches an image into the local store, unpacks it into snapshots and prints its manifest digest. */
@Command(name = "pull", mixinStandardHelpOptions = true,
        description = "Pull an image into the local store and unpack its layers into snapshots.")
final class PullCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Mixin
    RemoteOptions remote;

    @Mixin
    UnpackOptions unpackOptions;

    @Parameters(paramLabel = "REF", description = "Image reference, e.g. alpine:3.19 or 127.0.0.1:5000/lib/app:v1")
    String reference;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "Platform to pick from an index (default: this host's).")
    String platform;

    @Option(names = "--concurrency", paramLabel = "N", description = "Layers downloaded at once (default 4).")
    int concurrency = 4;

    @Option(names = "--no-unpack", description = "Only store the blobs; do not unpack layers into snapshots (no root needed).")
    boolean noUnpack;

    @Override
    public Integer call() throws Exception {
        String format = options.format();
        Reference ref = Reference.parse(reference);
        Platform wanted = platform == null ? Platform.host() : Platform.parse(platform);
        if (!noUnpack) {
            try {
                UnpackOptions.requireRoot("unpacking");
            } catch (IllegalStateException e) {
                throw new IllegalStateException(e.getMessage() + ", or pull with --no-unpack");
            }
        }
        LayoutStore store = options.store();
        Optional<Puller.Unpack> unpack = noUnpack ? Optional.empty()
                : Optional.of(new Puller.Unpack(UnpackOptions.snapshotter(store), unpackOptions.limits()));
        Puller.Pulled pulled;
        try (ProgressDisplay progress = ProgressDisplay.open(options.quiet());
             Interrupted ignored = Interrupted.report(store)) {
            pulled = new Puller(remote.client(ref.registry(), progress::retry), store, concurrency, progress, unpack)
                    .pull(ref, wanted, platform != null);
        }
        if (!options.quiet() && format == null) System.err.println("Digest: " + pulled.manifest().digest());
        Output.one(format, Output.fields("reference", ref.toString(),
                "digest", pulled.manifest().digest().toString(), "name", Puller.nameOf(ref)), pulled.manifest().digest().toString());
        return 0;
    }
}
