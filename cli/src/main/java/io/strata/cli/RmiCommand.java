package io.strata.cli;

import io.strata.client.store.LayoutStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * strata rmi IMAGE...: removes names; their blobs and snapshots go at the next strata gc unless
 * another name or a container uses them. An ID that several names share needs -f, as in docker.
 */
@Command(name = "rmi", mixinStandardHelpOptions = true, description = "Remove images (names) from the local store; strata gc frees their space.")
final class RmiCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "Names, references or IDs from strata images.")
    List<String> references;

    @Option(names = {"-f", "--force"}, description = "Remove every name of an image given by ID, and even images containers use.")
    boolean force;

    @Override
    public Integer call() throws Exception {
        LayoutStore store = options.store();
        List<String> failures = new ArrayList<>();
        for (String reference : references) {
            try {
                for (String name : names(store, reference)) {
                    if (!force) refuseIfUsed(store, name);
                    store.untag(name);
                    if (!options.quiet()) System.out.println("Untagged: " + name);
                    new io.strata.runner.Events(store.root()).emit("image", "untag", name, java.util.Map.of("name", name));
                }
            } catch (IllegalArgumentException | IllegalStateException e) {
                failures.add(e.getMessage());
            }
        }
        for (String f : failures) System.err.println("strata: " + f);
        return failures.isEmpty() ? 0 : 1;
    }

    /** The names to remove: one by name or reference; by ID, all of them (several only with -f). */
    private List<String> names(LayoutStore store, String reference) throws Exception {
        LocalImage image = LocalImage.find(store, reference);
        if (store.resolve(reference).isPresent() || reference.equals(image.name())
                || image.name().equals(LocalImage.normalise(reference))) {
            return List.of(image.name());
        }
        List<String> all = LocalImage.byId(store, reference).stream().map(LayoutStore.Named::name).toList();
        if (all.size() > 1 && !force) {
            throw new IllegalStateException("image " + reference + " has several names " + all + ": name one, or use -f to remove them all");
        }
        return all;
    }

    /** A container made from the image keeps it, as docker refuses to remove an image in use. */
    private static void refuseIfUsed(LayoutStore store, String name) throws Exception {
        for (var c : Containers.store(store).list()) {
            if (name.equals(c.image())) {
                throw new IllegalStateException("image " + name + " is used by container " + c.name() + " (strata rm it first, or rmi -f)");
            }
        }
    }
}
