package io.strata.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * An image's configuration (config.md): what it runs, its layers' DiffIDs and how it was built.
 * Unknown fields are ignored when reading.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ImageConfig(
        String created,
        String author,
        String architecture,
        String os,
        @JsonProperty("os.version") String osVersion,
        String variant,
        Config config,
        RootFs rootfs,
        List<History> history) {

    public ImageConfig {
        if (rootfs == null) throw new IllegalArgumentException("an image config needs rootfs");
        history = history == null ? List.of() : List.copyOf(history);
    }

    public static ImageConfig parse(byte[] content) throws IOException {
        return ImageJson.read(content, "image config", in -> {
            var f = new Object() {
                String created, author, architecture, os, osVersion, variant;
                Config config;
                RootFs rootfs;
                List<History> history;
            };
            in.object((name, v) -> {
                switch (name) {
                    case "created" -> f.created = v.string();
                    case "author" -> f.author = v.string();
                    case "architecture" -> f.architecture = v.string();
                    case "os" -> f.os = v.string();
                    case "os.version" -> f.osVersion = v.string();
                    case "variant" -> f.variant = v.string();
                    case "config" -> f.config = Config.read(v);
                    case "rootfs" -> f.rootfs = RootFs.read(v);
                    case "history" -> f.history = v.list(History::read);
                    default -> v.skip();
                }
            });
            return new ImageConfig(f.created, f.author, f.architecture, f.os, f.osVersion, f.variant, f.config, f.rootfs, f.history);
        });
    }

    public byte[] toJson() {
        return ImageJson.write(this);
    }

    /** The platform the image says it is for. */
    public Platform platform() {
        return new Platform(architecture, os, osVersion, null, variant);
    }

    /** The execution parameters a runtime should use (config.md "config"). */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Config(
            @JsonProperty("User") String user,
            @JsonProperty("ExposedPorts") Map<String, Object> exposedPorts,
            @JsonProperty("Env") List<String> env,
            @JsonProperty("Entrypoint") List<String> entrypoint,
            @JsonProperty("Cmd") List<String> cmd,
            @JsonProperty("Volumes") Map<String, Object> volumes,
            @JsonProperty("WorkingDir") String workingDir,
            @JsonProperty("Labels") Map<String, String> labels,
            @JsonProperty("StopSignal") String stopSignal,
            @JsonProperty("Healthcheck") Healthcheck healthcheck,
            @JsonProperty("OnBuild") List<String> onBuild,
            @JsonProperty("Shell") List<String> shell) {

        /** The config the image spec defines, without docker's extensions (Healthcheck, OnBuild, Shell). */
        public Config(String user, Map<String, Object> exposedPorts, List<String> env, List<String> entrypoint, List<String> cmd,
                      Map<String, Object> volumes, String workingDir, Map<String, String> labels, String stopSignal) {
            this(user, exposedPorts, env, entrypoint, cmd, volumes, workingDir, labels, stopSignal, null, null, null);
        }

        /** The same config with docker's extensions as given. */
        public Config withExtensions(Healthcheck healthcheck, List<String> onBuild, List<String> shell) {
            return new Config(user, exposedPorts, env, entrypoint, cmd, volumes, workingDir, labels, stopSignal, healthcheck, onBuild, shell);
        }

        /** The same config with {@code other}'s docker extensions (a config made anew from the spec's fields keeps them so). */
        public Config withExtensionsOf(Config other) {
            return withExtensions(other.healthcheck(), other.onBuild(), other.shell());
        }

        static Config read(JsonIn in) throws IOException {
            var f = new Object() {
                String user, workingDir, stopSignal;
                Map<String, Object> exposedPorts, volumes;
                List<String> env, entrypoint, cmd, onBuild, shell;
                Map<String, String> labels;
                Healthcheck healthcheck;
            };
            boolean present = in.object((name, v) -> {
                switch (name) {
                    case "User" -> f.user = v.string();
                    case "ExposedPorts" -> f.exposedPorts = v.anyMap();
                    case "Env" -> f.env = v.strings();
                    case "Entrypoint" -> f.entrypoint = v.strings();
                    case "Cmd" -> f.cmd = v.strings();
                    case "Volumes" -> f.volumes = v.anyMap();
                    case "WorkingDir" -> f.workingDir = v.string();
                    case "Labels" -> f.labels = v.stringMap();
                    case "StopSignal" -> f.stopSignal = v.string();
                    case "Healthcheck" -> f.healthcheck = Healthcheck.read(v);
                    case "OnBuild" -> f.onBuild = v.strings();
                    case "Shell" -> f.shell = v.strings();
                    default -> v.skip();
                }
            });
            return present ? new Config(f.user, f.exposedPorts, f.env, f.entrypoint, f.cmd, f.volumes, f.workingDir, f.labels, f.stopSignal,
                    f.healthcheck, f.onBuild, f.shell) : null;
        }
    }

    /**
     * Docker's HEALTHCHECK in an image's config: the test (["NONE"], ["CMD", …] or ["CMD-SHELL", …])
     * and its timings in nanoseconds, as docker and BuildKit write it.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Healthcheck(@JsonProperty("Test") List<String> test, @JsonProperty("Interval") Long interval,
                              @JsonProperty("Timeout") Long timeout, @JsonProperty("StartPeriod") Long startPeriod,
                              @JsonProperty("StartInterval") Long startInterval, @JsonProperty("Retries") Integer retries) {
        static Healthcheck read(JsonIn in) throws IOException {
            var f = new Object() {
                List<String> test;
                Long interval, timeout, startPeriod, startInterval;
                Integer retries;
            };
            boolean present = in.object((name, v) -> {
                switch (name) {
                    case "Test" -> f.test = v.strings();
                    case "Interval" -> f.interval = v.optionalNumber();
                    case "Timeout" -> f.timeout = v.optionalNumber();
                    case "StartPeriod" -> f.startPeriod = v.optionalNumber();
                    case "StartInterval" -> f.startInterval = v.optionalNumber();
                    case "Retries" -> f.retries = Math.toIntExact(v.number());
                    default -> v.skip();
                }
            });
            return present ? new Healthcheck(f.test, f.interval, f.timeout, f.startPeriod, f.startInterval, f.retries) : null;
        }
    }

    /** The layers' DiffIDs, base first. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RootFs(String type, @JsonProperty("diff_ids") List<Digest> diffIds) {
        public RootFs {
            if (!"layers".equals(type)) throw new IllegalArgumentException("rootfs.type must be \"layers\", was " + type);
            diffIds = diffIds == null ? List.of() : List.copyOf(diffIds);
        }

        static RootFs read(JsonIn in) throws IOException {
            var f = new Object() {
                String type;
                List<Digest> diffIds;
            };
            boolean present = in.object((name, v) -> {
                switch (name) {
                    case "type" -> f.type = v.string();
                    case "diff_ids" -> f.diffIds = v.list(JsonIn::digest);
                    default -> v.skip();
                }
            });
            return present ? new RootFs(f.type, f.diffIds) : null;
        }

        /**
         * The ChainID of each layer stack, base first (config.md "Layer ChainID"):
         * ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)).
         */
        public List<Digest> chainIds() {
            List<Digest> out = new ArrayList<>(diffIds.size());
            Digest chain = null;
            for (Digest diffId : diffIds) {
                chain = chain == null ? diffId : Digest.sha256((chain + " " + diffId).getBytes(StandardCharsets.UTF_8));
                out.add(chain);
            }
            return out;
        }
    }

    /** One build step (config.md "history"). */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record History(
            String created,
            String author,
            @JsonProperty("created_by") String createdBy,
            String comment,
            @JsonProperty("empty_layer") boolean emptyLayer) {

        static History read(JsonIn in) throws IOException {
            var f = new Object() {
                String created, author, createdBy, comment;
                boolean emptyLayer;
            };
            boolean present = in.object((name, v) -> {
                switch (name) {
                    case "created" -> f.created = v.string();
                    case "author" -> f.author = v.string();
                    case "created_by" -> f.createdBy = v.string();
                    case "comment" -> f.comment = v.string();
                    case "empty_layer" -> f.emptyLayer = v.bool();
                    default -> v.skip();
                }
            });
            return present ? new History(f.created, f.author, f.createdBy, f.comment, f.emptyLayer) : null;
        }
    }
}
