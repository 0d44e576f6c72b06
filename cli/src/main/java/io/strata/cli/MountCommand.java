package io.strata.cli;

import io.strata.client.store.LayoutStore;
import io.strata.oci.Digest;
import io.strata.snapshots.Mount;
import io.strata.snapshots.OverlaySnapshotter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** strata mount REF DIR: the image's filesystem, read-only, at DIR (as podman image mount). */
@Command(name = "mount", mixinStandardHelpOptions = true, description = "Mount a stored image's filesystem read-only at a directory.")
final class MountCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Parameters(index = "0", paramLabel = "REF", description = "A name from strata images, or an image reference.")
    String reference;

    @Parameters(index = "1", paramLabel = "DIR", description = "An existing directory to mount on.")
    Path dir;

    @Override
    public Integer call() throws Exception {
        UnpackOptions.requireRoot("mounting");
        LayoutStore store = options.store();
        LocalImage image = LocalImage.find(store, reference);
        if (!Files.isDirectory(dir)) throw new IllegalArgumentException(dir + " is not a directory");
        List<Digest> chain = Containers.image(store, image).chainIds();
        if (chain.isEmpty()) throw new IllegalArgumentException(image.name() + " has no layers to mount");
        OverlaySnapshotter snapshotter = UnpackOptions.snapshotter(store);
        String top = chain.getLast().toString();
        if (snapshotter.stat(top).isEmpty()) {
            throw new IllegalStateException(image.name() + " is not unpacked: strata unpack " + image.name());
        }
        snapshotter.readOnlyMount(top).mount(dir.toAbsolutePath());
        if (!options.quiet()) System.out.println(dir.toAbsolutePath());
        return 0;
    }

    /** strata umount DIR: undoes strata mount. */
    @Command(name = "umount", mixinStandardHelpOptions = true, description = "Unmount what strata mount mounted at a directory.")
    static final class Umount implements Callable<Integer> {
        @Parameters(paramLabel = "DIR", description = "The mount point strata mount used.")
        Path dir;

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("unmounting");
            // Said in words: umount2's EINVAL reads as "Invalid argument (errno 22)".
            if (!Mount.isMountPoint(dir.toAbsolutePath())) throw new IllegalArgumentException(dir + " is not mounted");
            Mount.unmount(dir.toAbsolutePath());
            return 0;
        }
    }
}
