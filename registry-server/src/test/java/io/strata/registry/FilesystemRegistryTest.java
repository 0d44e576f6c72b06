package io.strata.registry;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

class FilesystemRegistryTest extends RegistryApiContract {
    @TempDir
    Path root;

    @Override
    protected String storageYaml() {
        return "storage:\n  driver: filesystem\n  filesystem:\n    root: " + root + "\n";
    }
}
