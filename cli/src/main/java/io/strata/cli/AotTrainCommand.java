package io.strata.cli;

import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.ImageConfig;
import io.strata.oci.Index;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import io.strata.oci.Platform;
import io.strata.oci.Reference;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * The training runs of the launcher's AOT caches (not for users). A JVM started from a cache maps
 * and links every class the cache holds before {@code main}, and on a machine whose page faults are
 * slow that costs in proportion to the cache's size (about 13 us a page on the EPYC machine: 38 MB
 * took some 9,400 faults of a command's 11,000): so the verbs a user waits on most have caches of
 * their own, each trained on that verb's work alone ({@link Group}), and the rest share one trained
 * on all of it. Each runs the verbs as a user does, on a store of its own and pulling from a
 * {@link TrainingRegistry} on loopback, without touching the network or the user's store.
 */
@Command(name = "aot-train", hidden = true)
final class AotTrainCommand implements Callable<Integer> {
    /** Which verbs' cache this run trains; the launcher maps each verb to one (strata-GROUP.aot). */
    enum Group {
        /** {@code --version}, the verbs that list the store in tables (images, ps, history), tag and rmi. */
        local,
        /** pull: into an empty store and again with everything stored, unpacking as root. */
        pull,
        /** run: a pull, then a run of the pulled image up to its command (which it lacks). */
        run,
        /** build: a pull, then a build FROM the pulled image (COPY and config steps), and again from the cache. */
        build,
        /** The verbs that read and copy between registries without a store: tags, digest, inspect docker://, copy, sync. */
        remote,
        /** Every other verb: all of the above, and the models of every verb. */
        all
    }

    @Parameters(arity = "0..1", defaultValue = "all", description = "local, pull, run, build, remote or all")
    Group group;

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("strata-aot");
        // A training stopped by a signal (a ctrl-C during a command's first start) leaves no mount or file behind.
        Thread cleanUp = new Thread(() -> cleanUp(dir), "strata-aot-clean-up");
        Runtime.getRuntime().addShutdownHook(cleanUp);
        StringWriter sink = new StringWriter();
        // What the verbs print goes nowhere: picocli's streams to the sink, System.out to a null stream.
        java.io.PrintStream stdout = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            switch (group) {
                case local -> local(dir, sink, false);
                case pull -> {
                    pulls(dir, sink, List.of());
                    progress();
                }
                case run -> pulls(dir, sink, List.of("run", "--rm"));
                case build -> builds(dir, sink, pulls(dir, sink, List.of()));
                case remote -> remote(dir, sink);
                case all -> {
                    CommandLine cl = Strata.commandLine();
                    for (CommandLine sub : cl.getSubcommands().values()) sub.usage(new PrintWriter(sink));
                    cl.parseArgs("pull", "--root", "/nonexistent", "127.0.0.1:5000/lib/app:v1");
                    local(dir, sink, true);
                    pulls(dir, sink, List.of());
                    LayoutStore store = new LayoutStore(dir.resolve("store"));
                    UnpackOptions.snapshotter(store).list();
                    Containers.store(store).list();
                    java.net.http.HttpClient.newBuilder().build();
                    LocalImage.normalise("lib/app:v1");
                    Path bundle = Files.createDirectories(dir.resolve("bundle"));
                    io.strata.runner.Bundle.write(bundle, new io.strata.runner.RunSpec(List.of("true"), List.of("PATH=/bin"), "/",
                            new io.strata.runner.Users.Ids(0, 0, List.of(), "/"), false, null, "train", io.strata.runner.RunSpec.Network.NONE,
                            List.of(), false, null, null, null, null, null, null, null), "train");
                    progress();
                    io.strata.snapshots.Native.isRoot();
                }
            }
        } finally {
            System.setOut(stdout);
            try {
                Runtime.getRuntime().removeShutdownHook(cleanUp);
                cleanUp(dir);
            } catch (IllegalStateException shuttingDown) {
                // the hook is cleaning up
            }
        }
        return 0;
    }

    /** Unmounts what the run training mounted there (as root) and removes the training's directory. */
    private static void cleanUp(Path dir) {
        try {
            if (io.strata.snapshots.Native.isRoot()) io.strata.snapshots.Mount.unmountAllUnder(dir);
            io.strata.snapshots.OverlaySnapshotter.deleteTree(dir);
        } catch (java.io.IOException | RuntimeException e) {
            System.err.println("strata: training clean-up: " + e.getMessage());
        }
    }

    /**
     * {@code --version}, then the read-only verbs people run most, end to end on a store of one
     * image; with {@code json}, inspect and JSON output too (they bring Jackson's databind, 560
     * classes a table does not need).
     */
    private static void local(Path dir, StringWriter sink, boolean json) throws Exception {
        execute(List.of("--version"), sink);
        byte[] configBytes = config(Platform.host(), Digest.sha256(new byte[0]));
        ImageConfig.parse(configBytes).rootfs().chainIds();
        Descriptor c = new Descriptor(MediaType.OCI_CONFIG, Digest.sha256(configBytes), configBytes.length);
        byte[] manifest = manifest(c, List.of());
        Manifest.parse(manifest);
        Digest m = Digest.sha256(manifest);
        Index.parse(("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"digest\":\""
                + m + "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}").getBytes())
                .select(Platform.host());
        Reference.parse("127.0.0.1:5000/lib/app:v1").apiHost();
        LayoutStore store = new LayoutStore(dir.resolve("store"));
        store.put(c.digest(), configBytes);
        store.put(m, manifest);
        store.tag("127.0.0.1:5000/lib/app:v1", new Descriptor(MediaType.OCI_MANIFEST, m, manifest.length));
        store.names();
        // End to end, so that what they link at run time (lambdas, string concatenations) is in the cache too.
        List<List<String>> verbs = new java.util.ArrayList<>(List.of(List.of("images"), List.of("ps", "-a"), List.of("history", "lib/app:v1"),
                List.of("tag", "lib/app:v1", "lib/app:v2"), List.of("rmi", "lib/app:v2"), List.of("inspect", "lib/app:v1")));
        if (json) verbs.add(List.of("images", "--format", "json"));
        for (List<String> verb : verbs) {
            List<String> args = new java.util.ArrayList<>(List.of("--root", store.root().toString()));
            args.addAll(verb);
            execute(args, sink);
        }
    }

    // The training's image is written as text: the model's writers are databind's, which the verbs
    // trained here do not load, and what the training loads goes into the cache.

    /** An image config of one layer whose DiffID is {@code diffId}, running sh. */
    private static byte[] config(Platform platform, Digest diffId) {
        return ("{\"created\":\"2026-01-01T00:00:00Z\",\"architecture\":\"" + platform.architecture() + "\",\"os\":\""
                + platform.os() + "\",\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"sh\"],\"WorkingDir\":\"/\"},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diffId + "\"]},\"history\":[{\"created_by\":\"train\"}]}")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** An OCI image manifest of {@code config} and {@code layers}. */
    private static byte[] manifest(Descriptor config, List<Descriptor> layers) {
        StringBuilder json = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"config\":");
        descriptor(json, config).append(",\"layers\":[");
        for (int i = 0; i < layers.size(); i++) descriptor(json.append(i == 0 ? "" : ","), layers.get(i));
        return json.append("]}").toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static StringBuilder descriptor(StringBuilder json, Descriptor d) {
        return json.append("{\"mediaType\":\"").append(d.mediaType()).append("\",\"digest\":\"").append(d.digest())
                .append("\",\"size\":").append(d.size()).append('}');
    }

    /** The progress display a pull without --quiet draws. */
    private static void progress() throws Exception {
        try (ProgressDisplay p = ProgressDisplay.open(true)) {
            p.layer(Digest.sha256(new byte[0]), "Waiting");
        }
    }

    /**
     * Pulls of a one-layer image, as a user runs them: into an empty store, then again with
     * everything stored; with unpacking too when this runs as root (unpacking needs it). Then, when
     * {@code run} is given (the verb and its options) and this runs as root, that verb on the
     * unpacked image: it mounts the image, finds that it lacks the command (the image holds one
     * file) and ends, unmounting and removing the container, as a run does up to its runtime.
     */
    private static String pulls(Path dir, StringWriter sink, List<String> run) throws Exception {
        try (TrainingRegistry registry = trainingRegistry()) {
            String ref = "127.0.0.1:" + registry.port() + "/lib/app:v1";
            List<List<String>> pulls = new java.util.ArrayList<>();
            pulls.add(List.of("--root", dir.resolve("pulled").toString(), "pull", "--quiet", "--no-unpack", ref));
            if (io.strata.snapshots.Native.isRoot()) {
                pulls.add(List.of("--root", dir.resolve("unpacked").toString(), "pull", "--quiet", ref));
            }
            for (List<String> pull : pulls) {
                for (int twice = 0; twice < 2; twice++) {
                    // A failed pull trains less, and must not cost the cache (LauncherIT checks what it holds).
                    if (execute(pull, sink) != 0) return null;
                }
            }
            if (!run.isEmpty() && io.strata.snapshots.Native.isRoot()) {
                List<String> args = new java.util.ArrayList<>(List.of("--root", dir.resolve("unpacked").toString()));
                args.addAll(run);
                args.addAll(List.of(ref, "trained-command"));
                execute(args, sink);
                // The verbs of a container's life share run's cache: a container made, read and removed.
                String root = dir.resolve("unpacked").toString();
                if (execute(List.of("--root", root, "create", "--name", "trained", ref, "trained-command"), sink) == 0) {
                    execute(List.of("--root", root, "logs", "trained"), sink);
                    execute(List.of("--root", root, "rm", "trained"), sink);
                }
            }
            return ref;
        }
    }

    /**
     * As root (a build unpacks what it makes): a build of a small context FROM the image pulls()
     * stored, with COPY, a .dockerignore and config steps (a RUN would need a
     * runtime, which a training must not), then the same build again, every step from the cache.
     */
    private static void builds(Path dir, StringWriter sink, String base) throws Exception {
        if (!io.strata.snapshots.Native.isRoot() || base == null) return;
        Path ctx = Files.createDirectories(dir.resolve("context/src"));
        for (int i = 0; i < 20; i++) Files.writeString(ctx.resolve("f" + i + ".txt"), "file " + i + "\n");
        ctx = ctx.getParent();
        Files.writeString(ctx.resolve(".dockerignore"), "*.md\n");
        Files.writeString(ctx.resolve("Containerfile"), """
                ARG BASE
                FROM ${BASE} AS base
                ENV APP=/srv/app
                WORKDIR $APP
                COPY src/ src/
                COPY --chmod=0644 src/f1.txt one.txt
                LABEL trained=yes
                CMD ["cat", "one.txt"]
                """);
        List<String> build = List.of("--root", dir.resolve("unpacked").toString(), "build", "-q", "--network", "none",
                "--build-arg", "BASE=" + base, "-t", "trained:v1", ctx.toString());
        // The base is the image pulls() tagged in that store; --pull=never: nothing is fetched.
        List<String> args = new java.util.ArrayList<>(build);
        args.add(args.size() - 1, "--pull=never");
        for (int twice = 0; twice < 2; twice++) {
            if (execute(args, sink) != 0) return;
        }
    }

    /**
     * The remote verbs against the training registry, as a user runs them: tags, digest, inspect of
     * docker://, a copy into an OCI layout, a sync into another (twice: the second finds it up to date).
     */
    private static void remote(Path dir, StringWriter sink) throws Exception {
        try (TrainingRegistry registry = trainingRegistry()) {
            String ref = "127.0.0.1:" + registry.port() + "/lib/app";
            execute(List.of("tags", ref), sink);
            execute(List.of("digest", ref + ":v1"), sink);
            execute(List.of("inspect", "docker://" + ref + ":v1"), sink);
            execute(List.of("copy", "-q", "docker://" + ref + ":v1", "oci:" + dir.resolve("layout") + ":v1"), sink);
            for (int twice = 0; twice < 2; twice++) execute(List.of("sync", "docker://" + ref, "oci:" + dir.resolve("mirror")), sink);
        }
    }

    /** The training registry with lib/app:v1, an image of one gzip'd layer holding one file. */
    private static TrainingRegistry trainingRegistry() throws Exception {
        byte[] content = "trained\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        var tar = new java.io.ByteArrayOutputStream();
        try (io.strata.snapshots.TarWriter w = new io.strata.snapshots.TarWriter(tar)) {
            w.header(new io.strata.snapshots.TarEntry("hello", io.strata.snapshots.TarEntry.Type.FILE, 0644, 0, 0,
                    content.length, content.length, 0, 0, "", 0, 0, java.util.Map.of(), null));
            w.data(new java.io.ByteArrayInputStream(content), content.length);
        }
        var gz = new java.io.ByteArrayOutputStream();
        try (var out = new java.util.zip.GZIPOutputStream(gz)) {
            out.write(tar.toByteArray());
        }
        byte[] layer = gz.toByteArray();
        byte[] config = config(Platform.host(), Digest.sha256(tar.toByteArray()));
        Descriptor c = new Descriptor(MediaType.OCI_CONFIG, Digest.sha256(config), config.length);
        Descriptor l = new Descriptor(MediaType.OCI_LAYER_GZIP, Digest.sha256(layer), layer.length);
        byte[] manifest = manifest(c, List.of(l));
        return new TrainingRegistry("lib/app", manifest, Digest.sha256(manifest).toString(), MediaType.OCI_MANIFEST,
                java.util.Map.of(c.digest().toString(), config, l.digest().toString(), layer));
    }

    /** Runs {@code strata ARGS} in this JVM, what it writes to picocli's streams going to {@code sink}. */
    private static int execute(List<String> args, StringWriter sink) {
        String[] argv = args.toArray(String[]::new);
        CommandLine line = Strata.commandLine(argv);
        line.setOut(new PrintWriter(sink));
        line.setErr(new PrintWriter(sink));
        return line.execute(argv);
    }
}
