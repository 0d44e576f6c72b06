package io.strata.registry.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Users and bcrypt hashes as {@code htpasswd -B} writes them ({@code user:$2y$...}), re-read when the
 * file changes. A bcrypt check costs tens of milliseconds by design, so a verified pair is
 * remembered for a few minutes as a keyed hash (never the password itself), and an unknown user costs
 * the same bcrypt check as a known one: it is checked against a stand-in hash made at the cost most of
 * the file's entries use ({@code htpasswd -B} writes cost 5 unless told {@code -C}), so timing does
 * not tell which names exist.
 */
public final class Htpasswd {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Htpasswd.class);
    private static final ThreadLocal<Mac> MACS = ThreadLocal.withInitial(() -> {
        try {
            return Mac.getInstance("HmacSHA256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });
    /** The file's users and their hashes, and the stand-in hash an unknown user is checked against. */
    record Users(Map<String, String> hashes, String standIn) {
        boolean isEmpty() {
            return hashes.isEmpty();
        }

        String get(String user) {
            return hashes.get(user);
        }
    }

    private final Reloading<Users> users;
    private final byte[] cacheKey = new byte[32];
    private final Cache<String, String> verified = Caffeine.newBuilder().expireAfterWrite(Duration.ofMinutes(5))
            .maximumSize(10_000).build();

    public Htpasswd(Path file) {
        this.users = new Reloading<>(file, Htpasswd::parse);
        new SecureRandom().nextBytes(cacheKey);
        if (users.get().isEmpty()) {
            // Allowed (users may be added later: the file is read again when it changes), but a registry
            // that refuses everyone should say why.
            LOG.warn("{} has no users: every request is refused until one is added (htpasswd -B {} USER)", file, file);
        }
    }

    static Users parse(Path file) throws IOException {
        Map<String, String> out = new HashMap<>();
        int n = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            n++;
            if (line.isBlank() || line.startsWith("#")) continue;
            int colon = line.indexOf(':');
            if (colon <= 0) throw new IOException(file + ":" + n + ": not user:hash");
            String hash = line.substring(colon + 1).strip();
            if (!hash.matches("\\$2[aby]\\$\\d\\d\\$.{53}")) {
                throw new IOException(file + ":" + n + ": only bcrypt entries are accepted (htpasswd -B)");
            }
            out.put(line.substring(0, colon), hash);
        }
        return new Users(Map.copyOf(out), standIn(out.values()));
    }

    /** A hash of no one's password at the cost most entries use (the file's users are checked at theirs). */
    static String standIn(java.util.Collection<String> hashes) {
        Map<Integer, Integer> costs = new HashMap<>();
        for (String h : hashes) costs.merge(Integer.parseInt(h.substring(4, 6)), 1, Integer::sum);
        int cost = costs.entrySet().stream().max(Map.Entry.<Integer, Integer>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
                .map(Map.Entry::getKey).orElse(10);
        byte[] password = new byte[16];
        new SecureRandom().nextBytes(password);
        return BCrypt.with(BCrypt.Version.VERSION_2Y).hashToString(Math.max(4, Math.min(31, cost)),
                java.util.HexFormat.of().formatHex(password).toCharArray());
    }

    /** True when this pair was verified a moment ago (no bcrypt needed); false says only: ask {@link #verify}. */
    public boolean recentlyVerified(String user, String password) {
        String hash = users.get().get(user);
        return hash != null && hash.equals(verified.getIfPresent(keyed(user, password, hash)));
    }

    /** Whether the password is the user's. */
    public boolean verify(String user, String password) {
        Users current = users.get();
        String hash = current.get(user);
        String key = keyed(user, password, hash);
        if (hash != null && hash.equals(verified.getIfPresent(key))) return true;
        boolean ok = BCrypt.verifyer().verify(password.toCharArray(), (hash != null ? hash : current.standIn()).toCharArray()).verified;
        if (ok && hash != null) {
            verified.put(key, hash);
            return true;
        }
        return false;
    }

    /** HMAC of the pair under a per-process key: what the cache holds instead of passwords. */
    private String keyed(String user, String password, String hash) {
        try {
            Mac mac = MACS.get();
            mac.init(new SecretKeySpec(cacheKey, "HmacSHA256"));
            mac.update(user.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            mac.update(password.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            if (hash != null) mac.update(hash.getBytes(StandardCharsets.US_ASCII));
            return java.util.HexFormat.of().formatHex(mac.doFinal());
        } catch (InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }
}
