package io.strata.cli;

import io.strata.client.GarbageCollector;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** strata gc: removes blobs that no image in the store references. */
@Command(name = "gc", mixinStandardHelpOptions = true, description = "Remove blobs no stored image uses.")
final class GcCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Option(names = "--grace", paramLabel = "MINUTES", description = "Keep blobs younger than this, for pulls in progress (default 60).")
    long graceMinutes = 60;

    @Override
    public Integer call() throws Exception {
        var result = GarbageCollector.collect(options.store(), Duration.ofMinutes(graceMinutes));
        if (options.json()) {
            System.out.println("{\"removed\":" + result.removed() + ",\"bytes\":" + result.bytes() + "}");
        } else {
            System.out.println("removed " + result.removed() + " blobs, " + result.bytes() + " bytes");
        }
        return 0;
    }
}
