package io.strata.cli;

import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.ImageJson;
import io.strata.oci.JsonIn;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * strata inspect NAME: a container or a stored image, as docker inspect shows them (its member names:
 * {{.State.Status}}, {{.Architecture}}, {{.Config.Cmd}}); an image also with its manifest and config as
 * stored ({{.manifest.layers}}, {{.config.rootfs}}).
 */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a container or a stored image as docker inspect does (JSON, or --format '{{.State.Status}}', '{{.Architecture}}').")
final class InspectCommand implements Callable<Integer> {

    @Mixin
    ClientOptions options;

    @Parameters(paramLabel = "NAME", description = "A container's name or ID, or a name, reference or ID from strata images.")
    String reference;

    @picocli.CommandLine.Option(names = "--type", paramLabel = "container|image", description = "Only look for this kind.")
    String type;

    @Mixin
    RemoteOptions remote;

    @picocli.CommandLine.Option(names = "--raw", description = "Of docker://REF: the manifest (or index) as the registry serves it.")
    boolean raw;

    @picocli.CommandLine.Option(names = "--config", description = "Of docker://REF: the image's config blob.")
    boolean config;

    @picocli.CommandLine.Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "Of docker://REF naming an index: "
            + "this platform's image (default: this host's).")
    String platform;

    @picocli.CommandLine.Option(names = {"-n", "--no-tags"}, description = "Of docker://REF: leave out the repository's tags (skopeo's RepoTags).")
    boolean noTags;

    /** skopeo inspect: a registry's image read without pulling it. */
    private int inspectRemote(String format) throws Exception {
        if (type != null) throw new IllegalArgumentException("--type is for stored images and containers, not docker://");
        io.strata.oci.Reference ref = RemoteCommands.reference(reference);
        io.strata.remote.RegistryClient client = RemoteCommands.client(remote, ref);
        io.strata.remote.RegistryClient.Fetched m = RemoteCommands.manifest(client, ref);
        if (raw) {
            if (config) throw new IllegalArgumentException("--raw and --config: give one");
            System.out.write(m.content());
            System.out.flush();
            return 0;
        }
        io.strata.oci.Platform wanted = platform == null ? io.strata.oci.Platform.host() : io.strata.oci.Platform.parse(platform);
        io.strata.remote.RegistryClient.Fetched image = RemoteCommands.forPlatform(client, ref, m, wanted);
        String configType = Manifest.parse(image.content()).config().mediaType();
        if (!MediaType.IMAGE_CONFIGS.contains(configType)) {
            throw new IllegalArgumentException(reference + " is not an image but an artifact (its config is " + configType + "): see strata inspect --raw");
        }
        if (config) {
            System.out.write(client.blobBytes(ref.repository(), Manifest.parse(image.content()).config()));
            System.out.println();
            return 0;
        }
        Output.one(format, RemoteCommands.inspect(client, ref, image, !noTags), null);
        return 0;
    }

    @Override
    public Integer call() throws Exception {
        String format = options.format();
        Output.check(format);
        if (reference.startsWith("docker://")) return inspectRemote(format);
        if (raw || config || noTags || platform != null) throw new IllegalArgumentException("--raw, --config, --no-tags and --platform are for docker://REF");
        LayoutStore store = options.store();
        if (type != null && !type.equals("container") && !type.equals("image")) {
            throw new IllegalArgumentException("--type is container or image, was " + type);
        }
        if (!"image".equals(type)) {
            // As docker: a container of that name or ID first, then an image.
            var container = Containers.store(store).list().stream()
                    .filter(c -> c.name().equals(reference) || c.id().startsWith(reference) && reference.length() >= 4).findFirst();
            if (container.isPresent()) {
                UnpackOptions.requireRoot("inspecting a container");
                Output.one(format, Containers.runner(store).inspect(container.get()), null);
                return 0;
            }
            if ("container".equals(type)) throw new IllegalArgumentException("no container " + reference);
        }
        LocalImage image = LocalImage.find(store, reference);
        Descriptor manifest = image.manifest();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", image.name());
        out.put("id", image.id());
        out.put("digest", manifest.digest().toString());
        out.put("mediaType", manifest.mediaType());
        out.put("manifest", ImageJson.read(store.read(manifest.digest()), "manifest", JsonIn::any));
        if (!MediaType.INDEXES.contains(manifest.mediaType())) {
            Manifest m = Manifest.parse(store.read(manifest.digest()));
            Digest config = m.config().digest();
            if (store.has(config)) {
                out.put("config", ImageJson.read(store.read(config), "config", JsonIn::any));
                docker(out, store, image, m, io.strata.oci.ImageConfig.parse(store.read(config)));
            }
        }
        Output.one(format, out, null);
        return 0;
    }

    /** docker inspect's members of an image: Id (the config's digest), RepoTags, RepoDigests, Architecture, Os, Size, Config, RootFS. */
    private static void docker(Map<String, Object> out, LayoutStore store, LocalImage image, Manifest m, io.strata.oci.ImageConfig c)
            throws java.io.IOException {
        out.put("Id", m.config().digest().toString());
        java.util.List<String> tags = new java.util.ArrayList<>();
        for (var named : store.names()) if (named.manifest().digest().equals(image.manifest().digest())) tags.add(named.name());
        out.put("RepoTags", tags);
        out.put("RepoDigests", tags.stream().map(t -> (t.lastIndexOf(':') > t.lastIndexOf('/') ? t.substring(0, t.lastIndexOf(':')) : t)
                + "@" + image.manifest().digest()).distinct().toList());
        out.put("Created", c.created());
        out.put("Architecture", c.architecture());
        out.put("Os", c.os());
        if (c.variant() != null) out.put("Variant", c.variant());
        out.put("Size", ImagesCommand.row(store, new LayoutStore.Named(image.name(), image.manifest())).get("size"));
        var cfg = c.config();
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("User", cfg == null || cfg.user() == null ? "" : cfg.user());
        config.put("ExposedPorts", cfg == null || cfg.exposedPorts() == null ? Map.of() : cfg.exposedPorts());
        config.put("Env", cfg == null || cfg.env() == null ? java.util.List.of() : cfg.env());
        config.put("Entrypoint", cfg == null ? null : cfg.entrypoint());
        config.put("Cmd", cfg == null ? null : cfg.cmd());
        config.put("Volumes", cfg == null || cfg.volumes() == null ? Map.of() : cfg.volumes());
        config.put("WorkingDir", cfg == null || cfg.workingDir() == null ? "" : cfg.workingDir());
        config.put("Labels", cfg == null || cfg.labels() == null ? Map.of() : cfg.labels());
        config.put("StopSignal", cfg == null || cfg.stopSignal() == null ? "" : cfg.stopSignal());
        // docker's extensions, when the image has them (docker inspect shows Healthcheck, OnBuild and Shell so)
        if (cfg != null && cfg.healthcheck() != null) config.put("Healthcheck", cfg.healthcheck());
        config.put("OnBuild", cfg == null ? null : cfg.onBuild());
        if (cfg != null && cfg.shell() != null) config.put("Shell", cfg.shell());
        out.put("Config", config);
        out.put("RootFS", Map.of("Type", "layers", "Layers", c.rootfs().diffIds().stream().map(Digest::toString).toList()));
    }
}
