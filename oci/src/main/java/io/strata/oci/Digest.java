package io.strata.oci;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest, {@code algorithm:encoded}, per the image spec's descriptor grammar.
 * Only registered algorithms are accepted, with their exact lowercase hex length, so a Digest
 * is always safe to use in a storage key or a path.
 */
public record Digest(DigestAlgorithm algorithm, String encoded) implements Comparable<Digest> {
    /** descriptor.md: algorithm-component ([+._-] algorithm-component)* ":" [a-zA-Z0-9=_-]+ */
    private static final Pattern GRAMMAR =
            Pattern.compile("[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+");
    private static final Pattern LOWER_HEX = Pattern.compile("[a-f0-9]+");

    public Digest {
        if (algorithm == null || encoded == null
                || encoded.length() != algorithm.hexLength() || !LOWER_HEX.matcher(encoded).matches()) {
            throw new InvalidValueException(InvalidValueException.Kind.DIGEST,
                    "invalid " + (algorithm == null ? "" : algorithm.id() + " ") + "digest encoding "
                            + InvalidValueException.quote(encoded));
        }
    }

    /** Parses and validates {@code sha256:<64 hex>} or {@code sha512:<128 hex>}. */
    @JsonCreator
    public static Digest parse(String text) {
        if (text == null || text.length() > 256 || !GRAMMAR.matcher(text).matches()) {
            throw new InvalidValueException(InvalidValueException.Kind.DIGEST,
                    "invalid digest " + InvalidValueException.quote(text)
                            + ": expected algorithm:hex, e.g. sha256:<64 lowercase hex>");
        }
        int colon = text.indexOf(':');
        String algorithm = text.substring(0, colon);
        DigestAlgorithm alg = DigestAlgorithm.byId(algorithm).orElseThrow(() -> new InvalidValueException(
                InvalidValueException.Kind.DIGEST,
                "unsupported digest algorithm " + InvalidValueException.quote(algorithm) + " (sha256 and sha512 are)"));
        return new Digest(alg, text.substring(colon + 1));
    }

    public static Digest of(DigestAlgorithm algorithm, byte[] hash) {
        return new Digest(algorithm, HexFormat.of().formatHex(hash));
    }

    /** The sha256 digest of the given bytes; meant for small content such as manifests. */
    public static Digest sha256(byte[] content) {
        return of(DigestAlgorithm.SHA256, DigestAlgorithm.SHA256.newMessageDigest().digest(content));
    }

    /** The digest of {@code content} under this digest's algorithm. */
    public Digest compute(byte[] content) {
        return of(algorithm, algorithm.newMessageDigest().digest(content));
    }

    /** Checks that {@code content} hashes to this digest; the one place small content is verified. */
    public void verify(byte[] content) throws DigestMismatchException {
        Digest actual = compute(content);
        if (!actual.equals(this)) throw new DigestMismatchException("content", this, actual);
    }

    @JsonValue
    @Override
    public String toString() {
        return algorithm.id() + ":" + encoded;
    }

    @Override
    public int compareTo(Digest o) {
        return toString().compareTo(o.toString());
    }
}
