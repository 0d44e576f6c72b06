package io.strata.cli;

import io.strata.client.Artifacts;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.Reference;
import io.strata.remote.RegistryClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * OCI 1.1 artifacts as oras handles them: push files with an artifact type (and a subject, which
 * makes the artifact a referrer: a signature, an SBOM), pull them back, attach to an image, and
 * discover what refers to an image. Registries without the referrers API are served by the
 * spec's fallback tag, written and read alike (see {@link Artifacts}).
 */
final class ArtifactCommands {
    private ArtifactCommands() {}

    /** oras's default media type of a file. */
    static final String FILE_TYPE = "application/vnd.oci.image.layer.v1.tar";

    @Command(name = "artifact", mixinStandardHelpOptions = true, description = "Push, pull and attach OCI artifacts (files with an artifact type).",
            subcommands = {PushArtifact.class, PullArtifact.class, Attach.class})
    static final class Group {}

    /** FILE[:MEDIATYPE]: the part after the last colon is a media type when it has a slash. */
    static Artifacts.File file(String spec) {
        int colon = spec.lastIndexOf(':');
        if (colon > 0 && spec.substring(colon + 1).contains("/")) {
            return new Artifacts.File(Path.of(spec.substring(0, colon)), spec.substring(colon + 1));
        }
        return new Artifacts.File(Path.of(spec), FILE_TYPE);
    }

    /** The manifest {@code ref} names, as a subject descriptor (media type, digest, size). */
    static Descriptor subject(RegistryClient client, Reference ref) throws java.io.IOException {
        RegistryClient.Fetched m = RemoteCommands.manifest(client, ref);
        return new Descriptor(m.mediaType(), m.digest(), m.content().length);
    }

    /** The options push and attach share. */
    static final class ArtifactOptions {
        @Option(names = "--artifact-type", paramLabel = "TYPE", required = true, description = "The artifact's type (a media type, e.g. application/vnd.example.sbom+json).")
        String artifactType;

        @Option(names = "--annotation", paramLabel = "KEY=VALUE", description = "An annotation on the artifact's manifest.")
        List<String> annotations = new ArrayList<>();

        Map<String, String> annotations() {
            return ManifestCommands.annotations(annotations);
        }
    }

    /** Pushes under {@code tag} (null: by digest alone). */
    static int push(RemoteOptions remote, Reference ref, String tag, List<String> files, ArtifactOptions o, Optional<Reference> subjectRef) throws Exception {
        RegistryClient client = RemoteCommands.client(remote, ref);
        Optional<Descriptor> subject = Optional.empty();
        if (subjectRef.isPresent()) {
            if (!subjectRef.get().registry().equals(ref.registry()) || !subjectRef.get().repository().equals(ref.repository())) {
                throw new IllegalArgumentException("an artifact refers to an image of its own repository: " + subjectRef.get() + " is not in "
                        + ref.registry() + "/" + ref.repository());
            }
            subject = Optional.of(subject(client, subjectRef.get()));
        }
        List<Artifacts.File> parsed = files.stream().map(ArtifactCommands::file).toList();
        Artifacts.Pushed pushed = Artifacts.push(client, ref, tag, parsed, o.artifactType, o.annotations(), subject, 64L << 20);
        if (subject.isPresent() && !pushed.referrersApi()) {
            System.err.println("strata: " + ref.registry() + " has no referrers API: the referrer was added to the tag "
                    + subject.get().digest().algorithm().id() + "-" + subject.get().digest().encoded() + " (the spec's fallback)");
        }
        System.out.println(pushed.manifest().digest());
        return 0;
    }

    @Command(name = "push", mixinStandardHelpOptions = true, description = "Push files as an artifact (the empty config, a layer a file, named by its title).")
    static final class PushArtifact implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Mixin
        RemoteOptions remote;

        @Mixin
        ArtifactOptions artifact;

        @Option(names = "--subject", paramLabel = "REF", description = "The image the artifact refers to (same repository), making it one of its referrers.")
        String subject;

        @Parameters(index = "0", paramLabel = "REF", description = "Where to push: registry/name:tag (docker:// or not).")
        String reference;

        @Parameters(index = "1..*", paramLabel = "FILE[:MEDIATYPE]", description = "Files (default media type " + FILE_TYPE + ").")
        List<String> files = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            Reference ref = RemoteCommands.reference(reference);
            if (ref.digest() != null) throw new IllegalArgumentException("push an artifact to a tag (its digest is known once it is made), or attach it with --subject");
            return push(remote, ref, ref.tag().value(), files, artifact, Optional.ofNullable(subject).map(RemoteCommands::reference));
        }
    }

    @Command(name = "attach", mixinStandardHelpOptions = true, description = "Attach files to an image as a referrer (pushed by digest to its repository).")
    static final class Attach implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Mixin
        RemoteOptions remote;

        @Mixin
        ArtifactOptions artifact;

        @Option(names = "--subject", paramLabel = "REF", required = true, description = "The image to attach to.")
        String subject;

        @Parameters(paramLabel = "FILE[:MEDIATYPE]", arity = "0..*", description = "Files (default media type " + FILE_TYPE + ").")
        List<String> files = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            Reference s = RemoteCommands.reference(subject);
            // By digest: an attached artifact has no tag of its own, as oras attach pushes it.
            return push(remote, s, null, files, artifact, Optional.of(s));
        }
    }

    @Command(name = "pull", mixinStandardHelpOptions = true, description = "Pull an artifact's files into a directory.")
    static final class PullArtifact implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Mixin
        RemoteOptions remote;

        @Option(names = {"-o", "--output"}, paramLabel = "DIR", description = "Where the files go (default: the current directory).")
        Path output = Path.of(".");

        @Parameters(paramLabel = "REF", description = "The artifact: registry/name:tag or @digest.")
        String reference;

        @Override
        public Integer call() throws Exception {
            Reference ref = RemoteCommands.reference(reference);
            for (Path p : Artifacts.pull(RemoteCommands.client(remote, ref), ref, output)) System.out.println(p);
            return 0;
        }
    }

    /** strata discover REF: the tree of what refers to an image (and to those, in turn). */
    @Command(name = "discover", mixinStandardHelpOptions = true, description = "Show what refers to an image: signatures, SBOMs and other artifacts, as a tree.")
    static final class Discover implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Mixin
        RemoteOptions remote;

        @Option(names = "--artifact-type", paramLabel = "TYPE", description = "Only referrers of this type (at the first level).")
        String artifactType;

        @Parameters(paramLabel = "REF", description = "The image: registry/name:tag or @digest.")
        String reference;

        @Override
        public Integer call() throws Exception {
            String format = options.format();
            if (format != null && !format.equals("json") && !format.equals("tree")) throw new IllegalArgumentException("--format is tree (the default) or json");
            Reference ref = RemoteCommands.reference(reference);
            RegistryClient client = RemoteCommands.client(remote, ref);
            Descriptor root = subject(client, ref);
            List<Map<String, Object>> tree = tree(client, ref, root.digest(), artifactType, 0);
            if ("json".equals(format)) {
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("reference", ref.registry() + "/" + ref.repository() + "@" + root.digest());
                out.put("mediaType", root.mediaType());
                out.put("digest", root.digest().toString());
                out.put("size", root.size());
                out.put("referrers", tree);
                System.out.println(io.strata.oci.ImageJson.plain().writerWithDefaultPrettyPrinter().writeValueAsString(out));
            } else {
                StringBuilder b = new StringBuilder(ref.registry() + "/" + ref.repository() + "@" + root.digest() + "\n");
                print(tree, "", b);
                System.out.print(b);
            }
            return 0;
        }

        /** Each referrer with its own referrers, to a depth that ends a cycle a hostile registry might make. */
        private static List<Map<String, Object>> tree(RegistryClient client, Reference ref, Digest subject, String type, int depth) throws java.io.IOException {
            List<Map<String, Object>> out = new ArrayList<>();
            if (depth > 8) return out;
            for (Descriptor d : Artifacts.referrers(client, ref, subject, depth == 0 ? type : null)) {
                Map<String, Object> node = new LinkedHashMap<>();
                node.put("artifactType", d.artifactType());
                node.put("mediaType", d.mediaType());
                node.put("digest", d.digest().toString());
                node.put("size", d.size());
                if (!d.annotations().isEmpty()) node.put("annotations", d.annotations());
                node.put("referrers", tree(client, ref, d.digest(), null, depth + 1));
                out.add(node);
            }
            return out;
        }

        @SuppressWarnings("unchecked")
        private static void print(List<Map<String, Object>> nodes, String indent, StringBuilder b) {
            for (int i = 0; i < nodes.size(); i++) {
                Map<String, Object> n = nodes.get(i);
                boolean last = i == nodes.size() - 1;
                b.append(indent).append(last ? "└── " : "├── ").append(n.get("artifactType") == null ? n.get("mediaType") : n.get("artifactType"))
                        .append(' ').append(n.get("digest")).append('\n');
                print((List<Map<String, Object>>) n.get("referrers"), indent + (last ? "    " : "│   "), b);
            }
        }
    }
}
