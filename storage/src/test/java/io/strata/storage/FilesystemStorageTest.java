package io.strata.storage;

import io.strata.storage.driver.FilesystemDriver;
import io.strata.storage.driver.StorageDriver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FilesystemStorageTest extends StorageContract {
    @TempDir
    Path root;

    @Override
    protected StorageDriver newDriver() throws IOException {
        return new FilesystemDriver(root);
    }

    private Path realRoot() {
        try {
            return root.toRealPath();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void blobsAreLocalFilesForZeroCopySends() {
        byte[] content = TestData.random(50, 100);
        var u = storage.uploads().start();
        storage.uploads().append(u.id(), 0, TestData.stream(content, 0, content.length));
        var info = storage.uploads().commit(u.id(), TestData.sha256(content), java.util.OptionalLong.empty());
        Path file = storage.blobs().file(info.digest()).orElseThrow();
        assertTrue(file.startsWith(realRoot()), file.toString());
        assertEquals(100, file.toFile().length());
    }

    @Test
    void noTemporaryFilesRemainAfterWrites() throws IOException {
        storage.repositories().putManifest(io.strata.oci.RepositoryName.of("a"), new byte[] {'{', '}'},
                io.strata.oci.MediaType.OCI_MANIFEST, io.strata.oci.Tag.of("t"), null, null);
        try (var walk = Files.walk(root)) {
            assertEquals(0, walk.filter(p -> p.getFileName().toString().startsWith(".tmp-")).count());
        }
    }
}
