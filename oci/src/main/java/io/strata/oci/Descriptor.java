package io.strata.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * A reference to content (image-spec descriptor.md): what it is, its digest and its size,
 * with the optional artifact type and annotations that the referrers API reports.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Descriptor(
        String mediaType,
        Digest digest,
        long size,
        List<String> urls,
        Map<String, String> annotations,
        String artifactType,
        Platform platform) {

    public Descriptor {
        MediaType.requireValid(mediaType);
        if (digest == null) {
            throw new InvalidValueException(InvalidValueException.Kind.DIGEST, "descriptor has no digest");
        }
        if (size < 0) {
            throw new InvalidValueException(InvalidValueException.Kind.DIGEST, "descriptor size is negative: " + size);
        }
        if (artifactType != null) MediaType.requireValid(artifactType);
        urls = urls == null ? List.of() : List.copyOf(urls);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    public Descriptor(String mediaType, Digest digest, long size) {
        this(mediaType, digest, size, null, null, null, null);
    }

    /** The same descriptor with other annotations. */
    public Descriptor withAnnotations(Map<String, String> newAnnotations) {
        return new Descriptor(mediaType, digest, size, urls, newAnnotations, artifactType, platform);
    }
}
