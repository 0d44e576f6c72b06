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

/**
 * The training run of the launcher's AOT cache (not for users): loads and links what client verbs
 * use on every start (the command line model, the image model and its JSON, the store, the HTTP
 * client, the native calls) and runs the verbs people run most, pulls included (from a
 * {@link TrainingRegistry} on loopback), without touching the network or the user's store.
 */
@Command(name = "aot-train", hidden = true)
final class AotTrainCommand implements Callable<Integer> {
    @Override
    public Integer call() throws Exception {
        CommandLine cl = Strata.commandLine();
        StringWriter sink = new StringWriter();
        for (CommandLine sub : cl.getSubcommands().values()) sub.usage(new PrintWriter(sink));
        cl.parseArgs("pull", "--root", "/nonexistent", "127.0.0.1:5000/lib/app:v1");

        Path dir = Files.createTempDirectory("strata-aot");
        try {
            byte[] configBytes = new ImageConfig("2026-01-01T00:00:00Z", null, "amd64", "linux", null, null,
                    new ImageConfig.Config(null, null, List.of("PATH=/bin"), null, List.of("sh"), null, "/", null, null),
                    new ImageConfig.RootFs("layers", List.of(Digest.sha256(new byte[0]))), List.of()).toJson();
            ImageConfig config = ImageConfig.parse(configBytes);
            config.rootfs().chainIds();
            Descriptor c = new Descriptor(MediaType.OCI_CONFIG, Digest.sha256(configBytes), configBytes.length);
            Manifest m = Manifest.parse(new Manifest(2, MediaType.OCI_MANIFEST, null, c, List.of(c), null, null).toJson());
            Index.parse(("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"digest\":\""
                    + Digest.sha256(m.toJson()) + "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}}]}").getBytes())
                    .select(Platform.host());
            Reference.parse("127.0.0.1:5000/lib/app:v1").apiHost();
            LayoutStore store = new LayoutStore(dir.resolve("store"));
            store.put(c.digest(), configBytes);
            store.tag("127.0.0.1:5000/lib/app:v1", store.put(m));
            store.names();
            // The read-only verbs people run most, end to end on this store (their output discarded), so
            // that what they link at run time (lambdas, string concatenations) is in the cache too.
            java.io.PrintStream stdout = System.out;
            System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
            try {
                for (List<String> verb : List.of(List.of("images"), List.of("ps", "-a"), List.of("history", "lib/app:v1"),
                        List.of("inspect", "lib/app:v1"), List.of("images", "--format", "json"))) {
                    List<String> args = new java.util.ArrayList<>(List.of("--root", store.root().toString()));
                    args.addAll(verb);
                    execute(args, sink);
                }
                pulls(dir, sink);
            } finally {
                System.setOut(stdout);
            }
            UnpackOptions.snapshotter(store).list();
            Containers.store(store).list();
            java.net.http.HttpClient.newBuilder().build();
            LocalImage.normalise("lib/app:v1");
            Path bundle = Files.createDirectories(dir.resolve("bundle"));
            io.strata.runner.Bundle.write(bundle, new io.strata.runner.RunSpec(List.of("true"), List.of("PATH=/bin"), "/",
                    new io.strata.runner.Users.Ids(0, 0, List.of(), "/"), false, null, "train", io.strata.runner.RunSpec.Network.NONE,
                    List.of(), false, null, null, null), "train");
            try (ProgressDisplay p = ProgressDisplay.open(true)) {
                p.layer(c.digest(), "Waiting");
            }
            io.strata.snapshots.Native.isRoot();
        } finally {
            deleteTree(dir);
        }
        return 0;
    }

    /** Removes a training run's temporary directory and all it holds. */
    static void deleteTree(Path dir) throws java.io.IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    /**
     * Pulls of a one-layer image, as a user runs them: into an empty store, then again with
     * everything stored; with unpacking too when this runs as root (unpacking needs it). Standard
     * output is already discarded by the caller.
     */
    private static void pulls(Path dir, StringWriter sink) throws Exception {
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
        byte[] config = new ImageConfig(null, null, Platform.host().architecture(), Platform.host().os(), null, null,
                new ImageConfig.Config(null, null, List.of("PATH=/bin"), null, List.of("sh"), null, "/", null, null),
                new ImageConfig.RootFs("layers", List.of(Digest.sha256(tar.toByteArray()))), List.of()).toJson();
        Descriptor c = new Descriptor(MediaType.OCI_CONFIG, Digest.sha256(config), config.length);
        Descriptor l = new Descriptor(MediaType.OCI_LAYER_GZIP, Digest.sha256(layer), layer.length);
        byte[] manifest = new Manifest(2, MediaType.OCI_MANIFEST, null, c, List.of(l), null, null).toJson();
        try (TrainingRegistry registry = new TrainingRegistry("lib/app", manifest, Digest.sha256(manifest).toString(),
                MediaType.OCI_MANIFEST, java.util.Map.of(c.digest().toString(), config, l.digest().toString(), layer))) {
            String ref = "127.0.0.1:" + registry.port() + "/lib/app:v1";
            List<List<String>> pulls = new java.util.ArrayList<>();
            pulls.add(List.of("--root", dir.resolve("pulled").toString(), "pull", "--quiet", "--no-unpack", ref));
            if (io.strata.snapshots.Native.isRoot()) {
                pulls.add(List.of("--root", dir.resolve("unpacked").toString(), "pull", "--quiet", ref));
            }
            for (List<String> pull : pulls) {
                for (int twice = 0; twice < 2; twice++) {
                    // A failed pull trains less, and must not cost the cache (LauncherIT checks what it holds).
                    if (execute(pull, sink) != 0) return;
                }
            }
        }
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
