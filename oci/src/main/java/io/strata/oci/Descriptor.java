package io.strata.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
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

    /** Reads a descriptor object (null for null). */
    public static Descriptor read(JsonIn in) throws IOException {
        var f = new Object() {
            String mediaType, artifactType;
            Digest digest;
            long size;
            List<String> urls;
            Map<String, String> annotations;
            Platform platform;
        };
        boolean present = in.object((name, v) -> {
            switch (name) {
                case "mediaType" -> f.mediaType = v.string();
                case "digest" -> f.digest = v.digest();
                case "size" -> f.size = v.number();
                case "urls" -> f.urls = v.strings();
                case "annotations" -> f.annotations = v.stringMap();
                case "artifactType" -> f.artifactType = v.string();
                case "platform" -> f.platform = Platform.read(v);
                default -> v.skip();
            }
        });
        return present ? new Descriptor(f.mediaType, f.digest, f.size, f.urls, f.annotations, f.artifactType, f.platform) : null;
    }

    /** Writes this descriptor's members, in the order databind writes them. */
    public void write(JsonOut out) throws IOException {
        out.string("mediaType", mediaType).string("digest", digest.toString()).number("size", size)
                .strings("urls", urls).stringMap("annotations", annotations).string("artifactType", artifactType)
                .object("platform", platform != null, platform == null ? null : platform::write);
    }

    /** The same descriptor with other annotations. */
    public Descriptor withAnnotations(Map<String, String> newAnnotations) {
        return new Descriptor(mediaType, digest, size, urls, newAnnotations, artifactType, platform);
    }
}
