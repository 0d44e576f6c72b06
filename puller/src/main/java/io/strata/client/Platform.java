package io.strata.client;

import io.strata.oci.Descriptor;
import java.util.Locale;

/** An os/arch[/variant] an index entry is built for; the host's by default. */
public record Platform(String os, String architecture, String variant) {
    public static Platform parse(String text) {
        String[] p = text.split("/");
        if (p.length < 2 || p.length > 3 || p[0].isEmpty() || p[1].isEmpty()) {
            throw new IllegalArgumentException("platform must be os/arch[/variant], was " + text);
        }
        return new Platform(p[0], p[1], p.length == 3 ? p[2] : null);
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

    /** Whether an index entry matches (a missing variant on either side matches any). */
    public boolean matches(Descriptor.Platform p) {
        if (p == null) return false;
        if (!os.equals(p.os()) || !architecture.equals(p.architecture())) return false;
        return variant == null || p.variant() == null || variant.equals(p.variant());
    }

    @Override
    public String toString() {
        return os + "/" + architecture + (variant == null ? "" : "/" + variant);
    }
}
