package io.strata.registry.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.strata.registry.ApiPath;
import io.strata.registry.ErrorCode;
import io.strata.registry.RegistryConfig;
import io.strata.registry.RegistryException;
import io.vertx.core.Context;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Auth as a layer in front of the handlers: who is calling (nobody, a htpasswd user over Basic, or
 * the subject of a bearer token) and whether the request's action on its repository (pull for GET
 * and HEAD, push for POST, PATCH and PUT, delete for DELETE) is allowed. Unauthenticated: 401
 * UNAUTHORIZED with the challenge naming the scope the request needs; authenticated without the
 * right: 403 DENIED (in token mode a 401 with {@code error="insufficient_scope"}, as distribution
 * answers, so that clients fetch a token for the scope). What is allowed is left on the context
 * for the handlers ({@link #access}): the catalog lists, and a mount reads from, only what the
 * caller may pull.
 */
public final class Gate {
    private static final String ACCESS = "strata.access";

    /**
     * What the caller may do; in mode none, everything.
     *
     * @param user the user name, or null for an anonymous caller (or any caller without auth)
     * @param rule whether an action (pull, push, delete) on a repository is allowed
     * @param catalog whether the caller may list the catalog
     */
    public record Access(String user, java.util.function.BiPredicate<String, String> rule, boolean catalog) {
        public boolean allows(String repository, String action) {
            return rule.test(repository, action);
        }

        /** Who owns the upload sessions this caller starts: only they may continue them. */
        public String owner() {
            return user == null ? "" : user;
        }
    }

    private static final Access EVERYONE = new Access(null, (repository, action) -> true, true);

    private final String mode;
    private final String realm;
    private final String service;
    private final Htpasswd htpasswd;
    private final Reloading<Policy> policy;
    private final Tokens tokens;
    private final Tokens.Signer signer;
    private final ExecutorService blocking;
    private final int failedLoginsPerMinute;
    private final Cache<String, AtomicInteger> failures = Caffeine.newBuilder().expireAfterWrite(Duration.ofMinutes(1))
            .maximumSize(100_000).build();
    private final RateLimit requests;

    public Gate(RegistryConfig config, ExecutorService blocking) {
        RegistryConfig.Auth auth = config.auth();
        this.mode = auth.mode();
        this.blocking = blocking;
        this.htpasswd = auth.htpasswd().path() == null || mode.equals("none") ? null : new Htpasswd(Path.of(auth.htpasswd().path()));
        this.policy = auth.policy() == null ? null : new Reloading<>(Path.of(auth.policy()), Policy::parse);
        this.service = auth.token().service();
        this.failedLoginsPerMinute = config.limits().failedLoginsPerMinute() == null ? 10 : config.limits().failedLoginsPerMinute();
        this.requests = new RateLimit(config.limits().requestsPerSecond() == null ? 0 : config.limits().requestsPerSecond());
        if (mode.equals("token")) {
            try {
                List<PublicKey> keys = new ArrayList<>();
                for (String f : auth.token().publicKeys() == null ? List.<String>of() : auth.token().publicKeys()) {
                    keys.addAll(PemKeys.publicKeys(Path.of(f)));
                }
                if (Boolean.TRUE.equals(auth.issuer().enabled())) {
                    PrivateKey key = PemKeys.privateKey(Path.of(auth.issuer().privateKey()));
                    PublicKey pub = PemKeys.publicOf(key, keys);
                    if (!keys.contains(pub)) keys.add(pub);
                    this.signer = new Tokens.Signer(key, pub, service, auth.token().issuer(), config.tokenExpiry(), Clock.systemUTC());
                } else {
                    this.signer = null;
                }
                this.tokens = new Tokens(service, auth.token().issuer(), keys, Clock.systemUTC());
            } catch (IOException e) {
                throw new UncheckedIOException("auth: " + e.getMessage(), e);
            }
            this.realm = auth.token().realm();
        } else {
            this.tokens = null;
            this.signer = null;
            this.realm = auth.htpasswd().realm();
        }
    }

    public String mode() {
        return mode;
    }

    /** What the request's caller may do (set by the gate; everything when auth is off). */
    public static Access access(RoutingContext ctx) {
        Access a = ctx.get(ACCESS);
        return a == null ? EVERYONE : a;
    }

    Policy policy() {
        return policy == null ? Policy.AUTHENTICATED : policy.get();
    }

    Htpasswd htpasswd() {
        return htpasswd;
    }

    Tokens tokens() {
        return tokens;
    }

    Tokens.Signer signer() {
        return signer;
    }

    String service() {
        return service;
    }

    /** The route handler for /v2/*. */
    public void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String client = client(request);
        long wait = requests.take(client);
        if (wait > 0) {
            ctx.fail(tooMany(wait));
            return;
        }
        if (mode.equals("none")) {
            ctx.next();
            return;
        }
        Need need = need(ctx);
        String header = request.getHeader("Authorization");
        if (mode.equals("htpasswd")) {
            Basic basic = Basic.parse(header);
            if (basic == null) {
                decide(ctx, need, null, false);
                return;
            }
            if (blocked(client)) {
                ctx.fail(tooMany(60_000));
                return;
            }
            if (htpasswd.recentlyVerified(basic.user(), basic.password())) {
                decide(ctx, need, basic.user(), true);
                return;
            }
            AtomicInteger attempts = reserveAttempt(client);
            if (attempts == null) {
                ctx.fail(tooMany(60_000));
                return;
            }
            // bcrypt is slow by design: check off the event loop; the request waits, paused.
            Context context = ctx.vertx().getOrCreateContext();
            request.pause();
            blocking.submit(() -> {
                boolean ok = verify(attempts, basic.user(), basic.password());
                context.runOnContext(v -> {
                    request.resume();
                    if (!ok) {
                        ctx.fail(unauthorized(need, ctx, "invalid username or password", null));
                        return;
                    }
                    decide(ctx, need, basic.user(), true);
                });
            });
            return;
        }
        // token
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            decide(ctx, need, null, false);
            return;
        }
        Tokens.Grant grant;
        try {
            grant = tokens.verify(header.substring(7).trim());
            if (grant.refresh()) throw new Tokens.Invalid("a refresh token is no access token");
        } catch (Tokens.Invalid e) {
            ctx.fail(unauthorized(need, ctx, "invalid token", "invalid_token"));
            return;
        }
        decideToken(ctx, need, grant);
    }

    /** What a request needs: a repository and action, the catalog, or only to be authenticated (/v2/). */
    record Need(String repository, String action, String mountFrom, boolean catalog) {
        List<String> scopes() {
            List<String> out = new ArrayList<>();
            if (catalog) out.add("registry:catalog:*");
            if (repository != null) out.add("repository:" + repository + ":" + (action.equals("push") ? "pull,push" : action));
            if (mountFrom != null) out.add("repository:" + mountFrom + ":pull");
            return out;
        }
    }

    /** What the request needs, read from its path exactly as the router reads it ({@link ApiPath}). */
    static Need need(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        ApiPath path = ApiPath.of(ctx);
        if (path == null || path.endpoint() == ApiPath.Endpoint.BASE) return new Need(null, null, null, false);
        if (path.endpoint() == ApiPath.Endpoint.CATALOG) return new Need(null, null, null, true);
        HttpMethod method = request.method();
        String from = method == HttpMethod.POST && request.getParam("mount") != null ? request.getParam("from") : null;
        return new Need(path.name(), path.action(method), from, false);
    }

    /** htpasswd mode: the policy decides for the user (null: anonymous). */
    private void decide(RoutingContext ctx, Need need, String user, boolean authenticated) {
        Policy p = policy();
        Access access = new Access(user, (repository, action) -> p.allowed(user, repository).contains(action), p.catalog(user));
        boolean ok = need.catalog() ? access.catalog()
                : need.repository() == null ? authenticated
                : access.allows(need.repository(), need.action());
        if (!ok && need.repository() == null && !need.catalog() && !authenticated && ctx.request().path().length() > 4) {
            ok = true; // not an API route: let the router answer 404
        }
        if (ok) {
            ctx.put(ACCESS, access);
            ctx.next();
        } else if (!authenticated) {
            ctx.fail(unauthorized(need, ctx, "authentication required", null));
        } else {
            ctx.fail(new RegistryException(ErrorCode.DENIED, "requested access to the resource is denied",
                    need.scopes().isEmpty() ? null : Map.of("scope", String.join(" ", need.scopes()))));
        }
    }

    /** token mode: the token's grant decides; the policy only narrows listings to what its subject may pull. */
    private void decideToken(RoutingContext ctx, Need need, Tokens.Grant grant) {
        String user = grant.subject() == null || grant.subject().isEmpty() ? null : grant.subject();
        Access access = new Access(user, (repository, action) -> grant.allows("repository", repository, action),
                grant.allows("registry", "catalog", "*"));
        boolean ok = need.catalog() ? access.catalog()
                : need.repository() == null || access.allows(need.repository(), need.action());
        if (ok) {
            // The catalog lists what the token grants, and what the policy lets its subject pull.
            Policy p = policy();
            ctx.put(ACCESS, !need.catalog() ? access : new Access(user,
                    (repository, action) -> access.allows(repository, action) || p.allowed(user, repository).contains(action), true));
            ctx.next();
        } else {
            ctx.fail(unauthorized(need, ctx, "the token does not grant " + String.join(" ", need.scopes()), "insufficient_scope"));
        }
    }

    private RegistryException unauthorized(Need need, RoutingContext ctx, String message, String error) {
        String challenge;
        if (mode.equals("htpasswd")) {
            challenge = "Basic realm=\"" + realm + "\"";
        } else {
            String r = realm != null ? realm : ctx.request().scheme() + "://" + ctx.request().authority() + "/token";
            StringBuilder sb = new StringBuilder("Bearer realm=\"").append(r).append("\",service=\"").append(service).append('"');
            if (!need.scopes().isEmpty()) sb.append(",scope=\"").append(String.join(" ", need.scopes())).append('"');
            if (error != null) sb.append(",error=\"").append(error).append('"');
            challenge = sb.toString();
        }
        return new RegistryException(ErrorCode.UNAUTHORIZED, 401, message,
                need.scopes().isEmpty() ? null : Map.of("scope", String.join(" ", need.scopes())), Map.of("WWW-Authenticate", challenge));
    }

    static RegistryException tooMany(long waitMillis) {
        long seconds = Math.max(1, (waitMillis + 999) / 1000);
        return new RegistryException(ErrorCode.TOOMANYREQUESTS, 429, "too many requests from this address; retry in " + seconds + " s",
                null, Map.of("Retry-After", Long.toString(seconds)));
    }

    /** The client's address, as limits count it. */
    public static String client(HttpServerRequest request) {
        return request.remoteAddress() == null ? "unknown" : request.remoteAddress().hostAddress();
    }

    /** Whether this address failed too many logins in the last minute. */
    boolean blocked(String client) {
        AtomicInteger n = failures.getIfPresent(client);
        return failedLoginsPerMinute > 0 && n != null && n.get() >= failedLoginsPerMinute;
    }

    /**
     * Counts a password check against the address's limit before it runs, atomically, so that
     * attempts sent at once cannot all pass a check made before any of them failed. Null when the
     * address has no attempt left; otherwise the counter, for {@link #verify}.
     */
    AtomicInteger reserveAttempt(String client) {
        AtomicInteger n = failures.get(client, k -> new AtomicInteger());
        if (failedLoginsPerMinute > 0 && n.incrementAndGet() > failedLoginsPerMinute) {
            n.decrementAndGet();
            return null;
        }
        return n;
    }

    /** Checks a password whose attempt was reserved: a right one gives the attempt back, a wrong one keeps it counted. */
    boolean verify(AtomicInteger attempts, String user, String password) {
        boolean ok = htpasswd.verify(user, password);
        if (ok && failedLoginsPerMinute > 0) attempts.decrementAndGet();
        return ok;
    }

    /** Basic credentials from an Authorization header. */
    record Basic(String user, String password) {
        static Basic parse(String header) {
            if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) return null;
            try {
                String decoded = new String(Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                return colon <= 0 ? null : new Basic(decoded.substring(0, colon), decoded.substring(colon + 1));
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
    }

    /** The actions of a requested scope that the policy gives {@code user} (the built-in issuer's grant). */
    Tokens.Scope grant(String user, Tokens.Scope asked) {
        Set<String> granted = new LinkedHashSet<>();
        if (asked.type().equals("repository")) {
            Set<String> allowed = policy().allowed(user, asked.name());
            for (String a : asked.actions()) {
                if (a.equals("*")) granted.addAll(allowed);
                else if (allowed.contains(a)) granted.add(a);
            }
        } else if (asked.type().equals("registry") && asked.name().equals("catalog") && policy().catalog(user)) {
            granted.add("*");
        }
        return new Tokens.Scope(asked.type(), asked.name(), granted);
    }
}
