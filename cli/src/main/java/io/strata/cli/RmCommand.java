package io.strata.cli;

import io.strata.runner.ContainerStore;
import io.strata.runner.Runner;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** strata rm CONTAINER...: removes containers with everything they made (snapshot, mounts, runtime state). */
@Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove containers.")
final class RmCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Option(names = {"-f", "--force"}, description = "Kill and remove a running container.")
    boolean force;

    @Option(names = {"-v", "--volumes"}, description = "Also remove the anonymous volumes made for the image's VOLUME paths.")
    boolean volumes;

    @Parameters(paramLabel = "CONTAINER", arity = "1..*", description = "Container names or IDs (prefixes too).")
    List<String> names;

    @Override
    public Integer call() throws Exception {
        UnpackOptions.requireRoot("removing a container");
        var store = options.store();
        ContainerStore containers = Containers.store(store);
        Runner runner = Containers.runner(store);
        for (String n : names) {
            var c = containers.find(n);
            var uses = runner.volumeUses(c);
            runner.remove(c, force);
            if (volumes) runner.removeAnonymousVolumes(uses);
            if (!options.quiet()) System.out.println(c.name());
        }
        return 0;
    }
}
