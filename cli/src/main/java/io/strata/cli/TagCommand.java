package io.strata.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** strata tag SRC DST: gives a stored image another name. */
@Command(name = "tag", mixinStandardHelpOptions = true, description = "Name a stored image.")
final class TagCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Parameters(index = "0", paramLabel = "SRC", description = "A stored image: name, reference or ID.")
    String source;

    @Parameters(index = "1", paramLabel = "DST", description = "The new name, e.g. registry.example.com/team/app:v2.")
    String target;

    @Override
    public Integer call() throws Exception {
        var store = options.store();
        LocalImage image = LocalImage.find(store, source);
        String name = LocalImage.normalise(target);
        if (name == null) throw new IllegalArgumentException("invalid image reference " + target);
        store.tag(name, image.manifest());
        new io.strata.runner.Events(store.root()).emit("image", "tag", image.manifest().digest().toString(), java.util.Map.of("name", name));
        return 0;
    }
}
