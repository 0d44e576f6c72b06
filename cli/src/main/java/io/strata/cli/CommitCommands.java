package io.strata.cli;

import io.strata.client.store.LayoutStore;
import io.strata.runner.Committer;
import io.strata.runner.Container;
import io.strata.snapshots.LayerWriter;
import io.strata.snapshots.OverlaySnapshotter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** What a container changed: diff shows it, commit makes it an image. */
final class CommitCommands {
    private CommitCommands() {}

    @Command(name = "diff", mixinStandardHelpOptions = true, description = "Show a container's changes to its image (A added, C changed, D deleted).")
    static final class Diff implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Parameters(paramLabel = "CONTAINER", description = "Container name or ID.")
        String name;

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("reading a container's layer");
            LayoutStore store = options.store();
            Container c = Containers.store(store).find(name);
            OverlaySnapshotter snapshots = UnpackOptions.snapshotter(store);
            var info = snapshots.stat(c.snapshot()).orElseThrow(() -> new IllegalStateException("container " + name + " has no snapshot"));
            List<LayerWriter.Change> changes = LayerWriter.changes(snapshots.layerDir(c.snapshot()),
                    info.parent() == null ? List.of() : snapshots.chain(info.parent()));
            // Mount points the runtime made, and their parents when nothing else changed there, are not changes.
            List<String> mountpoints = Containers.runner(store).mountpoints(c);
            List<String> shown = new ArrayList<>();
            for (LayerWriter.Change ch : changes) {
                if (ch.kind() == 'A' && mountpoints.contains(ch.path())) continue;
                shown.add(ch.kind() + " " + ch.path());
            }
            for (int i = 0; i < shown.size(); i++) {
                String line = shown.get(i);
                String path = line.substring(2);
                boolean holdsChange = i + 1 < shown.size() && shown.get(i + 1).substring(2).startsWith(path + "/");
                boolean heldMountpoint = mountpoints.stream().anyMatch(m -> m.startsWith(path + "/"));
                if (line.startsWith("C ") && heldMountpoint && !holdsChange) continue;
                System.out.println(line);
            }
            return 0;
        }
    }

    @Command(name = "commit", mixinStandardHelpOptions = true, description = "Make a new image from a container's changes (again and again; "
            + "the container is not changed).")
    static final class Commit implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-m", "--message"}, paramLabel = "MESSAGE", description = "The history entry's comment.")
        String message;

        @Option(names = {"-c", "--change"}, paramLabel = "INSTRUCTION", description = "Apply a Dockerfile instruction: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL.")
        List<String> changes = new ArrayList<>();

        @Option(names = "--compress", paramLabel = "gzip|zstd", description = "The new layer's compression (default gzip).")
        String compress = "gzip";

        @Option(names = {"-p", "--pause"}, negatable = true, defaultValue = "true", fallbackValue = "true", arity = "0..1",
                description = "Freeze a running container while its layer is read (default true, as docker).")
        boolean pause = true;

        @Mixin
        UnpackOptions unpackOptions;

        @Parameters(index = "0", paramLabel = "CONTAINER", description = "A container's name or ID (running or not).")
        String name;

        @Parameters(index = "1", arity = "0..1", paramLabel = "REF", description = "The new image's name (default: none, only its digest).")
        String reference;

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("committing a container");
            Committer.Compression compression = Committer.Compression.parse(compress);
            String imageName = reference == null ? null : LocalImage.normalise(reference);
            if (reference != null && imageName == null) throw new IllegalArgumentException("invalid image reference " + reference);
            LayoutStore store = options.store();
            Container c = Containers.store(store).find(name);
            var committed = new Committer(store, UnpackOptions.snapshotter(store), Containers.runner(store))
                    .commit(c, imageName, message, changes, compression, pause);
            // Its new layer unpacked from the stored blob, as a pull would: ready to run.
            try (ProgressDisplay quiet = ProgressDisplay.open(true)) {
                UnpackCommand.unpack(store, new LocalImage(imageName == null ? committed.manifest().digest().toString() : imageName,
                        committed.manifest()), unpackOptions.limits(), 1, quiet);
            }
            new io.strata.runner.Events(store.root()).emit("container", "commit", c.id(), java.util.Map.of("name", c.name(), "image",
                    imageName == null ? committed.manifest().digest().toString() : imageName));
            System.out.println(committed.manifest().digest());
            return 0;
        }
    }
}
