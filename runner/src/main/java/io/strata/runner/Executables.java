package io.strata.runner;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;

/**
 * Where the tools Strata runs are (runc, crun, conmon, catatonit, …): the directories of PATH, then
 * the usual system ones (a root shell's PATH may lack the sbin ones), then any a package keeps its
 * helpers in (podman's libexec). One lookup for all of them.
 */
public final class Executables {
    private static final List<String> SYSTEM = List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");

    private Executables() {}

    /** The first executable file named {@code name}, looked for as above, and then in {@code more}. */
    public static Optional<Path> find(String name, String... more) {
        LinkedHashSet<String> dirs = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) for (String d : path.split(":")) if (!d.isEmpty()) dirs.add(d);
        dirs.addAll(SYSTEM);
        dirs.addAll(List.of(more));
        for (String dir : new ArrayList<>(dirs)) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p) && !Files.isDirectory(p)) return Optional.of(p);
        }
        return Optional.empty();
    }
}
