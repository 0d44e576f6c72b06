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
        return ImageJson.read(content, Index.class, "index");
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
