package io.strata.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** strata rmi REF: removes a name; its blobs stay until strata gc finds nothing uses them. */
@Command(name = "rmi", mixinStandardHelpOptions = true, description = "Remove an image name from the local store.")
final class RmiCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Parameters(paramLabel = "REF")
    String reference;

    @Override
    public Integer call() throws Exception {
        var store = options.store();
        LocalImage image = LocalImage.find(store, reference);
        store.untag(image.name());
        if (!options.quiet) System.err.println("Untagged: " + image.name());
        return 0;
    }
}
