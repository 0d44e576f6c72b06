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
        return ImageJson.read(content, ImageConfig.class, "image config");
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
            @JsonProperty("StopSignal") String stopSignal) {}

    /** The layers' DiffIDs, base first. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record RootFs(String type, @JsonProperty("diff_ids") List<Digest> diffIds) {
        public RootFs {
            if (!"layers".equals(type)) throw new IllegalArgumentException("rootfs.type must be \"layers\", was " + type);
            diffIds = diffIds == null ? List.of() : List.copyOf(diffIds);
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
            @JsonProperty("empty_layer") boolean emptyLayer) {}
}
