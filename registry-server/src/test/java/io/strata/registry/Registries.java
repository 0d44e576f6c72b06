package io.strata.registry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/** Registries a test starts in its own JVM, from YAML as an operator writes it; each with a config file of its own. */
public final class Registries {
    private Registries() {}

    /** On a free port, without access log, with filesystem storage under {@code dir/data}; {@code extra} adds keys. */
    public static Registry start(Path dir, String extra) throws Exception {
        return startWith(dir, "storage:\n  filesystem:\n    root: " + dir.resolve("data") + "\n" + extra);
    }

    /** On a free port, without access log; {@code yaml} says everything else, storage included. */
    public static Registry startWith(Path dir, String yaml) throws Exception {
        Path f = dir.resolve("strata-" + UUID.randomUUID() + ".yml");
        Files.writeString(f, "listen: 127.0.0.1:0\nlog:\n  access: false\n" + yaml);
        return Registry.start(RegistryConfig.load(f, Map.of()));
    }
}
