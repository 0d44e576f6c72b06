package io.strata.oci;

import java.io.IOException;

/** Content whose bytes do not hash to the digest it was named by. */
public final class DigestMismatchException extends IOException {
    private final Digest expected;
    private final Digest actual;

    public DigestMismatchException(String what, Digest expected, Digest actual) {
        super(what + " is " + actual + ", expected " + expected);
        this.expected = expected;
        this.actual = actual;
    }

    public Digest expected() {
        return expected;
    }

    public Digest actual() {
        return actual;
    }
}
