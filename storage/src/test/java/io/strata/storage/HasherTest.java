package io.strata.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.strata.oci.Digest;
import io.strata.oci.DigestAlgorithm;
import org.junit.jupiter.api.Test;

class HasherTest {
    @Test
    void savedStateResumesAtEverySplitPoint() {
        byte[] data = TestData.random(1, 1000);
        for (DigestAlgorithm alg : DigestAlgorithm.values()) {
            Digest expected = Digest.of(alg, alg.newMessageDigest().digest(data));
            for (int split = 0; split <= data.length; split += 37) {
                Hasher first = Hasher.start(alg);
                first.update(data, 0, split);
                String saved = first.save();
                Hasher resumed = Hasher.restore(saved);
                assertEquals(split, resumed.length());
                // Resume twice from one state, in pieces, to show the state is a value.
                resumed.update(data, split, data.length - split);
                assertEquals(expected, resumed.digest(), alg + " split at " + split);
                assertEquals(expected, resumed.digest(), "digest() leaves the hasher usable");
                Hasher again = Hasher.restore(saved);
                for (int i = split; i < data.length; i++) again.update(data, i, 1);
                assertEquals(expected, again.digest());
            }
        }
    }

    /**
     * Once the JDK's SHA-512 update is C2-compiled, an update of exactly one block stays in its
     * buffer (bufOfs == blockSize); a state saved then holds a full partial block and must restore.
     * The state is made by hand so the test does not depend on what the JIT did.
     */
    @Test
    void aFullBlockHeldInTheBufferRestores() {
        byte[] data = TestData.random(3, 300);
        for (DigestAlgorithm alg : DigestAlgorithm.values()) {
            int block = alg == DigestAlgorithm.SHA256 ? 64 : 128;
            String initialWords = Hasher.start(alg).save().split(":")[2];
            String saved = alg.id() + ":" + block + ":" + initialWords + ":"
                    + java.util.Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(data, block));
            Hasher resumed = Hasher.restore(saved);
            resumed.update(data, block, data.length - block);
            assertEquals(Digest.of(alg, alg.newMessageDigest().digest(data)), resumed.digest(), alg.id());
            Hasher whole = Hasher.restore(saved);
            assertEquals(Digest.of(alg, alg.newMessageDigest().digest(java.util.Arrays.copyOf(data, block))), whole.digest(),
                    alg.id() + ": digest straight from the full buffer");
        }
    }

    /**
     * A registry instance with libcrypto and one without (or started with -Dstrata.jdkDigests=true)
     * share upload sessions: a state either saves, the other resumes, at every offset in a block.
     */
    @Test
    void statesCrossBetweenLibcryptoAndTheJdk() {
        byte[] data = TestData.random(5, 700);
        Digest expected = Digest.of(DigestAlgorithm.SHA256, DigestAlgorithm.SHA256.newMessageDigest().digest(data));
        for (int split = 0; split <= data.length; split += 13) {
            int at = split;
            for (boolean savedByJdk : new boolean[] {true, false}) {
                String saved = withJdkDigests(savedByJdk, () -> {
                    Hasher first = Hasher.start(DigestAlgorithm.SHA256);
                    first.update(data, 0, at);
                    return first.save();
                });
                Hasher resumed = withJdkDigests(!savedByJdk, () -> Hasher.restore(saved));
                assertEquals(split, resumed.length());
                resumed.update(data, split, data.length - split);
                assertEquals(expected, resumed.digest(), (savedByJdk ? "JDK to libcrypto" : "libcrypto to JDK") + " at " + split);
            }
        }
    }

    private static <T> T withJdkDigests(boolean jdk, java.util.function.Supplier<T> work) {
        String before = System.getProperty("strata.jdkDigests");
        System.setProperty("strata.jdkDigests", Boolean.toString(jdk));
        try {
            return work.get();
        } finally {
            if (before == null) System.clearProperty("strata.jdkDigests");
            else System.setProperty("strata.jdkDigests", before);
        }
    }

    @Test
    void malformedStatesAreRefused() {
        String good = Hasher.start(DigestAlgorithm.SHA256).save();
        for (String bad : new String[] {"", "x", "md5:0:AA==:", "sha256:1:" + good.split(":")[2] + ":",
                "sha256:-64:" + good.split(":")[2] + ":", "sha256:0:AAAA:",
                "sha256:0:" + good.split(":")[2] + ":" + java.util.Base64.getEncoder().encodeToString(new byte[64]),
                "sha256:65:" + good.split(":")[2] + ":" + java.util.Base64.getEncoder().encodeToString(new byte[64])}) {
            assertThrows(IllegalArgumentException.class, () -> Hasher.restore(bad), bad);
        }
    }
}
