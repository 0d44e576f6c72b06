package io.strata.cli;

import io.strata.client.store.LayoutStore;
import io.strata.runner.Container;
import io.strata.runner.Runner;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * strata run REF [CMD...]: a container of the image; in the foreground its exit code is strata's.
 * So that a failure of strata's own (an image not found, a wrong option, a name in use) is not taken
 * for the command's, it exits 125 then, as docker and podman do (126 and 127: the command could not
 * run, see Runner).
 */
@Command(name = "run", mixinStandardHelpOptions = true, description = "Run a command in a new container.",
        exitCodeOnInvalidInput = 125, exitCodeOnExecutionException = 125)
final class RunCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Mixin
    ContainerOptions container;

    @Mixin
    RemoteOptions remote;

    @Option(names = "--rm", description = "Remove the container when it exits.")
    boolean rm;

    @Option(names = {"-d", "--detach"}, description = "Run in the background and print the container's id; its output goes to its log "
            + "(strata logs), strata attach joins it.")
    boolean detach;

    @Mixin
    AttachFlags attach;

    @Override
    public Integer call() throws Exception {
        UnpackOptions.requireRoot("running a container");
        io.strata.runner.AttachOptions attachOptions = attach.options();
        if (!io.strata.runner.RestartPolicy.parse(container.restart).equals(io.strata.runner.RestartPolicy.NO)) {
            if (rm) throw new IllegalArgumentException("conflicting options: --restart and --rm");
            if (!detach) throw new IllegalArgumentException("--restart is for detached containers: run -d");
        }
        LayoutStore store = options.store();
        Runner runner = Containers.runner(store);
        Container c = container.create(options, remote, store);
        if (detach) {
            runner.startDetached(c, Containers.cleanupCommand(store), rm);
            System.out.println(c.id());
            return 0;
        }
        if (rm) c = runner.removeWhenDone(c);
        try {
            return runner.runForeground(c, container.interactive, attachOptions, Containers.cleanupCommand(store));
        } finally {
            // A run that failed before its container started leaves nothing with --rm either.
            if (rm && Containers.store(store).get(c.id()).map(x -> x.status() != Container.Status.RUNNING).orElse(false)) runner.remove(c, true);
        }
    }
}
