package io.strata.oci;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

    /** The state read out after any number of bytes resumes in a new digest, which ends as the JDK's. */
    @Test
    void aStateReadOutResumesAtEveryOffset() throws Exception {
        byte[] data = new byte[300];
        new Random(7).nextBytes(data);
        byte[] expected = MessageDigest.getInstance("SHA-256").digest(data);
        for (int split = 0; split <= data.length; split++) {
            NativeSha256 first = new NativeSha256();
            first.update(data, 0, split);
            assertEquals(split, first.length());
            assertEquals(split % 64, first.partial().length);
            NativeSha256 resumed = NativeSha256.resume(first.words(), first.length(), first.partial());
            resumed.update(data, split, data.length - split);
            assertArrayEquals(expected, resumed.digest(), "split at " + split);
        }
        // A full block not yet compressed (the JDK's digest can hold one) resumes too.
        NativeSha256 initial = new NativeSha256();
        NativeSha256 fromFullBlock = NativeSha256.resume(initial.words(), 64, java.util.Arrays.copyOf(data, 64));
        fromFullBlock.update(data, 64, data.length - 64);
        assertArrayEquals(expected, fromFullBlock.digest());
    }

    @Test
    void statesThatCannotBeAreRefused() {
        byte[] words = new NativeSha256().words();
        assertThrows(IllegalArgumentException.class, () -> NativeSha256.resume(new byte[31], 0, new byte[0]), "short words");
        assertThrows(IllegalArgumentException.class, () -> NativeSha256.resume(words, 10, new byte[3]), "not a whole number of blocks");
        assertThrows(IllegalArgumentException.class, () -> NativeSha256.resume(words, 2, new byte[3]), "more partial bytes than bytes");
        assertThrows(IllegalArgumentException.class, () -> NativeSha256.resume(words, 65, new byte[65]), "a partial block over 64 bytes");
    }
}
