package io.strata.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** An image manifest (manifest.md), OCI or Docker schema 2: a config and an ordered list of layers, base first. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Manifest(
        int schemaVersion,
        String mediaType,
        String artifactType,
        Descriptor config,
        List<Descriptor> layers,
        Descriptor subject,
        Map<String, String> annotations) {

    public Manifest {
        if (schemaVersion != 2) throw new IllegalArgumentException("schemaVersion must be 2, was " + schemaVersion);
        if (config == null) throw new IllegalArgumentException("a manifest needs a config descriptor");
        if (mediaType != null && MediaType.INDEXES.contains(mediaType)) {
            throw new IllegalArgumentException("media type " + mediaType + " is an index, not a manifest");
        }
        layers = layers == null ? List.of() : List.copyOf(layers);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    public static Manifest parse(byte[] content) throws IOException {
        return ImageJson.read(content, "manifest", in -> {
            var f = new Object() {
                int schemaVersion;
                String mediaType, artifactType;
                Descriptor config, subject;
                List<Descriptor> layers;
                Map<String, String> annotations;
            };
            in.object((name, v) -> {
                switch (name) {
                    case "schemaVersion" -> f.schemaVersion = v.int32();
                    case "mediaType" -> f.mediaType = v.string();
                    case "artifactType" -> f.artifactType = v.string();
                    case "config" -> f.config = Descriptor.read(v);
                    case "layers" -> f.layers = v.list(Descriptor::read);
                    case "subject" -> f.subject = Descriptor.read(v);
                    case "annotations" -> f.annotations = v.stringMap();
                    default -> v.skip();
                }
            });
            return new Manifest(f.schemaVersion, f.mediaType, f.artifactType, f.config, f.layers, f.subject, f.annotations);
        });
    }

    /** The config, then the layers: every blob the manifest needs. */
    public List<Descriptor> blobs() {
        List<Descriptor> out = new ArrayList<>(layers.size() + 1);
        out.add(config);
        out.addAll(layers);
        return out;
    }

    public byte[] toJson() {
        return ImageJson.write(this);
    }
}
