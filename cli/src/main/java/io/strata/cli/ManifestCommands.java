package io.strata.cli;

import io.strata.client.Copier;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.ImageConfig;
import io.strata.oci.Index;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import io.strata.oci.Platform;
import io.strata.oci.Reference;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * strata manifest: multi-platform images made in the store, as podman's and docker's manifest verbs
 * make them. A list is an OCI image index stored under its name; each image it names is in the store
 * (a {@code docker://} image added is copied in, blobs and all, not unpacked), so a push has all it needs.
 */
@Command(name = "manifest", mixinStandardHelpOptions = true, description = "Make, change, read and push multi-platform images (image indexes).",
        subcommands = {ManifestCommands.Create.class, ManifestCommands.Add.class, ManifestCommands.Annotate.class, ManifestCommands.Inspect.class,
                ManifestCommands.Rm.class, ManifestCommands.Push.class})
final class ManifestCommands {
    private ManifestCommands() {}

    /** The list a name gives: an index in the store, or a clear refusal. */
    static LocalImage list(LayoutStore store, String name) throws IOException {
        LocalImage found;
        try {
            found = LocalImage.find(store, name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("no manifest list " + name + ": make one with strata manifest create " + name);
        }
        if (!MediaType.INDEXES.contains(found.manifest().mediaType())) {
            throw new IllegalArgumentException(name + " is an image, not a manifest list");
        }
        return found;
    }

    /** Stores {@code index} and names it {@code name}. */
    static Descriptor save(LayoutStore store, String name, Index index) throws IOException {
        byte[] bytes = index.toJson(false);
        Descriptor d = new Descriptor(MediaType.OCI_INDEX, Digest.sha256(bytes), bytes.length);
        store.put(d.digest(), bytes);
        store.tag(name, d);
        return d;
    }

    /** The entry for an image: its manifest, and the platform its config says, with the flags' corrections. */
    static Descriptor entry(LayoutStore store, Descriptor image, String os, String arch, String variant, Map<String, String> annotations)
            throws IOException {
        Manifest m = Manifest.parse(store.read(image.digest()));
        Platform p = null;
        if (MediaType.IMAGE_CONFIGS.contains(m.config().mediaType())) p = ImageConfig.parse(store.read(m.config().digest())).platform();
        String o = os != null ? os : p == null ? null : p.os();
        String a = arch != null ? arch : p == null ? null : p.architecture();
        String v = variant != null ? variant : p == null ? null : p.variant();
        Platform platform = o == null || a == null ? null : new Platform(o, a, v);
        return new Descriptor(image.mediaType(), image.digest(), image.size(), null, annotations.isEmpty() ? null : annotations, null, platform);
    }

    /** An image for a list: a stored one, or docker://REF copied into the store (one platform's, --platform's or this host's). */
    static Descriptor image(ClientOptions options, RemoteOptions remote, LayoutStore store, String text, Platform platform) throws Exception {
        if (text.startsWith("docker://")) {
            Reference ref = RemoteCommands.reference(text);
            try (ProgressDisplay progress = ProgressDisplay.open(options.quiet())) {
                return new Copier(progress).copy(new Copier.Registry(RemoteCommands.client(remote, ref), ref), new Copier.Layout(store, null),
                        new Copier.Options(platform == null ? Platform.host() : platform, platform != null, false, 4, 64L << 20)).manifest();
            }
        }
        Descriptor d = LocalImage.find(store, text).manifest();
        if (MediaType.INDEXES.contains(d.mediaType())) throw new IllegalArgumentException(text + " is a manifest list: add its images one by one");
        return d;
    }

    static Map<String, String> annotations(List<String> pairs) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String p : pairs) {
            int eq = p.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("an annotation is KEY=VALUE, was " + p);
            out.put(p.substring(0, eq), p.substring(eq + 1));
        }
        return out;
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Make a manifest list, empty or of the images given.")
    static final class Create implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Mixin
        RemoteOptions remote;

        @Option(names = "--amend", description = "Add to the list of that name if there is one (else: refused).")
        boolean amend;

        @Parameters(index = "0", paramLabel = "LIST", description = "The list's name.")
        String name;

        @Parameters(index = "1..*", paramLabel = "IMAGE", description = "Images to add: stored names, or docker://REF.")
        List<String> images = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            LayoutStore store = options.store();
            String n = LocalImage.normalise(name);
            if (n == null) throw new IllegalArgumentException("invalid list name " + name);
            List<Descriptor> entries = new ArrayList<>();
            if (store.resolve(n).isPresent()) {
                if (!amend) throw new IllegalArgumentException(name + " exists: --amend adds to it, strata manifest rm removes it");
                entries.addAll(Index.parse(store.read(list(store, n).manifest().digest())).manifests());
            }
            for (String image : images) entries.add(entry(store, image(options, remote, store, image, null), null, null, null, Map.of()));
            Descriptor d = save(store, n, new Index(2, MediaType.OCI_INDEX, null, entries, null, null));
            System.out.println(d.digest());
            return 0;
        }
    }

    @Command(name = "add", mixinStandardHelpOptions = true, description = "Add an image to a manifest list, with its platform (from its config, "
            + "or as given).")
    static final class Add implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Mixin
        RemoteOptions remote;

        @Option(names = "--os", paramLabel = "OS", description = "The entry's os (default: the image config's).")
        String os;

        @Option(names = "--arch", paramLabel = "ARCH", description = "The entry's architecture (default: the image config's).")
        String arch;

        @Option(names = "--variant", paramLabel = "VARIANT", description = "The entry's variant (default: the image config's).")
        String variant;

        @Option(names = "--annotation", paramLabel = "KEY=VALUE", description = "An annotation on the entry.")
        List<String> annotations = new ArrayList<>();

        @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "Of docker://REF naming an index: the image to take.")
        String platform;

        @Parameters(index = "0", paramLabel = "LIST", description = "The list.")
        String name;

        @Parameters(index = "1", paramLabel = "IMAGE", description = "A stored image, or docker://REF.")
        String image;

        @Override
        public Integer call() throws Exception {
            LayoutStore store = options.store();
            LocalImage l = list(store, name);
            Descriptor d = image(options, remote, store, image, platform == null ? null : Platform.parse(platform));
            Index index = Index.parse(store.read(l.manifest().digest()));
            List<Descriptor> entries = new ArrayList<>();
            for (Descriptor e : index.manifests()) if (!e.digest().equals(d.digest())) entries.add(e); // added again: replaced
            entries.add(entry(store, d, os, arch, variant, annotations(annotations)));
            save(store, l.name(), new Index(2, MediaType.OCI_INDEX, index.artifactType(), entries, index.subject(), index.annotations()));
            System.out.println(d.digest());
            return 0;
        }
    }

    @Command(name = "annotate", mixinStandardHelpOptions = true, description = "Change an entry of a manifest list: its platform and annotations.")
    static final class Annotate implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Option(names = "--os", paramLabel = "OS", description = "The entry's os.")
        String os;

        @Option(names = "--arch", paramLabel = "ARCH", description = "The entry's architecture.")
        String arch;

        @Option(names = "--variant", paramLabel = "VARIANT", description = "The entry's variant.")
        String variant;

        @Option(names = "--annotation", paramLabel = "KEY=VALUE", description = "An annotation on the entry.")
        List<String> annotations = new ArrayList<>();

        @Option(names = "--index", description = "Annotate the list itself rather than an entry (no IMAGE then).")
        boolean onIndex;

        @Parameters(index = "0", paramLabel = "LIST", description = "The list.")
        String name;

        @Parameters(index = "1", arity = "0..1", paramLabel = "IMAGE", description = "The entry: its digest, or a stored image's name.")
        String image;

        @Override
        public Integer call() throws Exception {
            LayoutStore store = options.store();
            LocalImage l = list(store, name);
            Index index = Index.parse(store.read(l.manifest().digest()));
            Map<String, String> given = annotations(annotations);
            if (onIndex) {
                if (image != null || os != null || arch != null || variant != null) throw new IllegalArgumentException("--index takes --annotation alone, and no IMAGE");
                Map<String, String> merged = new LinkedHashMap<>(index.annotations());
                merged.putAll(given);
                save(store, l.name(), new Index(2, MediaType.OCI_INDEX, index.artifactType(), index.manifests(), index.subject(), merged));
                return 0;
            }
            if (image == null) throw new IllegalArgumentException("which entry: give its digest, or a stored image's name");
            Digest digest = image.startsWith("sha256:") ? Digest.parse(image) : LocalImage.find(store, image).manifest().digest();
            List<Descriptor> entries = new ArrayList<>();
            boolean found = false;
            for (Descriptor e : index.manifests()) {
                if (!e.digest().equals(digest)) {
                    entries.add(e);
                    continue;
                }
                found = true;
                Platform p = e.platform();
                String o = os != null ? os : p == null ? null : p.os();
                String a = arch != null ? arch : p == null ? null : p.architecture();
                String v = variant != null ? variant : p == null ? null : p.variant();
                Map<String, String> merged = new LinkedHashMap<>(e.annotations());
                merged.putAll(given);
                entries.add(new Descriptor(e.mediaType(), e.digest(), e.size(), e.urls(), merged, e.artifactType(),
                        o == null || a == null ? p : new Platform(a, o, p == null ? null : p.osVersion(), p == null ? null : p.osFeatures(), v)));
            }
            if (!found) throw new IllegalArgumentException(name + " has no entry " + digest);
            save(store, l.name(), new Index(2, MediaType.OCI_INDEX, index.artifactType(), entries, index.subject(), index.annotations()));
            return 0;
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true, description = "Print a manifest list (stored, or docker://REF from its registry) as JSON.")
    static final class Inspect implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Mixin
        RemoteOptions remote;

        @Parameters(paramLabel = "LIST", description = "A stored list, or docker://REF.")
        String name;

        @Override
        public Integer call() throws Exception {
            byte[] bytes;
            if (name.startsWith("docker://")) {
                Reference ref = RemoteCommands.reference(name);
                bytes = RemoteCommands.manifest(RemoteCommands.client(remote, ref), ref).content();
            } else {
                LayoutStore store = options.store();
                bytes = store.read(list(store, name).manifest().digest());
            }
            System.out.println(io.strata.oci.ImageJson.plain().writerWithDefaultPrettyPrinter()
                    .writeValueAsString(io.strata.oci.ImageJson.plain().readTree(bytes)));
            return 0;
        }
    }

    @Command(name = "rm", mixinStandardHelpOptions = true, description = "Remove manifest lists (their images stay).")
    static final class Rm implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Parameters(paramLabel = "LIST", arity = "1..*", description = "The lists.")
        List<String> names;

        @Override
        public Integer call() throws Exception {
            LayoutStore store = options.store();
            for (String n : names) {
                LocalImage l = list(store, n);
                store.untag(l.name());
                System.out.println(l.manifest().digest());
            }
            return 0;
        }
    }

    @Command(name = "push", mixinStandardHelpOptions = true, description = "Push a manifest list and the images it names to a registry.")
    static final class Push implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Mixin
        RemoteOptions remote;

        @Option(names = "--all", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
                description = "Push the images with the list (default true, as podman's; false: the registry must have them).")
        boolean all = true;

        @Parameters(index = "0", paramLabel = "LIST", description = "The stored list.")
        String name;

        @Parameters(index = "1", arity = "0..1", paramLabel = "DESTINATION", description = "docker://REF or REF (default: the list's own name).")
        String destination;

        @Override
        public Integer call() throws Exception {
            LayoutStore store = options.store();
            LocalImage l = list(store, name);
            Reference ref = RemoteCommands.reference(destination != null ? destination : l.name());
            var client = RemoteCommands.client(remote, ref);
            Index index = Index.parse(store.read(l.manifest().digest()));
            try (ProgressDisplay progress = ProgressDisplay.open(options.quiet())) {
                Copier copier = new Copier(progress);
                var opts = new Copier.Options(Platform.host(), false, true, 4, 64L << 20);
                if (all) {
                    copier.copy(new Copier.Layout(store, l.name()), new Copier.Registry(client, ref), opts);
                } else {
                    for (Descriptor e : index.manifests()) {
                        try {
                            client.manifestDigest(ref.repository(), e.digest().toString());
                        } catch (io.strata.remote.RegistryException missing) {
                            if (missing.status() != 404) throw missing;
                            throw new IllegalArgumentException(ref.registry() + "/" + ref.repository() + " lacks " + e.digest() + ": push with --all");
                        }
                    }
                    byte[] bytes = store.read(l.manifest().digest());
                    client.putManifest(ref.repository(), ref.tag() != null ? ref.tag().value() : l.manifest().digest().toString(),
                            l.manifest().mediaType(), bytes, l.manifest().digest());
                }
            }
            System.out.println(l.manifest().digest());
            return 0;
        }
    }
}
