package io.strata.registry.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Docker's registry tokens (auth-jwt.md): JWTs signed RS256 or ES256 by a key named in {@code kid}
 * (libtrust's key ID), for one {@code aud}ience (the service), from one {@code iss}uer, granting
 * {@code access}: a list of {type, name, actions}. Verified here, and issued by the built-in issuer.
 */
public final class Tokens {
    /** Clocks of the registry and the token service differ a little. */
    static final Duration LEEWAY = Duration.ofSeconds(30);
    private static final String REFRESH = "strata_refresh";

    /** What a token grants: a subject, and actions by resource ({@code repository:NAME}, {@code registry:catalog}). */
    public record Grant(String subject, Map<String, Set<String>> access, boolean refresh) {
        public boolean allows(String type, String name, String action) {
            Set<String> actions = access.get(type + ":" + name);
            return actions != null && (actions.contains(action) || actions.contains("*"));
        }
    }

    /** A token that is not valid here, and why (never shown to the caller beyond "invalid token"). */
    public static final class Invalid extends Exception {
        Invalid(String message) {
            super(message);
        }
    }

    private final String service;
    private final String issuer;
    private final Map<String, PublicKey> keys = new LinkedHashMap<>();
    private final Clock clock;
    /**
     * Tokens already verified, with their validity: a client sends one token for many requests,
     * and an RSA check on each of them halved the registry's small-request throughput.
     */
    private final com.github.benmanes.caffeine.cache.Cache<String, Verified> verified = com.github.benmanes.caffeine.cache.Caffeine
            .newBuilder().maximumSize(10_000).expireAfterWrite(java.time.Duration.ofMinutes(10)).build();

    private record Verified(Grant grant, Instant notBefore, Instant expires) {}

    public Tokens(String service, String issuer, List<PublicKey> publicKeys, Clock clock) {
        this.service = service;
        this.issuer = issuer;
        for (PublicKey k : publicKeys) keys.put(PemKeys.keyId(k), k);
        this.clock = clock;
    }

    public Grant verify(String token) throws Invalid {
        Verified v = verified.getIfPresent(token);
        if (v == null) {
            v = check(token);
            verified.put(token, v);
        }
        Instant now = clock.instant();
        if (now.minus(LEEWAY).isAfter(v.expires())) throw new Invalid("expired");
        if (v.notBefore() != null && now.plus(LEEWAY).isBefore(v.notBefore())) throw new Invalid("not valid yet");
        return v.grant();
    }

    /** Signature, issuer, audience and claims; the times are checked on every use. */
    private Verified check(String token) throws Invalid {
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException e) {
            throw new Invalid("not a signed JWT");
        }
        JWSAlgorithm alg = jwt.getHeader().getAlgorithm();
        if (!JWSAlgorithm.RS256.equals(alg) && !JWSAlgorithm.ES256.equals(alg)) throw new Invalid("algorithm " + alg + " is not accepted");
        String kid = jwt.getHeader().getKeyID();
        PublicKey key = kid != null ? keys.get(kid) : keys.size() == 1 ? keys.values().iterator().next() : null;
        if (key == null) throw new Invalid("unknown key " + kid);
        try {
            JWSVerifier verifier = switch (key) {
                case RSAPublicKey rsa when alg.equals(JWSAlgorithm.RS256) -> new RSASSAVerifier(rsa);
                case ECPublicKey ec when alg.equals(JWSAlgorithm.ES256) -> new ECDSAVerifier(ec);
                default -> throw new Invalid("algorithm " + alg + " does not fit key " + kid);
            };
            if (!jwt.verify(verifier)) throw new Invalid("bad signature");
            JWTClaimsSet claims = jwt.getJWTClaimsSet();
            if (claims.getExpirationTime() == null) throw new Invalid("no expiry");
            if (!issuer.equals(claims.getIssuer())) throw new Invalid("issuer " + claims.getIssuer());
            if (claims.getAudience() == null || !claims.getAudience().contains(service)) throw new Invalid("audience " + claims.getAudience());
            Map<String, Set<String>> access = new LinkedHashMap<>();
            Object raw = claims.getClaim("access");
            if (raw instanceof List<?> list) {
                for (Object o : list) {
                    if (!(o instanceof Map<?, ?> m) || !(m.get("type") instanceof String type) || !(m.get("name") instanceof String name)) {
                        throw new Invalid("malformed access claim");
                    }
                    Set<String> actions = new LinkedHashSet<>();
                    if (m.get("actions") instanceof List<?> as) for (Object a : as) if (a instanceof String s) actions.add(s);
                    access.computeIfAbsent(type + ":" + name, k -> new LinkedHashSet<>()).addAll(actions);
                }
            } else if (raw != null) {
                throw new Invalid("malformed access claim");
            }
            return new Verified(new Grant(claims.getSubject(), access, Boolean.TRUE.equals(claims.getBooleanClaim(REFRESH))),
                    claims.getNotBeforeTime() == null ? null : claims.getNotBeforeTime().toInstant(),
                    claims.getExpirationTime().toInstant());
        } catch (JOSEException | ParseException e) {
            throw new Invalid(e.getMessage());
        }
    }

    /** One requested or granted resource: {@code repository:team/app:pull,push}. */
    public record Scope(String type, String name, Set<String> actions) {
        /** Parses a scope; the name may hold colons (a registry host with a port), the actions come last. */
        public static Scope parse(String text) {
            int first = text.indexOf(':');
            int last = text.lastIndexOf(':');
            if (first <= 0 || last == first) throw new IllegalArgumentException("invalid scope " + text);
            Set<String> actions = new LinkedHashSet<>();
            for (String a : text.substring(last + 1).split(",")) if (!a.isBlank()) actions.add(a.trim());
            return new Scope(text.substring(0, first), text.substring(first + 1, last), actions);
        }

        @Override
        public String toString() {
            return type + ":" + name + ":" + String.join(",", actions);
        }
    }

    /** The built-in issuer's signing side. */
    public static final class Signer {
        private final PrivateKey key;
        private final String kid;
        private final String service;
        private final String issuer;
        private final Duration expiry;
        private final Clock clock;

        public Signer(PrivateKey key, PublicKey publicKey, String service, String issuer, Duration expiry, Clock clock) {
            this.key = key;
            this.kid = PemKeys.keyId(publicKey);
            this.service = service;
            this.issuer = issuer;
            this.expiry = expiry;
            this.clock = clock;
        }

        public Duration expiry() {
            return expiry;
        }

        /** An access token for {@code subject} (null: anonymous) granting {@code access}. */
        public String access(String subject, List<Scope> access) {
            List<Map<String, Object>> claim = new ArrayList<>();
            for (Scope s : access) claim.add(Map.of("type", s.type(), "name", s.name(), "actions", List.copyOf(s.actions())));
            return sign(subject == null ? "" : subject, expiry, b -> b.claim("access", claim));
        }

        /** A refresh token (OAuth2 offline access): who the subject is, for 30 days; what it may do is asked anew each time. */
        public String refresh(String subject) {
            return sign(subject, Duration.ofDays(30), b -> b.claim(REFRESH, true));
        }

        private String sign(String subject, Duration lifetime, java.util.function.UnaryOperator<JWTClaimsSet.Builder> extra) {
            Instant now = clock.instant();
            JWTClaimsSet claims = extra.apply(new JWTClaimsSet.Builder().issuer(issuer).subject(subject).audience(service)
                    .issueTime(Date.from(now)).notBeforeTime(Date.from(now)).expirationTime(Date.from(now.plus(lifetime)))
                    .jwtID(UUID.randomUUID().toString())).build();
            JWSAlgorithm alg = key instanceof ECPrivateKey ? JWSAlgorithm.ES256 : JWSAlgorithm.RS256;
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).keyID(kid).type(JOSEObjectType.JWT).build(), claims);
            try {
                JWSSigner signer = key instanceof ECPrivateKey ec ? new ECDSASigner(ec) : new RSASSASigner(key);
                jwt.sign(signer);
            } catch (JOSEException e) {
                throw new IllegalStateException("cannot sign a token: " + e.getMessage(), e);
            }
            return jwt.serialize();
        }
    }
}
