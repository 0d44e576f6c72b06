package io.strata.storage;

import io.strata.oci.Digest;
import io.strata.oci.DigestAlgorithm;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Random;

/** Content for storage tests. */
public final class TestData {
    private TestData() {}

    public static byte[] random(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    public static Digest sha256(byte[] content) {
        return Digest.sha256(content);
    }

    public static Digest sha512(byte[] content) {
        return Digest.of(DigestAlgorithm.SHA512, DigestAlgorithm.SHA512.newMessageDigest().digest(content));
    }

    public static InputStream stream(byte[] content, int from, int to) {
        return new ByteArrayInputStream(content, from, to - from);
    }

    public static byte[] readAll(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
