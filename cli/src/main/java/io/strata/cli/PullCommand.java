package io.strata.cli;

import io.strata.client.Platform;
import io.strata.client.Puller;
import io.strata.oci.Digest;
import io.strata.oci.Reference;
import java.io.PrintStream;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
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
        PrintStream err = System.err;
        Map<Digest, Long> lastShown = new ConcurrentHashMap<>();
        Puller.Events events = new Puller.Events() {
            public void layer(Digest d, String status) {
                if (!options.quiet) err.println(d.encoded().substring(0, 12) + ": " + status);
            }

            public void progress(Digest d, long done, long total) {
                // Plain lines, at most one per 10% of a layer, so logs stay readable.
                if (options.quiet || total <= 0) return;
                long step = done * 10 / total;
                if (lastShown.getOrDefault(d, -1L) < step) {
                    lastShown.put(d, step);
                    err.println(d.encoded().substring(0, 12) + ": Downloading " + done + "/" + total);
                }
            }
        };
        var pulled = new Puller(options.client(ref), options.store(), concurrency, events)
                .pull(ref, platform == null ? Platform.host() : Platform.parse(platform));
        if (options.json()) {
            System.out.println("{\"reference\":\"" + ref + "\",\"digest\":\"" + pulled.manifest().digest() + "\"}");
        } else {
            if (!options.quiet) err.println("Digest: " + pulled.manifest().digest());
            System.out.println(pulled.manifest().digest());
        }
        return 0;
    }
}
