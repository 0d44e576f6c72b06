package io.strata.oci;

import java.util.Set;
import java.util.regex.Pattern;

/** Media types named by the OCI image spec and Docker's manifest v2 schema 2. */
public final class MediaType {
    private MediaType() {}

    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
    public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
    public static final String OCI_EMPTY = "application/vnd.oci.empty.v1+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    public static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";

    /** Manifest media types a registry stores and serves. */
    public static final Set<String> MANIFESTS = Set.of(OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_MANIFEST_LIST);

    /** Manifest media types whose body lists other manifests. */
    public static final Set<String> INDEXES = Set.of(OCI_INDEX, DOCKER_MANIFEST_LIST);

    /** The config media types of images (what runs), as opposed to artifacts' configs. */
    public static final Set<String> IMAGE_CONFIGS = Set.of(OCI_CONFIG, DOCKER_CONFIG);

    /** RFC 6838 type/subtype, as the descriptor spec requires. */
    private static final Pattern GRAMMAR = Pattern.compile(
            "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}");

    /** Validates a media type and returns it; parameters (";...") are not part of a descriptor's type. */
    public static String requireValid(String mediaType) {
        if (mediaType == null || !GRAMMAR.matcher(mediaType).matches()) {
            throw new InvalidValueException(InvalidValueException.Kind.MEDIA_TYPE,
                    "invalid media type " + InvalidValueException.quote(mediaType));
        }
        return mediaType;
    }
}
