package io.strata.cli;

import io.strata.client.store.LayoutStore;
import io.strata.snapshots.Native;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Options of every verb that uses the local store: where it is and how to print. Each may also come
 * before the verb ({@code strata --root X images}, as podman takes them); the verb's own wins.
 */
final class ClientOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--root", paramLabel = "DIR",
            description = "Local store (default: $STRATA_ROOT, else /var/lib/strata as root, else $XDG_DATA_HOME/strata or ~/.local/share/strata).")
    Path root;

    @Option(names = {"-q", "--quiet"}, description = "Print only IDs or the result; no progress.")
    boolean quiet;

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "table (default), json, or a template such as '{{.Digest}}' or 'table {{.Name}}\\t{{.Size}}'.")
    String format;

    boolean quiet() {
        return quiet || Strata.globals(mixee).quiet;
    }

    /** The --format asked for (checked), or null for the verb's default. */
    String format() {
        String f = format != null ? format : Strata.globals(mixee).format;
        Output.check(f);
        return f;
    }

    boolean json() {
        return "json".equals(format());
    }

    Path root() {
        if (root != null) return root;
        Path global = Strata.globals(mixee).root;
        return global != null ? global : defaultRoot();
    }

    LayoutStore store() throws IOException {
        return new LayoutStore(root());
    }

    /** $STRATA_ROOT; else root's system store; else the user's data dir from the environment (not the passwd entry). */
    static Path defaultRoot() {
        String env = System.getenv("STRATA_ROOT");
        if (env != null && !env.isEmpty()) return Path.of(env);
        if (Native.isRoot()) return Path.of("/var/lib/strata");
        String xdg = System.getenv("XDG_DATA_HOME");
        return (xdg != null && !xdg.isEmpty() ? Path.of(xdg) : home().resolve(".local/share")).resolve("strata");
    }

    /** $HOME as the user's shell has it; the passwd entry only when it is unset. */
    static Path home() {
        String home = System.getenv("HOME");
        return Path.of(home != null && !home.isEmpty() ? home : System.getProperty("user.home"));
    }

    /** strata's config dir: $XDG_CONFIG_HOME/strata or ~/.config/strata. */
    static Path configDir() {
        String xdg = System.getenv("XDG_CONFIG_HOME");
        return (xdg != null && !xdg.isEmpty() ? Path.of(xdg) : home().resolve(".config")).resolve("strata");
    }

    /** Docker's config.json ($DOCKER_CONFIG or ~/.docker). */
    static Path dockerConfig() {
        String dockerConfig = System.getenv("DOCKER_CONFIG");
        return (dockerConfig != null && !dockerConfig.isEmpty() ? Path.of(dockerConfig) : home().resolve(".docker")).resolve("config.json");
    }

    /** Credential files: strata's own (written by strata login), then Docker's. */
    static List<Path> credentialFiles() {
        return List.of(configDir().resolve("config.json"), dockerConfig());
    }
}
