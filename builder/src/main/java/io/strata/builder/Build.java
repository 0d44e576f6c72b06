package io.strata.builder;

import io.strata.client.Puller;
import io.strata.client.Unpacker;
import io.strata.client.store.LayoutStore;
import io.strata.client.store.Leases;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.ImageConfig;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import io.strata.oci.Platform;
import io.strata.runner.AttachOptions;
import io.strata.runner.Committer;
import io.strata.runner.Container;
import io.strata.runner.Emulation;
import io.strata.runner.RunSpec;
import io.strata.runner.Runner;
import io.strata.snapshots.Applier;
import io.strata.snapshots.Mount;
import io.strata.snapshots.OverlaySnapshotter;
import io.strata.snapshots.TarWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * strata build: each stage's steps over the image so far, as buildah's imagebuildah does them.
 * A RUN runs in a container of the runner on the previous step's snapshots and its changes become a
 * layer exactly as commit makes one; a COPY or ADD writes its layer directly from the sources; the
 * other instructions change the config and add a history entry without a layer. Every step has a
 * cache key (its parent's, its instruction as expanded, and for a copy the digest of what it copies)
 * and a hit takes the image the step made before without running anything.
 */
public final class Build {
    /**
     * Finds or pulls (and unpacks) the image a FROM or COPY --from names, for {@code platform}
     * (null: none was asked for, the host's is preferred and another is taken with a warning).
     */
    @FunctionalInterface
    public interface Bases {
        Runner.Image resolve(String reference, Platform platform) throws Exception;
    }

    /**
     * What to build: the context directory, the Containerfile's name and text, the names to give
     * the result, --build-arg, --target, --no-cache, the network RUN steps use, the new layers'
     * compression, --label, --platform (null: the host's), and where progress goes.
     */
    public record Request(Path context, String file, String text, IgnorePatterns ignore, List<String> tags, Map<String, String> buildArgs,
                          String target, Platform platform, boolean noCache, RunSpec.Network network, String networkName, Committer.Compression compression,
                          Map<String, String> labels, Long sourceDateEpoch, Map<String, Path> secrets, SshAgents ssh, PrintStream log) {
        /** The time the image's config and history say: SOURCE_DATE_EPOCH when given, else now. */
        String now() {
            return (sourceDateEpoch != null ? Instant.ofEpochSecond(sourceDateEpoch) : Instant.now()).toString();
        }
    }

    private static final List<String> DEFAULT_SHELL = List.of("/bin/sh", "-c");

    private final LayoutStore store;
    private final OverlaySnapshotter snapshotter;
    private final Runner runner;
    private final Bases bases;
    private final BuildCache cache;
    private final Applier.Limits limits;

    public Build(LayoutStore store, OverlaySnapshotter snapshotter, Runner runner, Bases bases, Applier.Limits limits) {
        this.store = store;
        this.snapshotter = snapshotter;
        this.runner = runner;
        // One answer per name in a build: FROM, COPY --from and --mount from= of one image pull it once.
        // Stages build at once, and two pulls in one process must not fetch a blob together (the
        // ingest's lock is the process's): images are found or pulled one at a time.
        Map<String, Runner.Image> seen = new java.util.concurrent.ConcurrentHashMap<>();
        var pulling = new java.util.concurrent.locks.ReentrantLock();
        this.bases = (ref, platform) -> {
            pulling.lock();
            try {
                String asked = ref + " " + platform;
                Runner.Image known = seen.get(asked);
                if (known != null) return known;
                Runner.Image found = bases.resolve(ref, platform);
                seen.put(asked, found);
                return found;
            } finally {
                pulling.unlock();
            }
        };
        this.cache = new BuildCache(store.root());
        this.limits = limits;
    }

    /** The image so far: its layers, its config, and the key of the steps that made it. */
    private record State(List<Descriptor> layers, ImageConfig config, String key) {}

    /** Builds what the request asks; answers the stored manifest of the result (named with each tag). */
    public Descriptor build(Request r) throws Exception {
        Containerfile file = Containerfile.parse(r.text(), r.file());
        Stages.Plan plan = Stages.plan(file, r.file(), r.buildArgs(), r.target(), r.platform());
        int total = plan.stages().stream().mapToInt(s -> s.steps().size() + 1).sum();
        var step = new java.util.concurrent.atomic.AtomicInteger();
        Map<Integer, State> built = new java.util.concurrent.ConcurrentHashMap<>();
        // Stages that do not depend on each other build at once, each on a virtual thread of its own;
        // a stage starts when the stages it names are built.
        Map<Integer, java.util.concurrent.CompletableFuture<State>> done = new LinkedHashMap<>();
        try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (Stages.Stage stage : plan.stages()) {
                List<java.util.concurrent.CompletableFuture<State>> needs = new ArrayList<>();
                for (String ref : Stages.references(stage)) {
                    Stages.stageNamed(plan.stages(), ref, stage.index()).ifPresent(o -> needs.add(done.get(o.index())));
                }
                done.put(stage.index(), java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                    needs.forEach(java.util.concurrent.CompletableFuture::join);
                    try {
                        State made = stage(stage, plan, built, file.escape(), r, step, total);
                        built.put(stage.index(), made);
                        return made;
                    } catch (Exception e) {
                        throw new java.util.concurrent.CompletionException(e);
                    }
                }, threads));
            }
            try {
                java.util.concurrent.CompletableFuture.allOf(done.values().toArray(java.util.concurrent.CompletableFuture[]::new)).join();
            } catch (java.util.concurrent.CompletionException failed) {
                // The first stage that failed says why, as a build of one stage would.
                Throwable cause = failed;
                while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) cause = cause.getCause();
                if (cause instanceof Exception e) throw e;
                throw failed;
            }
        }
        State result = built.get(plan.target().index());
        if (!r.labels().isEmpty()) {
            ImageConfig.Config c = config(result);
            Map<String, String> labels = c.labels() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(c.labels());
            labels.putAll(r.labels());
            result = withConfig(result, new ImageConfig.Config(c.user(), c.exposedPorts(), c.env(), c.entrypoint(), c.cmd(), c.volumes(),
                    c.workingDir(), labels, c.stopSignal()).withExtensionsOf(c), null, "labels " + r.labels(), r);
        }
        Descriptor image = manifest(result);
        for (String tag : r.tags()) {
            store.tag(tag, image);
            r.log().println("Successfully tagged " + tag);
        }
        return image;
    }

    private State stage(Stages.Stage stage, Stages.Plan plan, Map<Integer, State> built, char escape, Request r,
                        java.util.concurrent.atomic.AtomicInteger step, int total) throws Exception {
        // With several stages, each line says which one it is of (they may build at once).
        String tag = plan.stages().size() > 1 ? "[" + (stage.name() != null ? stage.name() : String.valueOf(stage.index())) + "] " : "";
        r.log().printf("%sSTEP %d/%d: %s%n", tag, step.incrementAndGet(), total, stage.from().text());
        State s = base(stage, plan, built, r);
        List<Instruction> steps = new ArrayList<>();
        List<String> triggers = config(s).onBuild();
        if (triggers != null && !triggers.isEmpty()) {
            // The base's ONBUILD triggers run first, in this build's context, and are not passed on (as docker's).
            for (String t : triggers) {
                List<Instruction> parsed = Containerfile.parse("FROM scratch\n" + t + "\n", stage.base() + "'s ONBUILD").instructions();
                steps.add(parsed.get(1));
            }
            s = withConfig(s, config(s).withExtensions(config(s).healthcheck(), null, config(s).shell()), null, "ONBUILD done", r);
            total += triggers.size();
        }
        steps.addAll(stage.steps());
        Map<String, String> args = new LinkedHashMap<>();
        // RUN's shell form runs through the base image's SHELL, when it set one (docker keeps it in the config).
        List<String> shell = config(s).shell() != null && !config(s).shell().isEmpty() ? config(s).shell() : DEFAULT_SHELL;
        boolean cmdSet = false;
        for (Instruction in : steps) {
            r.log().printf("%sSTEP %d/%d: %s%n", tag, step.incrementAndGet(), total, in.text());
            long started = System.nanoTime();
            Map<String, String> vars = vars(s, args);
            switch (in) {
                case Instruction.Arg a -> {
                    for (String d : a.declarations()) {
                        int eq = d.indexOf('=');
                        String key = eq < 0 ? d : d.substring(0, eq);
                        if (r.buildArgs().containsKey(key)) args.put(key, r.buildArgs().get(key));
                        else if (eq >= 0) args.put(key, Words.expand(d.substring(eq + 1), vars, escape));
                        else if (plan.globalArgs().containsKey(key)) args.put(key, plan.globalArgs().get(key));
                    }
                    // Its history names the arguments, not their values (buildah's and docker's form).
                    String names = String.join(" ", a.declarations().stream().map(d -> d.contains("=") ? d.substring(0, d.indexOf('=')) : d).toList());
                    s = withConfig(s, config(s), nop("ARG " + names), in.text() + "\0" + args, r);
                }
                case Instruction.Shell sh -> {
                    shell = sh.shell();
                    s = withConfig(s, config(s).withExtensions(config(s).healthcheck(), config(s).onBuild(), shell), nop(in.text()), in.text(), r);
                }
                case Instruction.Run run -> s = run(s, run, shell, args, r, from -> chainOf(from, plan, built, stage));
                case Instruction.Copy copy -> s = copy(s, copy, vars, escape, plan, built, stage, r);
                case Instruction.From f -> throw new IllegalStateException("FROM inside a stage");
                case Instruction.Entrypoint e -> {
                    ImageConfig.Config c = configStep(config(s), in, vars, escape);
                    // A new ENTRYPOINT empties a CMD the base image gave, as docker does; one this stage gave stays.
                    if (!cmdSet) c = new ImageConfig.Config(c.user(), c.exposedPorts(), c.env(), c.entrypoint(), null, c.volumes(), c.workingDir(),
                            c.labels(), c.stopSignal()).withExtensionsOf(c);
                    s = withConfig(s, c, nop(in.text()), in.text(), r);
                }
                default -> s = withConfig(s, configStep(config(s), in, vars, escape), nop(in.text()), expandedText(in, vars, escape), r);
            }
            if (in instanceof Instruction.Cmd) cmdSet = true;
            r.log().printf("--> %.2f s%n", (System.nanoTime() - started) / 1e9);
        }
        return s;
    }

    /** A stage's starting image: scratch, a stage built before, or an image found or pulled. */
    private State base(Stages.Stage stage, Stages.Plan plan, Map<Integer, State> built, Request r) throws Exception {
        if (stage.base().equalsIgnoreCase("scratch")) {
            Platform p = stage.platform() == null ? Platform.host() : stage.platform();
            // An empty image with the default PATH, as BuildKit's (and buildah's, which adds it to any image lacking one).
            ImageConfig empty = new ImageConfig(null, null, p.architecture(), p.os(), null, p.variant(),
                    new ImageConfig.Config(null, null, List.of(Runner.DEFAULT_PATH), null, null, null, null, null, null),
                    new ImageConfig.RootFs("layers", List.of()), List.of());
            return new State(List.of(), empty, "scratch " + Digest.sha256(empty.toJson()));
        }
        var other = Stages.stageNamed(plan.stages(), stage.base(), stage.index());
        if (other.isPresent()) {
            State o = built.get(other.get().index());
            Platform made = o.config().platform();
            if (stage.platform() != null && !stage.platform().matches(made)) {
                throw new IllegalArgumentException(r.file() + ":" + stage.from().line() + ": stage " + stage.base() + " is built for " + made
                        + ", not " + stage.platform());
            }
            return o;
        }
        Runner.Image image = bases.resolve(stage.base(), stage.platform());
        Platform offered = image.config().platform();
        if (stage.platform() == null && offered.architecture() != null && !Platform.host().matches(offered)) {
            r.log().println("WARNING: " + stage.base() + " is for " + offered + ", not this host's " + Platform.host() + " (give --platform to pick)");
        }
        Manifest m = Manifest.parse(store.read(image.manifest()));
        return new State(m.layers(), image.config(), image.manifest().toString());
    }

    // ---- config-only steps

    private static ImageConfig.Config configStep(ImageConfig.Config c, Instruction in, Map<String, String> vars, char escape) {
        String user = c.user(), workdir = c.workingDir(), stop = c.stopSignal();
        List<String> env = c.env() == null ? new ArrayList<>() : new ArrayList<>(c.env());
        List<String> entrypoint = c.entrypoint(), cmd = c.cmd();
        Map<String, String> labels = c.labels() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(c.labels());
        Map<String, Object> ports = c.exposedPorts() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(c.exposedPorts());
        Map<String, Object> volumes = c.volumes() == null ? new LinkedHashMap<>() : new LinkedHashMap<>(c.volumes());
        ImageConfig.Healthcheck healthcheck = c.healthcheck();
        List<String> onBuild = c.onBuild();
        switch (in) {
            case Instruction.Env e -> {
                Map<String, String> scope = new LinkedHashMap<>(vars);
                for (String pair : e.pairs()) {
                    int eq = pair.indexOf('=');
                    String key = pair.substring(0, eq);
                    String value = Words.expand(pair.substring(eq + 1), scope, escape);
                    env.removeIf(v -> v.startsWith(key + "="));
                    env.add(key + "=" + value);
                    scope.put(key, value);
                }
            }
            case Instruction.Label l -> {
                for (String pair : l.pairs()) {
                    int eq = pair.indexOf('=');
                    labels.put(Words.expand(pair.substring(0, eq), vars, escape), Words.expand(pair.substring(eq + 1), vars, escape));
                }
            }
            case Instruction.Workdir w -> {
                String path = Words.expand(w.path(), vars, escape);
                workdir = path.startsWith("/") ? path : (workdir == null || workdir.isEmpty() ? "/" : workdir) + (workdir != null && workdir.endsWith("/") ? "" : "/") + path;
                workdir = IgnorePatterns.clean(workdir);
            }
            case Instruction.User u -> user = Words.expand(u.user(), vars, escape);
            case Instruction.Cmd x -> cmd = command(x.command());
            case Instruction.Entrypoint x -> entrypoint = command(x.command());
            case Instruction.Expose x -> {
                for (String p : Words.expandAll(String.join(" ", x.ports()), vars, escape)) ports.put(p.contains("/") ? p : p + "/tcp", Map.of());
            }
            case Instruction.Volume v -> {
                for (String p : v.paths()) volumes.put(Words.expand(p, vars, escape), Map.of());
            }
            case Instruction.StopSignal x -> stop = Words.expand(x.signal(), vars, escape);
            case Instruction.Healthcheck h -> healthcheck = healthcheck(h);
            case Instruction.OnBuild ob -> {
                onBuild = onBuild == null ? new ArrayList<>() : new ArrayList<>(onBuild);
                onBuild.add(ob.trigger());
            }
            case Instruction.Maintainer m -> { }
            default -> throw new IllegalStateException("not a config step: " + in.text());
        }
        return new ImageConfig.Config(user, ports.isEmpty() ? null : ports, env.isEmpty() ? null : env, entrypoint, cmd,
                volumes.isEmpty() ? null : volumes, workdir, labels.isEmpty() ? null : labels, stop).withExtensions(healthcheck, onBuild, c.shell());
    }

    /** HEALTHCHECK as docker records it: NONE, or the test (CMD for the exec form, CMD-SHELL for the shell form) and the timings given, in ns. */
    private static ImageConfig.Healthcheck healthcheck(Instruction.Healthcheck h) {
        if (h.command() == null) return new ImageConfig.Healthcheck(List.of("NONE"), null, null, null, null, null);
        List<String> test = new ArrayList<>();
        if (h.command().isExec()) {
            test.add("CMD");
            test.addAll(h.command().exec());
        } else {
            test.add("CMD-SHELL");
            test.add(h.command().shell());
        }
        Integer retries = null;
        if (h.flags().containsKey("retries")) {
            try {
                retries = Integer.parseInt(h.flags().get("retries"));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("HEALTHCHECK --retries takes a number, was " + h.flags().get("retries"));
            }
        }
        return new ImageConfig.Healthcheck(test, nanos(h, "interval"), nanos(h, "timeout"), nanos(h, "start-period"), nanos(h, "start-interval"), retries);
    }

    /** A Go duration (1m30s, 500ms, 10s) in nanoseconds, or null when the flag is not given. */
    private static Long nanos(Instruction.Healthcheck h, String flag) {
        String v = h.flags().get(flag);
        if (v == null) return null;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)(ns|us|µs|ms|s|m|h)").matcher(v);
        double total = 0;
        int end = 0;
        while (m.find() && m.start() == end) {
            double n = Double.parseDouble(m.group(1));
            total += n * switch (m.group(2)) {
                case "ns" -> 1;
                case "us", "µs" -> 1e3;
                case "ms" -> 1e6;
                case "s" -> 1e9;
                case "m" -> 60e9;
                default -> 3600e9;
            };
            end = m.end();
        }
        if (end != v.length() || v.isEmpty()) throw new IllegalArgumentException("HEALTHCHECK --" + flag + " takes a duration such as 30s or 1m30s, was " + v);
        return (long) total;
    }

    /** CMD and ENTRYPOINT: the exec form as written, the shell form through /bin/sh -c. */
    private static List<String> command(Instruction.Command c) {
        return c.isExec() ? c.exec() : List.of("/bin/sh", "-c", c.shell());
    }

    /** The instruction with its variables expanded, as the history records it. */
    private static String expandedText(Instruction in, Map<String, String> vars, char escape) {
        return switch (in) {
            case Instruction.Env e -> "ENV " + String.join(" ", e.pairs().stream().map(p -> {
                int eq = p.indexOf('=');
                return p.substring(0, eq) + "=" + Words.expand(p.substring(eq + 1), vars, escape);
            }).toList());
            case Instruction.Workdir w -> "WORKDIR " + Words.expand(w.path(), vars, escape);
            case Instruction.User u -> "USER " + Words.expand(u.user(), vars, escape);
            default -> in.text();
        };
    }

    /** A history entry's created_by for a step without a layer, in the form buildah and docker write. */
    private static String nop(String text) {
        return "/bin/sh -c #(nop) " + text;
    }

    /**
     * A step that changes the config only: a history entry without a layer. It is cached like the
     * others, so a rebuild of what did not change gives the same image, times and all.
     */
    private State withConfig(State s, ImageConfig.Config config, String createdBy, String keyText, Request r) throws IOException {
        String key = key(s.key(), keyText);
        State hit = hit(key, r);
        if (hit != null) return hit;
        List<ImageConfig.History> history = new ArrayList<>(s.config().history());
        if (createdBy != null) history.add(new ImageConfig.History(r.now(), null, createdBy, null, true));
        ImageConfig c = s.config();
        ImageConfig next = new ImageConfig(r.now(), c.author(), c.architecture(), c.os(), c.osVersion(), c.variant(), config,
                c.rootfs(), history);
        State made = new State(s.layers(), next, key);
        cache.put(key, manifest(made).digest());
        return made;
    }

    private static ImageConfig.Config config(State s) {
        return s.config().config() != null ? s.config().config() : new ImageConfig.Config(null, null, null, null, null, null, null, null, null);
    }

    /** What RUN and COPY expand with: the image's ENV, then the stage's ARGs (an ENV wins over an ARG of its name, as docker's). */
    private static Map<String, String> vars(State s, Map<String, String> args) {
        Map<String, String> out = new LinkedHashMap<>(args);
        for (String e : config(s).env() == null ? List.<String>of() : config(s).env()) {
            int eq = e.indexOf('=');
            if (eq > 0) out.put(e.substring(0, eq), e.substring(eq + 1));
        }
        return out;
    }

    // ---- RUN

    /** What a from= names: a stage built before this one, else an image (found or pulled); its ChainIDs. */
    private interface ChainOf {
        List<Digest> of(String from) throws Exception;
    }

    private List<Digest> chainOf(String from, Stages.Plan plan, Map<Integer, State> built, Stages.Stage stage) throws Exception {
        var other = Stages.stageNamed(plan.stages(), from, stage.index());
        if (other.isPresent()) {
            State o = built.get(other.get().index());
            Descriptor d = manifest(o);
            return Unpacker.chainIds(Manifest.parse(store.read(d.digest())), o.config());
        }
        return bases.resolve(from, stage.platform()).chainIds();
    }

    private State run(State s, Instruction.Run run, List<String> shell, Map<String, String> args, Request r, ChainOf chainOf) throws Exception {
        if (run.flags().containsKey("security")) {
            throw new IllegalArgumentException(r.file() + ":" + run.line() + ": RUN --security is not built yet");
        }
        List<String> argv = new ArrayList<>();
        if (run.command().isExec()) {
            argv.addAll(run.command().exec());
        } else {
            argv.addAll(shell);
            argv.add(script(run));
        }
        // The ARGs in effect reach the command's environment and its key; a predefined proxy ARG only its environment.
        List<String> env = new ArrayList<>();
        args.forEach((k, v) -> env.add(k + "=" + v));
        r.buildArgs().forEach((k, v) -> {
            if (Stages.PREDEFINED_ARGS.contains(k) && !args.containsKey(k)) env.add(k + "=" + v);
        });
        String key = key(s.key(), "RUN", String.join("\0", argv), args.toString(), String.valueOf(run.flags()));
        State hit = hit(key, r);
        if (hit != null) return hit;
        if (s.layers().isEmpty()) throw new IllegalArgumentException(r.file() + ":" + run.line() + ": RUN needs a shell and a command, and the image has no layers (FROM scratch)");
        Emulation.whyNot(s.config().platform()).ifPresent(why -> {
            throw new IllegalArgumentException(r.file() + ":" + run.line() + ": " + why);
        });

        String network = run.flags().containsKey("network") ? run.flags().get("network").getLast() : null;
        RunSpec.Network net = network == null ? r.network() : switch (network) {
            case "none" -> RunSpec.Network.NONE;
            case "host" -> RunSpec.Network.HOST;
            case "default" -> r.network();
            default -> throw new IllegalArgumentException(r.file() + ":" + run.line() + ": RUN --network is default, none or host, was " + network);
        };
        List<RunSpec.Bind> binds = new ArrayList<>();
        List<RunSpec.Tmpfs> tmpfs = new ArrayList<>();
        List<Runnable> afterRun = new ArrayList<>();
        try {
            int sshMounts = 0;
            for (String mount : run.flags().getOrDefault("mount", List.of())) {
                if (mount(mount, binds, tmpfs, env, afterRun, r, run, chainOf, sshMounts)) sshMounts++;
            }
            return runIn(s, run, argv, env, key, net, binds, tmpfs, args, r);
        } finally {
            afterRun.forEach(Runnable::run);
        }
    }

    /**
     * RUN --mount, as BuildKit takes it: type=cache (a directory of the store's kept between builds,
     * by id= or target), type=bind (the context, or with from= a stage's or image's tree; read-only),
     * type=secret (a --secret file at /run/secrets/ID, never in a layer or a cache key), type=tmpfs.
     * What is mounted is not the step's change: the commit leaves mountpoints out.
     */
    private boolean mount(String spec, List<RunSpec.Bind> binds, List<RunSpec.Tmpfs> tmpfs, List<String> env, List<Runnable> afterRun, Request r,
                          Instruction.Run run, ChainOf chainOf, int sshMounts) throws Exception {
        Map<String, String> o = RunSpec.mountOptions(spec);
        String where = r.file() + ":" + run.line() + ": RUN --mount=" + spec + ": ";
        String type = o.getOrDefault("type", "bind");
        String target = o.getOrDefault("target", o.getOrDefault("dst", o.get("destination")));
        boolean readOnly = List.of("true", "1").contains(o.getOrDefault("readonly", o.getOrDefault("ro", "false")));
        switch (type) {
            case "cache" -> {
                if (target == null) throw new IllegalArgumentException(where + "target= is required");
                String id = o.getOrDefault("id", target);
                Path dir = store.root().resolve("build-cache-mounts").resolve(key(id).substring(0, 32));
                if (!Files.isDirectory(dir)) {
                    Files.createDirectories(dir);
                    io.strata.snapshots.Native.chmod(dir, Integer.parseInt(o.getOrDefault("mode", "755"), 8));
                }
                binds.add(new RunSpec.Bind(dir.toString(), target, readOnly));
            }
            case "bind" -> {
                if (target == null) throw new IllegalArgumentException(where + "target= is required");
                if (List.of("true", "1").contains(o.getOrDefault("rw", o.getOrDefault("readwrite", "false")))) {
                    throw new IllegalArgumentException(where + "rw is not built yet: a bind mount is read-only");
                }
                String source = o.getOrDefault("source", o.getOrDefault("src", "."));
                Path base;
                if (o.containsKey("from")) {
                    List<Digest> chain = chainOf.of(o.get("from"));
                    if (chain.isEmpty()) throw new IllegalArgumentException(where + o.get("from") + " has no files");
                    base = openView(chain.getLast(), afterRun);
                } else {
                    base = r.context();
                }
                Path host = base.resolve(IgnorePatterns.clean(source).replaceFirst("^/", "")).normalize();
                if (!host.startsWith(base) || !Files.exists(host) || Files.isSymbolicLink(host)) {
                    throw new IllegalArgumentException(where + "source " + source + " is not in " + (o.containsKey("from") ? o.get("from") : "the build context"));
                }
                binds.add(new RunSpec.Bind(host.toString(), target, true));
            }
            case "secret" -> {
                String id = o.getOrDefault("id", target == null ? null : Path.of(target).getFileName().toString());
                if (id == null) throw new IllegalArgumentException(where + "id= is required");
                Path file = r.secrets().get(id);
                boolean required = List.of("true", "1").contains(o.getOrDefault("required", "false"));
                if (file == null) {
                    if (required) throw new IllegalArgumentException(where + "no secret " + id + ": give it with --secret id=" + id + ",src=FILE");
                    return false; // BuildKit skips an optional secret that was not given
                }
                binds.add(new RunSpec.Bind(file.toAbsolutePath().toString(), target != null ? target : "/run/secrets/" + id, true));
            }
            case "tmpfs" -> {
                if (target == null) throw new IllegalArgumentException(where + "target= is required");
                tmpfs.add(new RunSpec.Tmpfs(target, o.containsKey("size") ? List.of("size=" + o.get("size")) : List.of()));
            }
            case "ssh" -> {
                // BuildKit's: a socket forwarding to the --ssh agent of this id, SSH_AUTH_SOCK naming the first.
                String id = o.getOrDefault("id", "default");
                boolean required = List.of("true", "1").contains(o.getOrDefault("required", "false"));
                int uid, gid, mode;
                try {
                    uid = Integer.parseInt(o.getOrDefault("uid", "0"));
                    gid = Integer.parseInt(o.getOrDefault("gid", "0"));
                    mode = Integer.parseInt(o.getOrDefault("mode", "600"), 8);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(where + "uid and gid are numbers, mode an octal one");
                }
                var forward = r.ssh().forward(id, uid, gid, mode);
                if (forward.isEmpty()) {
                    if (required) throw new IllegalArgumentException(where + "no SSH agent " + id + ": give it with --ssh " + id + "[=SOCKET|KEY]");
                    return false; // as an optional secret: not mounted
                }
                afterRun.add(() -> {
                    try {
                        forward.get().close();
                    } catch (IOException e) {
                        // a temporary socket: removed with the build's directory
                    }
                });
                String socket = target != null ? target : "/run/buildkit/ssh_agent." + sshMounts;
                binds.add(new RunSpec.Bind(forward.get().socket().toString(), socket, false));
                if (sshMounts == 0) env.add("SSH_AUTH_SOCK=" + socket);
                return true;
            }
            default -> throw new IllegalArgumentException(where + "type is cache, bind, secret, ssh or tmpfs, was " + type);
        }
        return false;
    }

    /** A read-only view of an image's snapshots, mounted until {@code afterRun} runs. */
    private Path openView(Digest top, List<Runnable> afterRun) throws IOException {
        String viewKey = "build-view-" + HexFormat.of().formatHex(random());
        Path dir = Files.createTempDirectory(store.root(), "build-view-");
        snapshotter.view(viewKey, top.toString()).getFirst().mount(dir);
        afterRun.add(() -> {
            try {
                while (Mount.isMountPoint(dir)) Mount.unmount(dir);
                snapshotter.remove(viewKey);
                Files.deleteIfExists(dir);
            } catch (IOException e) {
                // left for gc: an active view no image uses
            }
        });
        return dir;
    }

    private State runIn(State s, Instruction.Run run, List<String> argv, List<String> env, String key, RunSpec.Network net,
                        List<RunSpec.Bind> binds, List<RunSpec.Tmpfs> tmpfs, Map<String, String> args, Request r) throws Exception {
        Descriptor base = manifest(s);
        Manifest m = Manifest.parse(store.read(base.digest()));
        Runner.Image image = new Runner.Image(base.digest().toString(), base.digest(), s.config(), Unpacker.chainIds(m, s.config()));
        Runner.Options o = new Runner.Options("strata-build-" + HexFormat.of().formatHex(random()), argv, "", env, null, null, null, net,
                binds, false, null, null, null, false, false, "runc", List.of(), RunSpec.Dns.HOST, List.of(), List.of(), tmpfs, null, null,
                net == RunSpec.Network.BRIDGE ? r.networkName() : null, List.of(), null, null, null, null);
        Container c = runner.create(image, o);
        // A ^C (or SIGTERM) stops the build, not only the step's command (which, as PID 1 without a
        // handler, would ignore it): the JVM ends, and on its way out removes the step's container
        // with its mounts and network; nothing of the step is cached.
        Thread interrupted = new Thread(() -> {
            try {
                runner.remove(c, true);
            } catch (IOException | RuntimeException e) {
                // the next strata ps shows it; rm -f removes it
            }
        });
        Runtime.getRuntime().addShutdownHook(interrupted);
        try {
            int code = runner.runForeground(c, false, new AttachOptions(AttachOptions.DEFAULT_DETACH_KEYS, false), null);
            if (code != 0) {
                throw new BuildFailure(r.file() + ":" + run.line() + ": RUN " + (run.command().isExec() ? run.command().exec() : run.command().shell())
                        + " failed with exit code " + code, code);
            }
            // created_by as buildah and docker write it: the ARGs in effect first (|N K=V …), then the command.
            String createdBy = (args.isEmpty() ? "" : "|" + args.size() + " " + String.join(" ", args.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList())
                    + " ") + String.join(" ", argv);
            Committer.Committed committed = new Committer(store, snapshotter, runner).commit(c, null, null, List.of(), r.compression(), false, createdBy,
                    r.sourceDateEpoch());
            unpack(committed.manifest());
            State next = state(committed.manifest(), key);
            cache.put(key, committed.manifest().digest());
            return next;
        } finally {
            // One remover: this thread, unless the JVM is ending, when the hook removes it (two at once
            // race, and the JVM halts this thread once the hooks are done).
            boolean exiting = false;
            try {
                Runtime.getRuntime().removeShutdownHook(interrupted);
            } catch (IllegalStateException e) {
                exiting = true;
            }
            if (!exiting) runner.remove(c, true);
        }
    }

    /**
     * A shell-form RUN's script. With here-documents, as BuildKit runs them: a RUN that is only a
     * here-document runs its body as the script; otherwise the shell gets the line with the
     * documents after it, and reads them as it reads any here-document.
     */
    static String script(Instruction.Run run) {
        String line = run.command().shell();
        if (run.heredocs().isEmpty()) return line;
        if (run.heredocs().size() == 1 && line.strip().matches("<<-?[\"']?" + java.util.regex.Pattern.quote(run.heredocs().getFirst().name()) + "[\"']?")) {
            return run.heredocs().getFirst().body();
        }
        StringBuilder script = new StringBuilder(line).append('\n');
        for (Instruction.Heredoc h : run.heredocs()) script.append(h.body()).append(h.name()).append('\n');
        return script.toString();
    }

    // ---- COPY and ADD

    private State copy(State s, Instruction.Copy copy, Map<String, String> vars, char escape, Stages.Plan plan, Map<Integer, State> built,
                       Stages.Stage stage, Request r) throws Exception {
        // --link is taken as it is: the layer is written from the sources alone either way, so its files
        // are the same. --exclude, --parents and --keep-git-dir change what is copied: refused, not ignored.
        for (String flag : copy.flags().keySet()) {
            if (!List.of("from", "chown", "chmod", "checksum", "link").contains(flag) || flag.equals("checksum") && !copy.add()) {
                throw new IllegalArgumentException(r.file() + ":" + copy.line() + ": " + (copy.add() ? "ADD" : "COPY") + " --" + flag + " is not built yet");
            }
        }
        // Here-documents are sources of their own: files named as the document, holding its body.
        List<String> sources = copy.sources().stream().filter(x -> !x.startsWith("<<")).map(x -> Words.expand(x, vars, escape)).toList();
        List<CopySources.Inline> inline = copy.heredocs().stream()
                .map(h -> new CopySources.Inline(h.name(), (h.expand() ? Words.expandHeredoc(h.body(), vars) : h.body()).getBytes(StandardCharsets.UTF_8)))
                .toList();
        boolean urls = copy.add() && sources.stream().anyMatch(x -> x.startsWith("http://") || x.startsWith("https://"));
        if (urls && !sources.stream().allMatch(x -> x.startsWith("http://") || x.startsWith("https://"))) {
            throw new IllegalArgumentException(r.file() + ":" + copy.line() + ": ADD of URLs and files at once is not built: one ADD each");
        }
        if (copy.flags().containsKey("checksum") && (!urls || sources.size() != 1)) {
            throw new IllegalArgumentException(r.file() + ":" + copy.line() + ": ADD --checksum is for one URL");
        }
        String written = Words.expand(copy.destination(), vars, escape);
        String dest = written;
        String workdir = config(s).workingDir() == null || config(s).workingDir().isEmpty() ? "/" : config(s).workingDir();
        if (!dest.startsWith("/")) dest = workdir + (workdir.endsWith("/") ? "" : "/") + dest;
        if (!dest.endsWith("/") && destinationIsDirectory(s, written, dest)) dest = dest + "/";
        CopySources.Attributes attributes = attributes(copy, s, vars, escape, r);
        String from = copy.flags().containsKey("from") ? Words.expand(copy.flags().get("from").getLast(), vars, escape) : null;
        if (urls) {
            // Downloaded into a directory of the store's, named as the URL's last segment, 0600 as docker's; never unpacked.
            Path dir = Files.createTempDirectory(store.root(), "build-add-");
            try {
                List<String> names = new ArrayList<>();
                for (String url : sources) {
                    names.add(Downloads.fetch(url, dir, copy.flags().containsKey("checksum") ? Words.expand(copy.flags().get("checksum").getLast(), vars, escape) : null,
                            r.file() + ":" + copy.line() + ": ADD "));
                }
                return copyFrom(s, copy, dir, IgnorePatterns.none(), names, List.of(), dest, written, attributes, false, r);
            } finally {
                OverlaySnapshotter.deleteTree(dir);
            }
        }
        if (from == null) return copyFrom(s, copy, r.context(), r.ignore(), sources, inline, dest, written, attributes, copy.add(), r);
        // Another stage's tree, or an image's: read through a read-only view of its snapshots.
        List<Digest> chain = chainOf(from, plan, built, stage);
        if (chain.isEmpty()) throw new IllegalArgumentException(r.file() + ":" + copy.line() + ": --from=" + from + " has no files");
        String into = dest;
        return inView(chain.getLast(), dir -> copyFrom(s, copy, dir, IgnorePatterns.none(), sources, inline, into, written,
                new CopySources.Attributes(attributes.uid(), attributes.gid(), attributes.mode(), true), copy.add(), r));
    }

    private interface InView<T> {
        T in(Path rootfs) throws Exception;
    }

    /** {@code work} on a read-only view of the snapshots up to {@code top}, mounted for it and gone after. */
    private <T> T inView(Digest top, InView<T> work) throws Exception {
        String viewKey = "build-view-" + HexFormat.of().formatHex(random());
        Path dir = Files.createTempDirectory(store.root(), "build-view-");
        try {
            snapshotter.view(viewKey, top.toString()).getFirst().mount(dir);
            try {
                return work.in(dir);
            } finally {
                while (Mount.isMountPoint(dir)) Mount.unmount(dir);
            }
        } finally {
            snapshotter.remove(viewKey);
            Files.deleteIfExists(dir);
        }
    }

    /**
     * Whether a COPY's destination is a directory: written so (a trailing /, or . as the last
     * component), or one already in the image (followed as the image's own links lead, never out of it).
     */
    private boolean destinationIsDirectory(State s, String written, String dest) throws Exception {
        if (written.endsWith("/") || written.equals(".") || written.endsWith("/.")) return true;
        if (s.layers().isEmpty()) return false;
        Descriptor d = manifest(s);
        List<Digest> chain = Unpacker.chainIds(Manifest.parse(store.read(d.digest())), s.config());
        return inView(chain.getLast(), dir -> {
            try (var root = io.strata.snapshots.ConfinedDir.open(dir); var found = root.dirInRoot(dest)) {
                return found != null;
            } catch (IOException notADirectory) {
                return false;
            }
        });
    }

    private State copyFrom(State s, Instruction.Copy copy, Path root, IgnorePatterns ignore, List<String> sources, List<CopySources.Inline> inline,
                           String dest, String written, CopySources.Attributes attributes, boolean extract, Request r) throws Exception {
        CopySources files;
        try {
            files = CopySources.resolve(root, ignore, sources, inline, dest, extract);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(r.file() + ":" + copy.line() + ": " + e.getMessage());
        }
        String content = files.digest(attributes);
        String key = key(s.key(), copy.add() ? "ADD" : "COPY", content, dest);
        State hit = hit(key, r);
        if (hit != null) return hit;
        Committer.Layer layer = Committer.storeLayer(store, r.compression(), out -> {
            try (TarWriter tar = new TarWriter(out).clampTimes(r.sourceDateEpoch())) {
                files.write(tar, attributes);
            }
        });
        // buildah's form: the kind of source and its content's digest, then the destination.
        String kind = sources.size() + inline.size() > 1 ? "multi:" : sources.isEmpty() ? "file:" : Files.isDirectory(root.resolve(IgnorePatterns.clean(sources.getFirst()).replaceFirst("^/", "")),
                java.nio.file.LinkOption.NOFOLLOW_LINKS) ? "dir:" : "file:";
        String createdBy = "/bin/sh -c #(nop) " + (copy.add() ? "ADD" : "COPY") + " " + kind + content + " in " + written + " ";
        List<Descriptor> layers = new ArrayList<>(s.layers());
        layers.add(layer.descriptor());
        List<Digest> diffIds = new ArrayList<>(s.config().rootfs().diffIds());
        diffIds.add(layer.diffId());
        List<ImageConfig.History> history = new ArrayList<>(s.config().history());
        history.add(new ImageConfig.History(r.now(), null, createdBy, null, false));
        ImageConfig c = s.config();
        State next = new State(layers, new ImageConfig(r.now(), c.author(), c.architecture(), c.os(), c.osVersion(), c.variant(),
                c.config(), new ImageConfig.RootFs("layers", diffIds), history), key);
        Descriptor d = manifest(next);
        unpack(d);
        cache.put(key, d.digest());
        return next;
    }

    private CopySources.Attributes attributes(Instruction.Copy copy, State s, Map<String, String> vars, char escape, Request r) throws IOException {
        Long uid = null, gid = null;
        Integer mode = null;
        if (copy.flags().containsKey("chown")) {
            String chown = Words.expand(copy.flags().get("chown").getLast(), vars, escape);
            long[] ids = chown(chown, s, r.file() + ":" + copy.line() + ": --chown=" + chown + ": ");
            uid = ids[0];
            gid = ids[1];
        }
        if (copy.flags().containsKey("chmod")) {
            String chmod = copy.flags().get("chmod").getLast();
            if (!chmod.matches("[0-7]{3,4}")) throw new IllegalArgumentException(r.file() + ":" + copy.line() + ": --chmod takes an octal mode, was " + chmod);
            mode = Integer.parseInt(chmod, 8);
        }
        return new CopySources.Attributes(uid, gid, mode, false);
    }

    /**
     * --chown's USER[:GROUP], as docker takes it: ids as they are, names looked up in the image's
     * /etc/passwd and /etc/group (read from a view of its snapshots, confined to them); a user
     * without a group gives its uid as the gid too.
     */
    private long[] chown(String spec, State s, String where) throws IOException {
        int colon = spec.indexOf(':');
        String user = colon < 0 ? spec : spec.substring(0, colon);
        String group = colon < 0 ? null : spec.substring(colon + 1);
        if (user.isEmpty() || group != null && group.isEmpty()) throw new IllegalArgumentException(where + "give USER[:GROUP], names or ids");
        Long uid = id(user), gid = group == null ? uid : id(group);
        if (uid != null && gid != null) return new long[] {uid, gid};
        if (s.layers().isEmpty()) throw new IllegalArgumentException(where + "the image has no /etc/passwd to look names up in (FROM scratch): give ids");
        List<Runnable> afterView = new ArrayList<>();
        try {
            Descriptor d = manifest(s);
            Path root = openView(Unpacker.chainIds(Manifest.parse(store.read(d.digest())), s.config()).getLast(), afterView);
            io.strata.runner.Users.Ids ids = io.strata.runner.Users.resolve(root, group == null ? user : user + ":" + group);
            return new long[] {ids.uid(), group == null ? ids.uid() : ids.gid()};
        } catch (IOException notFound) {
            throw new IllegalArgumentException(where + notFound.getMessage());
        } finally {
            afterView.forEach(Runnable::run);
        }
    }

    private static Long id(String s) {
        return s.matches("[0-9]{1,10}") && Long.parseLong(s) <= 0xFFFFFFFFL ? Long.parseLong(s) : null;
    }

    // ---- images, the cache, snapshots

    /** The state as a stored image: its config and manifest (small blobs) written when missing. */
    private Descriptor manifest(State s) throws IOException {
        byte[] config = s.config().toJson();
        Digest configDigest = Digest.sha256(config);
        if (!store.has(configDigest)) store.put(configDigest, config);
        Manifest m = new Manifest(2, MediaType.OCI_MANIFEST, null, new Descriptor(MediaType.OCI_CONFIG, configDigest, config.length), s.layers(), null, null);
        return store.put(m);
    }

    private State state(Descriptor manifest, String key) throws IOException {
        Manifest m = Manifest.parse(store.read(manifest.digest()));
        return new State(m.layers(), ImageConfig.parse(store.read(m.config().digest())), key);
    }

    private State hit(String key, Request r) throws IOException {
        if (r.noCache()) return null;
        var cached = cache.get(key);
        if (cached.isEmpty() || !store.has(cached.get())) return null;
        Descriptor d = new Descriptor(MediaType.OCI_MANIFEST, cached.get(), Files.size(store.blobPath(cached.get())));
        State s = state(d, key);
        for (Descriptor l : s.layers()) if (!store.has(l.digest())) return null; // collected since: a miss
        unpack(d);
        r.log().println("--> Using cache " + cached.get().toString().substring(7, 19));
        return s;
    }

    /** Unpacks what of an image's layers is not yet a snapshot (a layer just made, or a cached one gc took the snapshot of). */
    private void unpack(Descriptor manifest) throws IOException {
        Manifest m = Manifest.parse(store.read(manifest.digest()));
        ImageConfig config = ImageConfig.parse(store.read(m.config().digest()));
        try (Leases.Lease lease = store.leases().acquire("build " + manifest.digest())) {
            lease.add(m.blobs().stream().map(Descriptor::digest).toList(), List.of());
            new Unpacker(snapshotter, limits, 1, QUIET).unpack(m, config, layer -> Files.newInputStream(store.blobPath(layer.digest())), lease);
        }
    }

    private static final Puller.Events QUIET = new Puller.Events() {
        @Override
        public void layer(Digest digest, String status) {}

        @Override
        public void progress(Digest digest, long done, long total) {}
    };

    private static String key(String... parts) {
        return Digest.sha256(String.join("\n", parts).getBytes(StandardCharsets.UTF_8)).toString().substring(7);
    }

    private static byte[] random() {
        byte[] b = new byte[6];
        new java.security.SecureRandom().nextBytes(b);
        return b;
    }

    /** A step that failed: the build stops, answering the step's exit code. */
    public static final class BuildFailure extends RuntimeException {
        private final int exitCode;

        BuildFailure(String message, int exitCode) {
            super(message);
            this.exitCode = exitCode;
        }

        public int exitCode() {
            return exitCode;
        }
    }
}
