package io.strata.registry.auth;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Keys from PEM files, and their key IDs as distribution computes them (libtrust's fingerprint). */
final class PemKeys {
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN ([A-Z ]+)-----([^-]+)-----END \\1-----");

    private PemKeys() {}

    /** Public keys of a PEM file: certificates and/or PUBLIC KEY blocks. */
    static List<PublicKey> publicKeys(Path file) throws IOException {
        List<PublicKey> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(Files.readString(file, StandardCharsets.US_ASCII));
        try {
            while (m.find()) {
                byte[] der = Base64.getMimeDecoder().decode(m.group(2));
                switch (m.group(1)) {
                    case "CERTIFICATE" -> out.add(CertificateFactory.getInstance("X.509")
                            .generateCertificate(new ByteArrayInputStream(der)).getPublicKey());
                    case "PUBLIC KEY" -> out.add(publicKey(der));
                    default -> throw new IOException(file + ": " + m.group(1) + " is neither a certificate nor a public key");
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
        if (out.isEmpty()) throw new IOException(file + " holds no PEM certificate or public key");
        return out;
    }

    private static PublicKey publicKey(byte[] spki) throws GeneralSecurityException {
        for (String alg : List.of("RSA", "EC")) {
            try {
                return KeyFactory.getInstance(alg).generatePublic(new X509EncodedKeySpec(spki));
            } catch (GeneralSecurityException ignored) {
                // try the next algorithm
            }
        }
        throw new GeneralSecurityException("not an RSA or EC public key");
    }

    /** An RSA or EC (P-256) private key in PKCS#8 PEM, as {@code openssl genpkey} writes it. */
    static PrivateKey privateKey(Path file) throws IOException {
        Matcher m = BLOCK.matcher(Files.readString(file, StandardCharsets.US_ASCII));
        if (!m.find() || !m.group(1).equals("PRIVATE KEY")) {
            throw new IOException(file + " is not a PKCS#8 PEM key (openssl genpkey writes one; convert others with openssl pkcs8 -topk8 -nocrypt)");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(2));
        for (String alg : List.of("RSA", "EC")) {
            try {
                return KeyFactory.getInstance(alg).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException ignored) {
                // try the next algorithm
            }
        }
        throw new IOException(file + ": not an RSA or EC private key");
    }

    /**
     * The public half of a private key: derived for RSA; for EC, the one of {@code candidates} (the
     * configured public keys) that verifies a signature made with it, so no curve arithmetic is ours.
     */
    static PublicKey publicOf(PrivateKey key, List<PublicKey> candidates) throws IOException {
        try {
            if (key instanceof RSAPrivateCrtKey rsa) {
                return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
            }
            if (key instanceof ECPrivateKey) {
                byte[] probe = "strata key probe".getBytes(StandardCharsets.US_ASCII);
                java.security.Signature signer = java.security.Signature.getInstance("SHA256withECDSA");
                signer.initSign(key);
                signer.update(probe);
                byte[] signature = signer.sign();
                for (PublicKey candidate : candidates) {
                    if (!candidate.getAlgorithm().equals("EC")) continue;
                    java.security.Signature verifier = java.security.Signature.getInstance("SHA256withECDSA");
                    verifier.initVerify(candidate);
                    verifier.update(probe);
                    try {
                        if (verifier.verify(signature)) return candidate;
                    } catch (java.security.SignatureException otherCurve) {
                        // not this one
                    }
                }
                throw new IOException("an EC issuer key needs its public key or certificate in auth.token.publicKeys");
            }
        } catch (GeneralSecurityException e) {
            throw new IOException(e.getMessage(), e);
        }
        throw new IOException("unsupported key " + key.getAlgorithm() + " (RSA or EC P-256)");
    }

    /**
     * libtrust's key ID, which distribution and Docker's token servers put in {@code kid}: the
     * SHA-256 of the DER public key, its first 240 bits in base32, in twelve groups of four.
     */
    static String keyId(PublicKey key) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
            String b32 = base32(java.util.Arrays.copyOf(hash, 30));
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 48; i += 4) {
                if (i > 0) sb.append(':');
                sb.append(b32, i, i + 4);
            }
            return sb.toString();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String base32(byte[] data) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        StringBuilder out = new StringBuilder();
        int buffer = 0;
        int bits = 0;
        for (byte b : data) {
            buffer = (buffer << 8) | (b & 0xff);
            bits += 8;
            while (bits >= 5) {
                out.append(alphabet.charAt((buffer >> (bits - 5)) & 31));
                bits -= 5;
            }
        }
        if (bits > 0) out.append(alphabet.charAt((buffer << (5 - bits)) & 31));
        return out.toString();
    }
}
