package io.strata.cli;

import io.strata.client.Platform;
import io.strata.client.Puller;
import io.strata.oci.Reference;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** strata pull REF: fetches an image into the local store and prints its manifest digest. */
@Command(name = "pull", mixinStandardHelpOptions = true, description = "Pull an image into the local store.")
final class PullCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Parameters(paramLabel = "REF", description = "Image reference, e.g. alpine:3.19 or 127.0.0.1:5000/lib/app:v1")
    String reference;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "Platform to pick from an index (default: this host's).")
    String platform;

    @Option(names = "--concurrency", paramLabel = "N", description = "Layers downloaded at once (default 4).")
    int concurrency = 4;

    @Override
    public Integer call() throws Exception {
        Reference ref = Reference.parse(reference);
        Puller.Pulled pulled;
        try (ProgressDisplay progress = ProgressDisplay.open(options.quiet)) {
            pulled = new Puller(options.client(ref), options.store(), concurrency, progress)
                    .pull(ref, platform == null ? Platform.host() : Platform.parse(platform));
        }
        if (options.json()) {
            System.out.println("{\"reference\":\"" + ref + "\",\"digest\":\"" + pulled.manifest().digest() + "\"}");
        } else {
            if (!options.quiet) System.err.println("Digest: " + pulled.manifest().digest());
            System.out.println(pulled.manifest().digest());
        }
        return 0;
    }
}
