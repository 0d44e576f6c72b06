package io.strata.cli;

import io.strata.client.Puller;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Platform;
import io.strata.runner.Runner;
import io.strata.oci.Reference;
import java.util.ArrayList;
import java.util.List;
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

    @Option(names = "--all-platforms", description = "Of an index: keep it whole, with every platform's image (this host's, or --platform's, unpacked).")
    boolean allPlatforms;

    /** The command line of this pull, for a JVM of its own. */
    static List<String> args(LayoutStore store, RemoteOptions remote, UnpackOptions unpack, boolean quiet, String format,
                             String platform, int concurrency, boolean noUnpack, String reference) {
        List<String> args = new ArrayList<>(List.of("--root", store.root().toString(), "pull",
                "--max-layer-size", Long.toString(unpack.maxLayerSize), "--max-layer-entries", Long.toString(unpack.maxLayerEntries),
                "--concurrency", Integer.toString(concurrency), "--tls-verify=" + remote.tlsVerify()));
        if (remote.insecure()) args.add("--insecure");
        if (quiet) args.add("--quiet");
        if (format != null) args.addAll(List.of("--format", format));
        if (platform != null) args.addAll(List.of("--platform", platform));
        if (noUnpack) args.add("--no-unpack");
        args.add(reference);
        return args;
    }

    /**
     * pull --all-platforms: the index and every image it names copied into the store as they are
     * (an image that is no index is stored as pull stores it), then the image of this platform unpacked.
     */
    private int pullIndex(Reference ref, Platform wanted, String format, LayoutStore store) throws Exception {
        io.strata.client.Copier.Result r;
        try (ProgressDisplay progress = ProgressDisplay.open(options.quiet())) {
            var client = remote.client(ref.registry(), progress::retry);
            r = new io.strata.client.Copier(progress).copy(new io.strata.client.Copier.Registry(client, ref),
                    new io.strata.client.Copier.Layout(store, Puller.nameOf(ref)), new io.strata.client.Copier.Options(wanted, platform != null, true,
                            concurrency, 64L << 20));
            if (!noUnpack) {
                Runner.Image image = Containers.image(store, new LocalImage(Puller.nameOf(ref), r.manifest()), wanted);
                UnpackCommand.unpack(store, new LocalImage(Puller.nameOf(ref), new io.strata.oci.Descriptor(io.strata.oci.MediaType.OCI_MANIFEST,
                        image.manifest(), store.read(image.manifest()).length)), unpackOptions.limits(), concurrency, progress);
            }
        }
        if (!options.quiet() && format == null) System.err.println("Digest: " + r.manifest().digest());
        Output.one(format, Output.fields("reference", ref.toString(), "digest", r.manifest().digest().toString(), "name", Puller.nameOf(ref)),
                r.manifest().digest().toString());
        return 0;
    }

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
        if (allPlatforms) return pullIndex(ref, wanted, format, store);
        Optional<Puller.Unpack> unpack = noUnpack ? Optional.empty()
                : Optional.of(new Puller.Unpack(UnpackOptions.snapshotter(store), unpackOptions.limits()));
        Puller.Pulled pulled;
        try (ProgressDisplay progress = ProgressDisplay.open(options.quiet());
             Interrupted ignored = Interrupted.report(store)) {
            Puller puller = new Puller(remote.client(ref.registry(), progress::retry), store, concurrency, progress, unpack);
            // Started for a quick check (the launcher's quick compiler): a pull that finds much work goes to a JVM made for it.
            if (QuickJit.active()) puller.beforeWork(QuickJit.HandOff::ifLarge);
            pulled = puller.pull(ref, wanted, platform != null);
        } catch (QuickJit.HandOff handOff) {
            QuickJit.runWithOptimisingCompiler(args(store, remote, unpackOptions, options.quiet(), format, platform, concurrency,
                    noUnpack, reference), false);
            return 0;
        }
        if (!options.quiet() && format == null) System.err.println("Digest: " + pulled.manifest().digest());
        new io.strata.runner.Events(store.root()).emit("image", "pull", Puller.nameOf(ref), java.util.Map.of("name", Puller.nameOf(ref),
                "digest", pulled.manifest().digest().toString()));
        Output.one(format, Output.fields("reference", ref.toString(),
                "digest", pulled.manifest().digest().toString(), "name", Puller.nameOf(ref)), pulled.manifest().digest().toString());
        return 0;
    }
}
