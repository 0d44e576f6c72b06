package io.strata.cli;

import io.strata.client.store.LayoutStore;
import io.strata.runner.ImageArchive;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Images and filesystems in tar files: save, load, export. */
final class ArchiveCommands {
    private ArchiveCommands() {}

    /**
     * Writes to a temporary file beside the target and renames it into place, so a failed or
     * interrupted write leaves no half archive; the file and the rename are on disk before the
     * command says it is done, so a crash after that loses neither.
     */
    interface Writer {
        void write(OutputStream out) throws Exception;
    }

    private static void atomically(Path target, Writer writer) throws Exception {
        // Named as the user wrote it: the temporary file's name is no business of theirs.
        Path parent = target.toAbsolutePath().getParent();
        if (!Files.isDirectory(parent)) throw new IllegalArgumentException(target + ": no such directory " + parent);
        Path temp = target.toAbsolutePath().resolveSibling("." + target.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            // ctrl-C or SIGTERM mid-write: the JVM's exit removes the half archive (once renamed, nothing is there to remove).
            temp.toFile().deleteOnExit();
            OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
            writer.write(out);
            out.flush();
            ch.force(true);
        } catch (Exception e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(temp.getParent(), StandardOpenOption.READ)) {
            dir.force(true); // the rename
        }
    }

    /**
     * The archive to {@code output}, or to stdout without one (as docker save and export write it),
     * unless stdout is a terminal: a tar on a terminal is noise, and docker refuses it too.
     */
    static void toOutput(Path output, Writer writer) throws Exception {
        if (output != null) {
            atomically(output, writer);
            return;
        }
        if (io.strata.snapshots.Native.isTerminal(1)) {
            throw new IllegalArgumentException("refusing to write a tar to a terminal: give -o FILE, or redirect stdout");
        }
        OutputStream out = new BufferedOutputStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), 1 << 16);
        writer.write(out);
        out.flush();
    }

    @Command(name = "save", mixinStandardHelpOptions = true,
            description = "Write images to a tar: an OCI layout (skopeo oci-archive:, podman load) with docker load's manifest.json.")
    static final class Save implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "The tar file to write (default: stdout, when it is not a terminal).")
        Path output;

        @Parameters(paramLabel = "IMAGE", arity = "1..*", description = "Stored images: names, references or IDs.")
        List<String> references;

        @Override
        public Integer call() throws Exception {
            LayoutStore store = options.store();
            List<ImageArchive.Named> images = new ArrayList<>();
            for (String r : references) {
                LocalImage image = LocalImage.find(store, r);
                images.add(new ImageArchive.Named(image.name(), image.manifest()));
            }
            toOutput(output, out -> ImageArchive.save(store, images, out));
            return 0;
        }
    }

    @Command(name = "load", mixinStandardHelpOptions = true, description = "Read images from a tar written by strata save, docker save or an OCI layout tar.")
    static final class Load implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-i", "--input"}, paramLabel = "FILE", description = "The tar file to read (default: stdin, when it is not a terminal).")
        Path input;

        @Override
        public Integer call() throws Exception {
            LayoutStore store = options.store();
            List<String> names;
            if (input == null && io.strata.snapshots.Native.isTerminal(0)) {
                throw new IllegalArgumentException("no tar on stdin, a terminal: give -i FILE, or redirect stdin");
            }
            try (InputStream in = new BufferedInputStream(input != null ? Files.newInputStream(input) : System.in, 1 << 16)) {
                names = ImageArchive.load(store, in);
            }
            for (String n : names) System.out.println("Loaded image: " + n);
            return 0;
        }
    }

    @Command(name = "export", mixinStandardHelpOptions = true, description = "Write a container's filesystem, flattened, to a tar.")
    static final class Export implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "The tar file to write (default: stdout, when it is not a terminal).")
        Path output;

        @Parameters(paramLabel = "CONTAINER", description = "Container name or ID.")
        String name;

        @Override
        public Integer call() throws Exception {
            UnpackOptions.requireRoot("exporting a container");
            LayoutStore store = options.store();
            var c = Containers.store(store).find(name);
            toOutput(output, out -> Containers.runner(store).export(c, out));
            return 0;
        }
    }

    @Command(name = "import", mixinStandardHelpOptions = true, description = "Make an image of one layer from a tarball of a filesystem "
            + "(plain, gzip or zstd; - for stdin), as docker import.")
    static final class Import implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = {"-c", "--change"}, paramLabel = "INSTRUCTION", description = "Apply a Dockerfile instruction: CMD, ENTRYPOINT, ENV, "
                + "WORKDIR, USER, LABEL, EXPOSE, STOPSIGNAL.")
        List<String> changes = new java.util.ArrayList<>();

        @Option(names = {"-m", "--message"}, paramLabel = "MESSAGE", description = "The history entry's comment.")
        String message;

        @Mixin
        UnpackOptions unpackOptions;

        @Parameters(index = "0", paramLabel = "FILE", description = "The tarball, or - for stdin.")
        String file;

        @Parameters(index = "1", arity = "0..1", paramLabel = "REF", description = "The new image's name (default: none, only its digest).")
        String reference;

        @Override
        public Integer call() throws Exception {
            String imageName = reference == null ? null : LocalImage.normalise(reference);
            if (reference != null && imageName == null) throw new IllegalArgumentException("invalid image reference " + reference);
            if (file.equals("-") && io.strata.snapshots.Native.isTerminal(0)) {
                throw new IllegalArgumentException("no tar on stdin, a terminal: give a FILE, or redirect stdin");
            }
            LayoutStore store = options.store();
            io.strata.oci.Descriptor image;
            try (InputStream in = file.equals("-") ? System.in : Files.newInputStream(Path.of(file))) {
                image = io.strata.runner.Importer.importTar(store, in, imageName, message, changes, io.strata.runner.Committer.Compression.GZIP);
            }
            if (io.strata.snapshots.Native.isRoot()) {
                // Unpacked as a pull's layers are, so it runs at once (and a tar that cannot be a layer is refused now).
                try (ProgressDisplay quiet = ProgressDisplay.open(true)) {
                    UnpackCommand.unpack(store, new LocalImage(imageName == null ? image.digest().toString() : imageName, image),
                            unpackOptions.limits(), 1, quiet);
                }
            }
            new io.strata.runner.Events(store.root()).emit("image", "import", image.digest().toString(),
                    java.util.Map.of("name", imageName == null ? "" : imageName));
            System.out.println(image.digest());
            return 0;
        }
    }
}
