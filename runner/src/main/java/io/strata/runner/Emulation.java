package io.strata.runner;

import io.strata.oci.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Whether this host can run an image's programs: its own architecture natively (and the ones its
 * CPU runs too: 386 on amd64, arm on arm64), another only through a binfmt_misc handler, which
 * Debian's qemu-user-static registers (as qemu-aarch64, qemu-arm, …) with the F flag that lets a
 * container's exec find the interpreter. Asked before a build's RUN so that a foreign image fails
 * with a sentence rather than runc's "exec format error".
 */
public final class Emulation {
    private static final Path BINFMT = Path.of("/proc/sys/fs/binfmt_misc");

    /** Go's architecture names to the names qemu-user-static registers its handlers by. */
    private static final Map<String, List<String>> QEMU = Map.of(
            "amd64", List.of("qemu-x86_64"), "386", List.of("qemu-i386", "qemu-i686"), "arm64", List.of("qemu-aarch64"),
            "arm", List.of("qemu-arm"), "ppc64le", List.of("qemu-ppc64le"), "s390x", List.of("qemu-s390x"),
            "riscv64", List.of("qemu-riscv64"), "mips64le", List.of("qemu-mips64el"), "loong64", List.of("qemu-loongarch64"));

    private Emulation() {}

    /** Why programs of {@code image}'s platform cannot run here, or empty when they can. */
    public static Optional<String> whyNot(Platform image) {
        Platform host = Platform.host();
        if (image == null || image.architecture() == null || runsNatively(host.architecture(), image.architecture())) return Optional.empty();
        if (image.os() != null && !image.os().equals("linux")) return Optional.of("the image is for " + image + ": Linux containers only run here");
        for (String handler : QEMU.getOrDefault(image.architecture(), List.of())) {
            try {
                if (Files.readString(BINFMT.resolve(handler)).startsWith("enabled")) return Optional.empty();
            } catch (IOException absent) {
                // no such handler: try the next name
            }
        }
        return Optional.of("the image is for " + image + " and this host is " + host + ": running its programs needs an emulator"
                + " registered with binfmt_misc (Debian's qemu-user-static; none is registered in " + BINFMT + ")");
    }

    private static boolean runsNatively(String host, String image) {
        return host.equals(image) || (host.equals("amd64") && image.equals("386")) || (host.equals("arm64") && image.equals("arm"));
    }
}
