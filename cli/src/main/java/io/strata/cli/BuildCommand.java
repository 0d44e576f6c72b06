package io.strata.cli;

import io.strata.builder.Build;
import io.strata.builder.IgnorePatterns;
import io.strata.client.store.LayoutStore;
import io.strata.runner.Committer;
import io.strata.runner.RunSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** strata build: a Containerfile (or Dockerfile) and its context become an image, a layer per RUN and COPY, with a cache. */
@Command(name = "build", mixinStandardHelpOptions = true, description = "Build an image from a Containerfile: a layer per RUN, COPY and ADD, "
        + "cached between builds.")
final class BuildCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Mixin
    RemoteOptions remote;

    @Mixin
    UnpackOptions unpackOptions;

    @Option(names = {"-t", "--tag"}, paramLabel = "NAME", description = "Name the image (again for more names).")
    List<String> tags = new ArrayList<>();

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "The Containerfile (default: CONTEXT/Containerfile, else CONTEXT/Dockerfile; "
            + "- reads it from stdin).")
    String file;

    @Option(names = "--build-arg", paramLabel = "KEY=VALUE", description = "A value for an ARG (KEY alone: this environment's value).")
    List<String> buildArgs = new ArrayList<>();

    @Option(names = "--target", paramLabel = "STAGE", description = "Build this stage (and what it needs) and stop.")
    String target;

    @Option(names = "--no-cache", description = "Run every step, using no cached one (the results are cached for later builds).")
    boolean noCache;

    @Option(names = "--pull", paramLabel = "POLICY", arity = "0..1", preprocessor = PullPolicy.class, description = "When to pull FROM's images: "
            + "missing (default: those not stored), always (--pull alone: every time, for the newest), never.")
    String pull = "missing";

    /** --pull alone is always; the argument after it is the context, unless it is a policy (podman's --pull always reads so too). */
    static final class PullPolicy implements picocli.CommandLine.IParameterPreprocessor {
        @Override
        public boolean preprocess(java.util.Stack<String> args, picocli.CommandLine.Model.CommandSpec spec, picocli.CommandLine.Model.ArgSpec arg,
                                  Map<String, Object> info) {
            if ("=".equals(info.get("separator"))) return false; // --pull=POLICY: picocli takes it as it is
            String value = args.isEmpty() || !List.of("missing", "always", "never").contains(args.peek()) ? "always" : args.pop();
            arg.setValue(value);
            return true;
        }
    }

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "The platform to build for: FROM images are picked "
            + "from their indexes for it, TARGETPLATFORM and the other platform ARGs say it (default: this host's).")
    String platform;

    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label on the image.")
    List<String> labels = new ArrayList<>();

    @Option(names = "--network", paramLabel = "bridge|none|host|NAME", description = "The network of RUN steps (default bridge).")
    String network = "bridge";

    @Option(names = "--secret", paramLabel = "id=ID,src=FILE", description = "A secret RUN --mount=type=secret,id=ID reads (at /run/secrets/ID); "
            + "never in the image or its cache keys.")
    List<String> secrets = new ArrayList<>();

    @Option(names = "--ssh", paramLabel = "default|ID[=SOCKET|KEY[,KEY]]", description = "An SSH agent RUN --mount=type=ssh,id=ID reaches: "
            + "default is SSH_AUTH_SOCK's; key files are loaded into an ssh-agent of the build's own.")
    List<String> ssh = new ArrayList<>();

    @Option(names = "--push", description = "Push the image to each -t name's registry once built.")
    boolean push;

    @Option(names = {"-o", "--output"}, paramLabel = "type=oci,dest=FILE", description = "Also write the image to FILE as strata save does "
            + "(an OCI archive with docker load's manifest.json; type=docker is the same).")
    String output;

    @Option(names = "--iidfile", paramLabel = "FILE", description = "Write the image's ID (its manifest digest) to FILE.")
    Path iidfile;

    @Option(names = "--compress", paramLabel = "gzip|zstd", description = "The new layers' compression (default gzip).")
    String compress = "gzip";

    @Parameters(paramLabel = "CONTEXT", description = "The build context: a directory, or - for a tar of one on stdin (plain, gzip or zstd), "
            + "or a Containerfile alone on stdin.")
    String context;

    @Override
    public Integer call() throws Exception {
        UnpackOptions.requireRoot("building an image");
        if (!context.equals("-")) return build(Path.of(context), null);
        if (io.strata.snapshots.Native.isTerminal(0)) throw new IllegalArgumentException("no context on stdin, a terminal: give a directory, or redirect stdin");
        // A context on stdin is unpacked into a directory of the store's, checked as any tar from outside, and removed after.
        LayoutStore store = options.store();
        Files.createDirectories(store.root());
        Path dir = Files.createTempDirectory(store.root(), "build-context-");
        try {
            java.io.InputStream in = new java.io.BufferedInputStream(io.strata.snapshots.Compression.decompressAny(System.in), 1 << 16);
            in.mark(512);
            byte[] head = in.readNBytes(512);
            in.reset();
            boolean tar = head.length == 512 && new String(head, 257, 5, java.nio.charset.StandardCharsets.US_ASCII).equals("ustar");
            if (tar) {
                io.strata.snapshots.Applier.applyFiles(in, dir, unpackOptions.limits());
                if (file != null && !file.equals("-") && !Path.of(file).isAbsolute()) file = dir.resolve(file).toString(); // -f names a file of the tar
                return build(dir, null);
            }
            // Not a tar: a Containerfile alone, and an empty context (docker build - < Dockerfile).
            return build(dir, new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
        } finally {
            io.strata.snapshots.OverlaySnapshotter.deleteTree(dir);
        }
    }

    /** Builds from the context directory {@code contextDir}; {@code given}: the Containerfile's text when it came on stdin. */
    private int build(Path contextDir, String given) throws Exception {
        if (!Files.isDirectory(contextDir)) throw new IllegalArgumentException("the build context " + contextDir + " is not a directory");
        Path dir = contextDir.toAbsolutePath().normalize();
        String name;
        String text;
        if (given != null) {
            if (file != null) throw new IllegalArgumentException("-f with a Containerfile on stdin: give one or the other");
            name = "stdin";
            text = given;
        } else if ("-".equals(file)) {
            name = "stdin";
            text = new String(System.in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } else {
            Path f = file != null ? Path.of(file) : Files.exists(dir.resolve("Containerfile")) ? dir.resolve("Containerfile") : dir.resolve("Dockerfile");
            if (!Files.isRegularFile(f)) {
                throw new IllegalArgumentException(file != null ? "no Containerfile " + file : "no Containerfile or Dockerfile in " + context + ": give one with -f");
            }
            name = f.getFileName().toString();
            text = Files.readString(f);
        }
        Path ignoreFile = Files.exists(dir.resolve(".containerignore")) ? dir.resolve(".containerignore") : dir.resolve(".dockerignore");
        IgnorePatterns ignore = Files.isRegularFile(ignoreFile) ? IgnorePatterns.parse(Files.readString(ignoreFile)) : IgnorePatterns.none();
        List<String> names = new ArrayList<>();
        for (String t : tags) {
            String n = LocalImage.normalise(t);
            if (n == null) throw new IllegalArgumentException("invalid image name " + t);
            names.add(n);
        }
        Committer.Compression compression = Committer.Compression.parse(compress);
        RunSpec.Network net = switch (network) {
            case "none" -> RunSpec.Network.NONE;
            case "host" -> RunSpec.Network.HOST;
            default -> RunSpec.Network.BRIDGE;
        };
        if (!List.of("missing", "always", "never").contains(pull)) throw new IllegalArgumentException("--pull is missing, always or never, was " + pull);
        if (push && names.isEmpty()) throw new IllegalArgumentException("--push needs a name to push to: give -t REGISTRY/REPOSITORY:TAG");
        Path outputFile = outputFile(output);
        LayoutStore store = options.store();
        Build build = new Build(store, UnpackOptions.snapshotter(store), Containers.runner(store),
                (ref, p) -> ContainerOptions.findOrPull(options, remote, unpackOptions, store, ref, p == null ? null : p.toString(), pull),
                unpackOptions.limits());
        io.strata.oci.Platform asked = platform == null ? null : io.strata.oci.Platform.parse(platform);
        // Progress on stderr, the image's ID on stdout (with -q, only that).
        java.io.PrintStream log = options.quiet() ? new java.io.PrintStream(java.io.OutputStream.nullOutputStream()) : System.err;
        Map<String, String> arguments = args(buildArgs);
        io.strata.oci.Descriptor image;
        // What RUN steps print is progress too: on stderr, and nowhere with -q; stdout is the image's ID alone.
        java.io.PrintStream stdout = System.out;
        java.io.PrintStream stderr = System.err;
        System.setOut(options.quiet() ? log : stderr);
        if (options.quiet()) System.setErr(log);
        try (io.strata.builder.SshAgents agents = io.strata.builder.SshAgents.open(ssh)) {
            var request = new Build.Request(dir, name, text, ignore, names, arguments, target, asked, noCache, net,
                    net == RunSpec.Network.BRIDGE ? network : null, compression, pairs(labels), sourceDateEpoch(arguments), secrets(secrets), agents, log);
            image = build.build(request);
        } catch (Build.BuildFailure failed) {
            stderr.println("strata: " + failed.getMessage());
            return failed.exitCode();
        } finally {
            System.setOut(stdout);
            System.setErr(stderr);
        }
        if (iidfile != null) Files.writeString(iidfile, image.digest().toString());
        if (outputFile != null) {
            List<io.strata.runner.ImageArchive.Named> images = new ArrayList<>();
            for (String n : names.isEmpty() ? List.of(image.digest().toString()) : names) images.add(new io.strata.runner.ImageArchive.Named(n, image));
            ArchiveCommands.toOutput(outputFile, out -> io.strata.runner.ImageArchive.save(store, images, out));
        }
        if (push) {
            for (String n : names) {
                PushCommand.push(options, remote, store, new LocalImage(n, image), io.strata.oci.Reference.parse(n), 4, 64L * 1024 * 1024);
            }
        }
        System.out.println(image.digest());
        return 0;
    }

    /**
     * SOURCE_DATE_EPOCH from --build-arg or the environment (as BuildKit and buildah take it): the
     * seconds every time in the image is clamped to, so that builds on different days are the same image.
     */
    private static Long sourceDateEpoch(Map<String, String> arguments) {
        String v = arguments.getOrDefault("SOURCE_DATE_EPOCH", System.getenv("SOURCE_DATE_EPOCH"));
        if (v == null || v.isEmpty()) return null;
        try {
            long epoch = Long.parseLong(v);
            if (epoch < 0) throw new NumberFormatException();
            return epoch;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("SOURCE_DATE_EPOCH is seconds since 1970, was " + v);
        }
    }

    /** --output type=oci,dest=FILE (or type=docker, or FILE alone): where the image's archive goes, checked before the build. */
    private static Path outputFile(String given) {
        if (given == null) return null;
        if (!given.contains("=")) return Path.of(given);
        Map<String, String> o = new LinkedHashMap<>();
        for (String part : given.split(",")) {
            int eq = part.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--output is type=oci,dest=FILE, was " + given);
            o.put(part.substring(0, eq), part.substring(eq + 1));
        }
        String type = o.getOrDefault("type", "oci");
        if (!type.equals("oci") && !type.equals("docker")) throw new IllegalArgumentException("--output type=" + type + " is not built: type=oci or type=docker");
        if (!o.containsKey("dest")) throw new IllegalArgumentException("--output needs dest=FILE");
        return Path.of(o.get("dest"));
    }

    /** --secret id=ID,src=FILE (also source=; type=env,env=VAR is not taken), each file checked now. */
    private static Map<String, Path> secrets(List<String> given) {
        Map<String, Path> out = new LinkedHashMap<>();
        for (String g : given) {
            Map<String, String> o = new LinkedHashMap<>();
            for (String part : g.split(",")) {
                int eq = part.indexOf('=');
                if (eq <= 0) throw new IllegalArgumentException("--secret is id=ID,src=FILE, was " + g);
                o.put(part.substring(0, eq), part.substring(eq + 1));
            }
            String id = o.get("id");
            String src = o.getOrDefault("src", o.get("source"));
            if (id == null || src == null) throw new IllegalArgumentException("--secret is id=ID,src=FILE, was " + g);
            Path file = Path.of(src);
            if (!Files.isRegularFile(file)) throw new IllegalArgumentException("--secret " + id + ": no file " + src);
            out.put(id, file);
        }
        return out;
    }

    /** --build-arg KEY=VALUE, or KEY alone for this environment's value (left out when unset, as docker). */
    private static Map<String, String> args(List<String> given) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String a : given) {
            int eq = a.indexOf('=');
            if (eq == 0) throw new IllegalArgumentException("--build-arg is KEY=VALUE, was " + a);
            if (eq > 0) out.put(a.substring(0, eq), a.substring(eq + 1));
            else if (System.getenv(a) != null) out.put(a, System.getenv(a));
        }
        return out;
    }

    private static Map<String, String> pairs(List<String> given) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String l : given) {
            int eq = l.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--label is KEY=VALUE, was " + l);
            out.put(l.substring(0, eq), l.substring(eq + 1));
        }
        return out;
    }
}
