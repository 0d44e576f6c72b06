package io.strata.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An image index (image-index.md) or Docker manifest list: manifests, each for a platform. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Index(
        int schemaVersion,
        String mediaType,
        String artifactType,
        List<Descriptor> manifests,
        Descriptor subject,
        Map<String, String> annotations) {

    public Index {
        if (schemaVersion != 2) throw new IllegalArgumentException("schemaVersion must be 2, was " + schemaVersion);
        if (manifests == null) throw new IllegalArgumentException("an index needs a manifests array");
        manifests = List.copyOf(manifests);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    public static Index parse(byte[] content) throws IOException {
        return ImageJson.read(content, "index", Index::read);
    }

    /** Reads an index object. */
    public static Index read(JsonIn in) throws IOException {
        var f = new Object() {
            int schemaVersion;
            String mediaType, artifactType;
            List<Descriptor> manifests;
            Descriptor subject;
            Map<String, String> annotations;
        };
        in.object((name, v) -> {
            switch (name) {
                case "schemaVersion" -> f.schemaVersion = v.int32();
                case "mediaType" -> f.mediaType = v.string();
                case "artifactType" -> f.artifactType = v.string();
                case "manifests" -> f.manifests = v.list(Descriptor::read);
                case "subject" -> f.subject = Descriptor.read(v);
                case "annotations" -> f.annotations = v.stringMap();
                default -> v.skip();
            }
        });
        return new Index(f.schemaVersion, f.mediaType, f.artifactType, f.manifests, f.subject, f.annotations);
    }

    /** This index as JSON, indented when {@code pretty}; the same members databind writes. */
    public byte[] toJson(boolean pretty) {
        return JsonOut.object(pretty, out -> out.number("schemaVersion", schemaVersion).string("mediaType", mediaType)
                .string("artifactType", artifactType).objects("manifests", manifests, Descriptor::write)
                .object("subject", subject != null, subject == null ? null : subject::write)
                .stringMap("annotations", annotations));
    }

    /** The first entry built for {@code wanted}. */
    public Optional<Descriptor> select(Platform wanted) {
        return manifests.stream().filter(d -> wanted.matches(d.platform())).findFirst();
    }

    /** The platforms the index offers, for a message when none matches. */
    public List<String> platforms() {
        List<String> out = new ArrayList<>();
        for (Descriptor d : manifests) if (d.platform() != null) out.add(d.platform().toString());
        return out;
    }
}
