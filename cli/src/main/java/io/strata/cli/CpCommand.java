package io.strata.cli;

import io.strata.client.store.LayoutStore;
import io.strata.runner.Container;
import io.strata.runner.Runner;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * strata cp, as docker cp: {@code CONTAINER:SRC DEST}, {@code SRC CONTAINER:DEST}, {@code -} for a tar
 * stream on either side. The container's side is read and written by the runner (its root confined,
 * its processes frozen); the host's side by GNU tar, which never writes through a symlink an archive
 * made. Files copied in belong to root unless -a keeps their owners; files copied out belong to whoever
 * copies them unless -a.
 */
@Command(name = "cp", mixinStandardHelpOptions = true, description = "Copy files between a container and the host: CONTAINER:SRC DEST, "
        + "SRC CONTAINER:DEST (- for a tar on stdin or stdout).")
final class CpCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Option(names = {"-a", "--archive"}, description = "Keep owners (uid and gid) as they are.")
    boolean archive;

    @Parameters(index = "0", paramLabel = "SRC", description = "CONTAINER:PATH, a host path, or - (a tar on stdin).")
    String source;

    @Parameters(index = "1", paramLabel = "DEST", description = "CONTAINER:PATH, a host path, or - (a tar to stdout).")
    String destination;

    /** CONTAINER:PATH as docker reads it: a name before a colon that comes before any slash. */
    private static String[] containerPath(String arg) {
        int colon = arg.indexOf(':');
        if (colon <= 0 || arg.substring(0, colon).contains("/")) return null;
        return new String[] {arg.substring(0, colon), arg.substring(colon + 1)};
    }

    @Override
    public Integer call() throws Exception {
        UnpackOptions.requireRoot("copying files of a container");
        String[] from = containerPath(source), to = containerPath(destination);
        if ((from == null) == (to == null)) throw new IllegalArgumentException("one of SRC and DEST must be CONTAINER:PATH, the other a host path or -");
        LayoutStore store = options.store();
        Runner runner = Containers.runner(store);
        if (from != null) return copyOut(runner, Containers.store(store).find(from[0]), from[1]);
        return copyIn(runner, Containers.store(store).find(to[0]), to[1]);
    }

    private int copyOut(Runner runner, Container c, String path) throws Exception {
        boolean contents = path.endsWith("/.");
        String src = contents ? path.substring(0, path.length() - 2) : path;
        String base = Path.of("/").resolve(src).normalize().getFileName() == null ? "" : Path.of("/").resolve(src).normalize().getFileName().toString();
        if (destination.equals("-")) {
            if (io.strata.snapshots.Native.isTerminal(1)) throw new IllegalArgumentException("cp to - writes a tar: send it to a file or a pipe");
            runner.copyOut(c, src, contents ? "" : base, System.out);
            System.out.flush();
            return 0;
        }
        Path dest = Path.of(destination).toAbsolutePath();
        Path into;
        String name;
        if (contents) {
            Files.createDirectories(dest);
            into = dest;
            name = "";
        } else if (Files.isDirectory(dest)) {
            into = dest;
            name = base;
        } else {
            if (dest.getParent() == null || !Files.isDirectory(dest.getParent())) {
                throw new IllegalArgumentException("the directory of " + destination + " does not exist");
            }
            if (Files.exists(dest) && Boolean.TRUE.equals(runner.isDirectoryIn(c, src))) {
                throw new IllegalArgumentException("cannot copy the directory " + path + " onto the file " + destination);
            }
            into = dest.getParent();
            name = dest.getFileName().toString();
        }
        List<String> cmd = new ArrayList<>(List.of("tar", "-x", "-f", "-", "-C", into.toString()));
        if (!archive) cmd.add("--no-same-owner");
        Process tar = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (var in = tar.getOutputStream()) {
            runner.copyOut(c, src, name, in);
        }
        String err = new String(tar.getErrorStream().readAllBytes()).strip();
        if (tar.waitFor() != 0) throw new IllegalStateException("tar could not write into " + into + ": " + err);
        return 0;
    }

    /** {@code text} as a basic regular expression that matches it literally (tar's --transform is sed's). */
    private static String sed(String text) {
        return text.replaceAll("([.\\[\\]*^$\\\\])", "\\\\$1");
    }

    private int copyIn(Runner runner, Container c, String path) throws Exception {
        if (source.equals("-")) {
            if (!Boolean.TRUE.equals(runner.isDirectoryIn(c, path))) throw new IllegalArgumentException("cp - needs a directory in the container, was " + path);
            runner.copyIn(c, System.in, path);
            return 0;
        }
        boolean contents = source.endsWith("/.");
        Path src = Path.of(contents ? source.substring(0, source.length() - 2) : source).toAbsolutePath().normalize();
        if (!Files.exists(src, java.nio.file.LinkOption.NOFOLLOW_LINKS)) throw new IllegalArgumentException("no such file or directory: " + source);
        Boolean dir = runner.isDirectoryIn(c, path);
        String clean = Path.of("/").resolve(path).normalize().toString();
        if (path.endsWith("/") && !Boolean.TRUE.equals(dir)) throw new IllegalArgumentException("no directory " + path + " in container " + c.name());
        String into;
        String name;
        if (contents || Boolean.TRUE.equals(dir)) {
            into = clean;
            name = contents ? null : src.getFileName().toString();
        } else {
            into = clean.substring(0, clean.lastIndexOf('/'));
            if (into.isEmpty()) into = "/";
            if (!Boolean.TRUE.equals(runner.isDirectoryIn(c, into))) throw new IllegalArgumentException("no directory " + into + " in container " + c.name());
            if (Boolean.FALSE.equals(dir) && Files.isDirectory(src)) throw new IllegalArgumentException("cannot copy a directory onto the file " + path);
            name = clean.substring(clean.lastIndexOf('/') + 1);
        }
        List<String> cmd = new ArrayList<>(List.of("tar", "-c", "-f", "-", "--numeric-owner"));
        if (!archive) cmd.addAll(List.of("--owner=0", "--group=0"));
        if (contents) {
            cmd.addAll(List.of("-C", src.toString(), "."));
        } else {
            Path parent = src.getParent() == null ? Path.of("/") : src.getParent();
            String base = src.getFileName().toString();
            // The top entry (and what is below it) renamed to the destination's name.
            if (!base.equals(name)) {
                // Delimited by \u0001, which no name holds: the top entry, and the paths below it.
                String to = name.replace("\\", "\\\\").replace("&", "\\&");
                cmd.add("--transform=s\u0001^" + sed(base) + "$\u0001" + to + "\u0001rh"); // not symlinks' targets
                cmd.add("--transform=s\u0001^" + sed(base) + "/\u0001" + to + "/\u0001rh");
            }
            cmd.addAll(List.of("-C", parent.toString(), base));
        }
        Process tar = new ProcessBuilder(cmd).start();
        try (InputStream in = tar.getInputStream()) {
            runner.copyIn(c, in, into);
        }
        String err = new String(tar.getErrorStream().readAllBytes()).strip();
        if (tar.waitFor() != 0) throw new IllegalStateException("tar could not read " + source + ": " + err);
        return 0;
    }
}
