package io.strata.oci;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/** The digest algorithms registered by the image spec (descriptor.md, "Registered algorithms"). */
public enum DigestAlgorithm {
    SHA256("sha256", "SHA-256", 64),
    SHA512("sha512", "SHA-512", 128);

    private final String id;
    private final String jcaName;
    private final int hexLength;

    DigestAlgorithm(String id, String jcaName, int hexLength) {
        this.id = id;
        this.jcaName = jcaName;
        this.hexLength = hexLength;
    }

    /** The name used in digest strings, e.g. {@code sha256}. */
    public String id() {
        return id;
    }

    /** Length of the lowercase hex encoding. */
    public int hexLength() {
        return hexLength;
    }

    public MessageDigest newMessageDigest() {
        try {
            return MessageDigest.getInstance(jcaName);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(jcaName + " is required by every Java runtime", e);
        }
    }

    /**
     * A digest for hashing many bytes as they stream (blobs, layers): SHA-256 from the system's
     * libcrypto where there is one, as fast under the quick compiler as under the optimising one
     * ({@link NativeSha256}); otherwise, and for other algorithms, {@link #newMessageDigest()}.
     */
    public MessageDigest newStreamingDigest() {
        return streamsNatively() ? new NativeSha256() : newMessageDigest();
    }

    /**
     * Whether {@link #newStreamingDigest()} hashes with libcrypto. {@code -Dstrata.jdkDigests=true}
     * says no (to compare, and to test what a machine without libcrypto does).
     */
    public boolean streamsNatively() {
        return this == SHA256 && !Boolean.getBoolean("strata.jdkDigests") && NativeSha256.available();
    }

    public static Optional<DigestAlgorithm> byId(String id) {
        for (DigestAlgorithm a : values()) if (a.id.equals(id)) return Optional.of(a);
        return Optional.empty();
    }
}
