package io.strata.cli;

import io.strata.oci.Descriptor;
import io.strata.oci.ImageConfig;
import io.strata.oci.ImageJson;
import io.strata.oci.Index;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import io.strata.oci.Platform;
import io.strata.oci.Reference;
import io.strata.remote.RegistryClient;
import io.strata.remote.RegistryException;
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
 * Reads and writes of a registry without pulling, as skopeo (inspect, list-tags, delete) and crane
 * (digest, catalog, ls) do them: the same transport, credentials (strata login) and TLS rules as
 * pull. A reference may carry skopeo's {@code docker://} transport name or not.
 */
final class RemoteCommands {
    private RemoteCommands() {}

    /** A registry reference, with or without {@code docker://}; other transports are named as what they are not. */
    static Reference reference(String text) {
        String ref = text.startsWith("docker://") ? text.substring("docker://".length()) : text;
        if (ref.contains("://")) throw new IllegalArgumentException("unknown transport in " + text + ": this verb reads registries (docker://REF)");
        for (String other : List.of("oci:", "oci-archive:", "docker-archive:", "strata:", "containers-storage:", "dir:")) {
            if (ref.startsWith(other)) throw new IllegalArgumentException(text + " is not in a registry: this verb reads docker://REF");
        }
        try {
            return Reference.parse(ref);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid reference " + text + ": " + e.getMessage());
        }
    }

    static RegistryClient client(RemoteOptions remote, Reference ref) {
        return remote.client(ref.registry(), notice -> System.err.println("strata: " + notice));
    }

    /** The manifest a reference names: by digest when it has one, else by tag. */
    static RegistryClient.Fetched manifest(RegistryClient client, Reference ref) throws java.io.IOException {
        return client.manifest(ref.repository(), ref.digest() != null ? ref.digest().toString() : ref.tag().value());
    }

    /** An index's entry for {@code platform}, fetched; an image manifest as it is. */
    static RegistryClient.Fetched forPlatform(RegistryClient client, Reference ref, RegistryClient.Fetched m, Platform platform)
            throws java.io.IOException {
        if (!MediaType.INDEXES.contains(m.mediaType())) return m;
        Index index = Index.parse(m.content());
        Descriptor chosen = index.select(platform).orElseThrow(() -> new IllegalArgumentException(
                "no " + platform + " image in " + ref + " (it has: " + String.join(", ", index.platforms()) + ")"));
        return client.manifest(ref.repository(), chosen.digest().toString());
    }

    /** strata tags REPO: skopeo list-tags, crane ls. */
    @Command(name = "tags", mixinStandardHelpOptions = true, description = "List a repository's tags in its registry (every page), without pulling.")
    static final class Tags implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Mixin
        RemoteOptions remote;

        @Parameters(paramLabel = "REPOSITORY", description = "registry/name, or docker://registry/name (a tag or digest given is ignored).")
        String repository;

        @Override
        public Integer call() throws Exception {
            String format = options.format();
            Reference ref = reference(repository);
            List<String> tags = client(remote, ref).allTags(ref.repository());
            if ("json".equals(format)) {
                // skopeo list-tags' form.
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("Repository", ref.registry() + "/" + ref.repository());
                out.put("Tags", tags);
                System.out.println(ImageJson.plain().writerWithDefaultPrettyPrinter().writeValueAsString(out));
            } else if (format != null) {
                throw new IllegalArgumentException("--format is json here, or none for a tag a line");
            } else {
                StringBuilder out = new StringBuilder();
                for (String t : tags) out.append(t).append('\n');
                System.out.print(out);
            }
            return 0;
        }
    }

    /** strata digest REF: crane digest. */
    @Command(name = "digest", mixinStandardHelpOptions = true, description = "Print the digest of the manifest a reference names in its registry.")
    static final class DigestCommand implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Mixin
        RemoteOptions remote;

        @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "Of an index, the digest of this platform's image instead.")
        String platform;

        @Parameters(paramLabel = "REFERENCE", description = "registry/name:tag or @digest, docker:// or not.")
        String reference;

        @Override
        public Integer call() throws Exception {
            Reference ref = reference(reference);
            RegistryClient client = client(remote, ref);
            if (platform == null && ref.digest() == null) {
                // HEAD first (it does not count against pull limits), GET when the registry gives no digest.
                var head = client.manifestDigest(ref.repository(), ref.tag().value());
                if (head.isPresent()) {
                    System.out.println(head.get());
                    return 0;
                }
            }
            RegistryClient.Fetched m = manifest(client, ref);
            if (platform != null) m = forPlatform(client, ref, m, Platform.parse(platform));
            System.out.println(m.digest());
            return 0;
        }
    }

    /** strata catalog REGISTRY: crane catalog. */
    @Command(name = "catalog", mixinStandardHelpOptions = true, description = "List the repositories of a registry (every page).")
    static final class Catalog implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Mixin
        RemoteOptions remote;

        @Parameters(paramLabel = "REGISTRY", description = "host[:port], docker:// or not.")
        String registry;

        @Override
        public Integer call() throws Exception {
            String host = registry.startsWith("docker://") ? registry.substring("docker://".length()) : registry;
            if (host.endsWith("/")) host = host.substring(0, host.length() - 1);
            if (host.isEmpty() || host.contains("/")) throw new IllegalArgumentException("a registry is host[:port], was " + registry);
            Reference ref = reference(host + "/catalog");
            StringBuilder out = new StringBuilder();
            for (String r : client(remote, ref).catalog()) out.append(r).append('\n');
            System.out.print(out);
            return 0;
        }
    }

    /** strata delete docker://REF: skopeo delete (a digest) and OCI 1.1's tag deletion (a tag). */
    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete a manifest (by digest: every tag naming it goes too) "
            + "or a tag alone from its registry.")
    static final class Delete implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Mixin
        RemoteOptions remote;

        @Parameters(paramLabel = "REFERENCE", description = "docker://registry/name@digest, or :tag.")
        String reference;

        @Override
        public Integer call() throws Exception {
            Reference ref = reference(reference);
            String target = ref.digest() != null ? ref.digest().toString() : ref.tag().value();
            try {
                client(remote, ref).delete(ref.repository(), target);
            } catch (RegistryException e) {
                if (ref.digest() == null && (e.status() == 400 || e.status() == 405)) {
                    throw new IllegalArgumentException(ref.registry() + " does not delete a tag alone (" + e.getMessage() + "): delete the manifest"
                            + " by its digest (strata digest " + reference + "), which removes every tag naming it");
                }
                throw e;
            }
            return 0;
        }
    }

    /** skopeo inspect's output: the image's name, digest, tags, platform, labels, layers and env, from the registry. */
    static Map<String, Object> inspect(RegistryClient client, Reference ref, RegistryClient.Fetched image, boolean withTags) throws java.io.IOException {
        Manifest m = Manifest.parse(image.content());
        ImageConfig config = ImageConfig.parse(client.blobBytes(ref.repository(), m.config()));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("Name", ref.registry() + "/" + ref.repository());
        out.put("Digest", image.digest().toString());
        if (withTags) out.put("RepoTags", client.allTags(ref.repository()));
        out.put("Created", config.created());
        ImageConfig.Config c = config.config();
        out.put("Labels", c == null || c.labels() == null ? null : c.labels());
        out.put("Architecture", config.architecture());
        out.put("Os", config.os());
        if (config.variant() != null) out.put("Variant", config.variant());
        List<String> layers = new ArrayList<>();
        List<Map<String, Object>> data = new ArrayList<>();
        for (Descriptor l : m.layers()) {
            layers.add(l.digest().toString());
            Map<String, Object> d = new LinkedHashMap<>();
            d.put("MIMEType", l.mediaType());
            d.put("Digest", l.digest().toString());
            d.put("Size", l.size());
            d.put("Annotations", l.annotations());
            data.add(d);
        }
        out.put("Layers", layers);
        out.put("LayersData", data);
        out.put("Env", c == null ? null : c.env());
        return out;
    }
}
