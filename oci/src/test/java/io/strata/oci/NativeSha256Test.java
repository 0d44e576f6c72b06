package io.strata.oci;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** libcrypto's SHA-256 gives the JDK's digests at every block boundary, however the bytes are split. */
class NativeSha256Test {
    @Test
    void theStreamingDigestIsLibcryptosOnThisMachine() {
        // .ci/run installs libssl3; a machine without it falls back to the JDK's digest, which the
        // other tests here would not notice: this one does.
        assertTrue(NativeSha256.available(), "libcrypto.so.3 or .so.1.1 is loadable");
        assertInstanceOf(NativeSha256.class, DigestAlgorithm.SHA256.newStreamingDigest());
    }

    @Test
    void sameDigestsAsTheJdkAtEveryBoundaryAndSplit() throws Exception {
        Random random = new Random(42);
        for (int size : new int[] {0, 1, 55, 56, 63, 64, 65, 127, 128, 1000, 1 << 20}) {
            byte[] data = new byte[size];
            random.nextBytes(data);
            byte[] expected = MessageDigest.getInstance("SHA-256").digest(data);
            MessageDigest whole = new NativeSha256();
            assertArrayEquals(expected, whole.digest(data), "whole, size " + size);
            assertArrayEquals(expected, whole.digest(data), "after digest() it starts again, size " + size);
            MessageDigest split = new NativeSha256();
            for (int off = 0; off < size; ) {
                int n = Math.min(size - off, 1 + random.nextInt(300));
                if (n % 3 == 0) split.update(ByteBuffer.allocateDirect(n).put(0, data, off, n));
                else split.update(data, off, n);
                off += n;
            }
            assertArrayEquals(expected, split.digest(), "split, size " + size);
        }
    }

    @Test
    void aCloneGoesOnFromWhereTheOriginalWas() throws Exception {
        byte[] head = "the first part ".getBytes();
        byte[] tail = "and the rest".getBytes();
        MessageDigest original = new NativeSha256();
        original.update(head);
        MessageDigest copy = (MessageDigest) original.clone();
        copy.update(tail);
        MessageDigest jdk = MessageDigest.getInstance("SHA-256");
        jdk.update(head);
        jdk.update(tail);
        assertArrayEquals(jdk.digest(), copy.digest());
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(head), original.digest(), "the original is untouched");
    }
}
