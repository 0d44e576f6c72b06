package io.strata.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExecutablesTest {
    @TempDir
    Path tmp;

    @Test
    void pathThenSystemThenTheDirectoriesGiven() throws Exception {
        assertTrue(Executables.find("sh").isPresent(), "sh is on every host");
        assertEquals(Optional.empty(), Executables.find("strata-surely-no-such-tool"));
        Path tool = Files.createFile(tmp.resolve("strata-helper"));
        assertEquals(Optional.empty(), Executables.find("strata-helper", tmp.toString()), "not executable: not found");
        Files.setPosixFilePermissions(tool, Set.of(java.nio.file.attribute.PosixFilePermission.OWNER_EXECUTE, java.nio.file.attribute.PosixFilePermission.OWNER_READ));
        assertEquals(Optional.of(tool), Executables.find("strata-helper", tmp.toString()));
        Files.createDirectories(tmp.resolve("d/strata-dir"));
        assertEquals(Optional.empty(), Executables.find("strata-dir", tmp.resolve("d").toString()), "a directory is no tool");
    }
}
