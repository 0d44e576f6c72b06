package io.strata.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.strata.oci.Digest;
import io.strata.oci.RepositoryName;
import io.strata.oci.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeysTest {
    private static final Digest D = Digest.parse("sha256:" + "ab".repeat(32));

    @Test
    void layout() {
        assertEquals("blobs/sha256/ab/" + "ab".repeat(32) + "/data", Keys.blob(D));
        assertEquals("repositories/a/b/_manifests/tags/v1/current/link", Keys.tag(RepositoryName.of("a/b"), Tag.of("v1")));
        assertEquals("catalog/a/b/_repository", Keys.catalogMarker(RepositoryName.of("a/b")));
    }

    @Test
    void blobDigestReadsOnlyBlobKeys() {
        assertEquals(D, Keys.blobDigest(Keys.blob(D)));
        assertNull(Keys.blobDigest("blobs/sha256/cd/" + "ab".repeat(32) + "/data"));
        assertNull(Keys.blobDigest("blobs/sha256/ab/" + "ab".repeat(32) + "/.tmp-x"));
        assertNull(Keys.blobDigest("uploads/x/data"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "a/../b", "/abs", "a//b", ".", "./a", "a/.", "%2e%2e", "a%2fb", "a\0b", "a\\b", "a:b",
            "a b", ""})
    void unsafeKeysAreRefused(String key) {
        assertThrows(IllegalArgumentException.class, () -> Keys.requireSafe(key));
    }

    @Test
    void uploadIdsMustBeUuids() {
        Keys.uploadDir(Keys.newUploadId());
        for (String id : new String[] {"..", "x", "00000000-0000-0000-0000-00000000000G", null}) {
            assertThrows(StorageException.UploadUnknown.class, () -> Keys.uploadDir(id));
        }
    }
}
