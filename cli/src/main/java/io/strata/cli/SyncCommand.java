package io.strata.cli;

import io.strata.client.Copier;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.Platform;
import io.strata.oci.Reference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * strata sync SOURCE DESTINATION, as skopeo sync mirrors: every tag of a repository (or those
 * --tags matches, or the one named) to a registry namespace or an OCI layout directory, each image
 * under the repository's last name component (skopeo's layout without --scoped). A tag whose
 * destination already names the image it would get moves nothing; the others are copied as strata
 * copy copies (blobs there skipped, mounted or streamed).
 */
@Command(name = "sync", mixinStandardHelpOptions = true, description = "Mirror a repository's tags to a registry or an OCI layout; "
        + "only what is missing moves.")
final class SyncCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Mixin
    RemoteOptions remote;

    @Option(names = "--tags", paramLabel = "REGEX", description = "Only the tags this regular expression matches whole.")
    String tags;

    @Option(names = "--dry-run", description = "Say what would be copied; copy nothing.")
    boolean dryRun;

    @Option(names = "--keep-going", description = "Go on past a tag that fails; list the failures at the end (exit 1).")
    boolean keepGoing;

    @Option(names = {"-a", "--all"}, description = "Of an index: copy it with every image it names (default: this host's image).")
    boolean all;

    @Parameters(index = "0", paramLabel = "SOURCE", description = "docker://REGISTRY/REPOSITORY (every tag), or docker://…:TAG (that one).")
    String source;

    @Parameters(index = "1", paramLabel = "DESTINATION", description = "docker://REGISTRY[/NAMESPACE], or oci:DIR (a layout a repository).")
    String destination;

    @Override
    public Integer call() throws Exception {
        if (!source.startsWith("docker://")) throw new IllegalArgumentException("the source is docker://REGISTRY/REPOSITORY[:TAG], was " + source);
        String repoText = source.substring("docker://".length());
        boolean oneTag = repoText.substring(repoText.lastIndexOf('/') + 1).contains(":") || repoText.contains("@");
        Reference repo = RemoteCommands.reference(source);
        String name = repo.repository().value().substring(repo.repository().value().lastIndexOf('/') + 1);
        Pattern only = tags == null ? null : Pattern.compile(tags);
        var src = RemoteCommands.client(remote, repo);
        List<String> wanted = oneTag ? List.of(repo.tag() != null ? repo.tag().value() : repo.digest().toString()) : src.allTags(repo.repository());
        if (only != null) wanted = wanted.stream().filter(t -> only.matcher(t).matches()).toList();

        var options = new Copier.Options(Platform.host(), false, all, 4, 64L << 20);
        // Tags are checked and copied four at a time (each copy moves its blobs four at a time too);
        // their lines are printed in the tags' order.
        List<java.util.concurrent.Future<Outcome>> outcomes = new ArrayList<>();
        var slots = new java.util.concurrent.Semaphore(4);
        var stop = new java.util.concurrent.atomic.AtomicBoolean(); // a failure without --keep-going: the tags not begun are left
        try (ProgressDisplay progress = ProgressDisplay.open(true); var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            for (String tag : wanted) {
                outcomes.add(threads.submit(() -> {
                    slots.acquire();
                    try {
                        if (stop.get()) return null;
                        return sync(src, repo, name, tag, options, progress);
                    } catch (Exception e) {
                        if (!keepGoing) {
                            stop.set(true);
                            throw e;
                        }
                        return new Outcome(tag + ": failed: " + Errors.describe(e), 0, 0, tag + ": " + Errors.describe(e));
                    } finally {
                        slots.release();
                    }
                }));
            }
        }
        int copied = 0, current = 0;
        List<String> failed = new ArrayList<>();
        for (var f : outcomes) {
            Outcome o;
            try {
                o = f.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
            if (o == null) continue; // not begun: an earlier tag failed
            System.out.println(o.line());
            copied += o.copied();
            current += o.current();
            if (o.failure() != null) failed.add(o.failure());
        }
        System.out.println((dryRun ? "would copy " : "copied ") + copied + ", up to date " + current + (failed.isEmpty() ? "" : ", failed " + failed.size()));
        if (!failed.isEmpty()) {
            for (String f : failed) System.err.println("strata: " + f);
            return 1;
        }
        return 0;
    }

    /** What became of one tag: its line, and what it counts for. */
    private record Outcome(String line, int copied, int current, String failure) {}

    /** One tag: up to date (the destination names the manifest it would get), or (unless --dry-run) copied. */
    private Outcome sync(io.strata.remote.RegistryClient src, Reference repo, String name, String tag, Copier.Options options, ProgressDisplay progress)
            throws Exception {
        String ref = repo.registry() + "/" + repo.repository() + (tag.contains(":") ? "@" : ":") + tag;
        Copier.Endpoint from = new Copier.Registry(src, Reference.parse(ref));
        Copier.Endpoint to = destination(name, tag);
        Descriptor will = Copier.resolve(from, options);
        Optional<Digest> there = Copier.current(to);
        if (there.isPresent() && there.get().equals(will.digest())) return new Outcome(tag + ": up to date (" + will.digest() + ")", 0, 1, null);
        if (dryRun) return new Outcome(tag + ": would copy " + will.digest() + " to " + describe(name, tag), 1, 0, null);
        Copier.Result r = new Copier(progress).copy(from, to, options);
        return new Outcome(tag + ": copied " + r.manifest().digest() + " to " + describe(name, tag) + " (" + r.copied() + " blobs moved, "
                + r.skipped() + " there, " + r.mounted() + " mounted)", 1, 0, null);
    }

    private synchronized Copier.Endpoint destination(String name, String tag) throws Exception {
        if (destination.startsWith("oci:")) {
            Path dir = Path.of(destination.substring(4)).resolve(name);
            Files.createDirectories(dir);
            return new Copier.Layout(new LayoutStore(dir), tag);
        }
        if (!destination.startsWith("docker://")) throw new IllegalArgumentException("the destination is docker://REGISTRY[/NAMESPACE] or oci:DIR, was " + destination);
        String prefix = destination.substring("docker://".length()).replaceAll("/+$", "");
        Reference ref = RemoteCommands.reference(prefix + "/" + name + (tag.contains(":") ? "@" : ":") + tag);
        if (destClient == null) destClient = RemoteCommands.client(remote, ref); // one client, one token cache, for every tag
        return new Copier.Registry(destClient, ref);
    }

    private io.strata.remote.RegistryClient destClient;

    private String describe(String name, String tag) {
        return destination.replaceAll("/+$", "") + "/" + name + (tag.contains(":") ? "@" : ":") + tag;
    }
}
