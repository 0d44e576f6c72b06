package io.strata.oci;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.util.List;
import java.util.Locale;

/**
 * What an image is built for (image-index.md's platform object, config.md's architecture, os and
 * variant). The client asks for one; an index entry declares one.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
public record Platform(
        String architecture,
        String os,
        @JsonProperty("os.version") String osVersion,
        @JsonProperty("os.features") List<String> osFeatures,
        String variant) {

    public Platform {
        osFeatures = osFeatures == null ? List.of() : List.copyOf(osFeatures);
    }

    public Platform(String os, String architecture, String variant) {
        this(architecture, os, null, null, variant);
    }

    /** Reads a platform object (null for null). */
    static Platform read(JsonIn in) throws IOException {
        var f = new Object() {
            String architecture, os, osVersion, variant;
            List<String> osFeatures;
        };
        boolean present = in.object((name, v) -> {
            switch (name) {
                case "architecture" -> f.architecture = v.string();
                case "os" -> f.os = v.string();
                case "os.version" -> f.osVersion = v.string();
                case "os.features" -> f.osFeatures = v.strings();
                case "variant" -> f.variant = v.string();
                default -> v.skip();
            }
        });
        return present ? new Platform(f.architecture, f.os, f.osVersion, f.osFeatures, f.variant) : null;
    }

    void write(JsonOut out) throws IOException {
        out.string("architecture", architecture).string("os", os).string("os.version", osVersion)
                .strings("os.features", osFeatures).string("variant", variant);
    }

    /**
     * {@code os/arch[/variant]}, as {@code --platform} takes it, with the other names an
     * architecture goes by made into Go's (x86_64 is amd64, aarch64 is arm64, armhf is arm/v7), as
     * containerd's platforms package normalizes them.
     */
    public static Platform parse(String text) {
        String[] p = text.toLowerCase(Locale.ROOT).split("/", -1);
        if (p.length < 2 || p.length > 3 || p[0].isEmpty() || p[1].isEmpty() || (p.length == 3 && p[2].isEmpty())) {
            throw new IllegalArgumentException("platform must be os/arch[/variant], was " + text);
        }
        String variant = p.length == 3 ? p[2] : null;
        String arch = switch (p[1]) {
            case "x86_64", "x86-64" -> "amd64";
            case "aarch64" -> "arm64";
            case "i386", "i686" -> "386";
            case "armhf" -> { variant = variant == null ? "v7" : variant; yield "arm"; }
            case "armel" -> { variant = variant == null ? "v6" : variant; yield "arm"; }
            case String other -> other;
        };
        if (arch.equals("arm64") && "8".equals(variant)) variant = "v8";
        return new Platform(p[0], arch, variant);
    }

    /** This host, in Go's names (what image indexes use). */
    public static Platform host() {
        String arch = switch (System.getProperty("os.arch").toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            case "x86", "i386", "i686" -> "386";
            case "ppc64le" -> "ppc64le";
            case "s390x" -> "s390x";
            case "riscv64" -> "riscv64";
            case String other -> other;
        };
        return new Platform("linux", arch, arch.equals("arm64") ? "v8" : null);
    }

    /** Whether {@code offered} (an index entry's or a config's) satisfies this one; a missing variant on either side matches any. */
    public boolean matches(Platform offered) {
        if (offered == null || offered.os() == null || offered.architecture() == null) return false;
        if (!os.equals(offered.os()) || !architecture.equals(offered.architecture())) return false;
        return variant == null || offered.variant() == null || variant.equals(offered.variant());
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant == null ? "" : "/" + variant);
    }
}
