package io.strata.cli;

import io.strata.client.remote.Credentials;
import io.strata.client.remote.RegistryClient;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Reference;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** Options every client command shares: where the local store is, how to reach registries, how to print. */
final class ClientOptions {
    @Option(names = "--root", paramLabel = "DIR",
            description = "Local store (default: /var/lib/strata as root, else $XDG_DATA_HOME/strata).")
    Path root;

    @Option(names = "--insecure", description = "Plain HTTP to the registry (always for localhost and 127.0.0.1).")
    boolean insecure;

    @Option(names = {"-q", "--quiet"}, description = "Print only the result.")
    boolean quiet;

    @Option(names = "--format", paramLabel = "FORMAT", description = "Output: text (default) or json.")
    String format = "text";

    boolean json() {
        if (!format.equals("json") && !format.equals("text")) throw new IllegalArgumentException("--format must be text or json");
        return format.equals("json");
    }

    LayoutStore store() throws IOException {
        return new LayoutStore(root != null ? root : defaultRoot());
    }

    static Path defaultRoot() {
        if ("root".equals(System.getProperty("user.name"))) return Path.of("/var/lib/strata");
        String xdg = System.getenv("XDG_DATA_HOME");
        return (xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".local", "share"))
                .resolve("strata");
    }

    /** Credential files: strata's own (written by strata login), then Docker's. */
    static List<Path> credentialFiles() {
        String xdg = System.getenv("XDG_CONFIG_HOME");
        Path config = xdg != null && !xdg.isEmpty() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        String dockerConfig = System.getenv("DOCKER_CONFIG");
        Path docker = dockerConfig != null ? Path.of(dockerConfig) : Path.of(System.getProperty("user.home"), ".docker");
        return List.of(config.resolve("strata/config.json"), docker.resolve("config.json"));
    }

    RegistryClient client(Reference ref) {
        return new RegistryClient(ref.apiHost(), insecure, Credentials.lookup(ref.registry(), credentialFiles()), 5);
    }
}
