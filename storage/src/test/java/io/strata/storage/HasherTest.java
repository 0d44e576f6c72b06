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

    @Test
    void malformedStatesAreRefused() {
        String good = Hasher.start(DigestAlgorithm.SHA256).save();
        for (String bad : new String[] {"", "x", "md5:0:AA==:", "sha256:1:" + good.split(":")[2] + ":",
                "sha256:-64:" + good.split(":")[2] + ":", "sha256:0:AAAA:"}) {
            assertThrows(IllegalArgumentException.class, () -> Hasher.restore(bad), bad);
        }
    }
}
