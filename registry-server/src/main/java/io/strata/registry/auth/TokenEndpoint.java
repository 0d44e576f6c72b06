package io.strata.registry.auth;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.registry.ErrorCode;
import io.strata.registry.RegistryException;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;

/**
 * The built-in token service at {@code /token}, backed by the htpasswd users and the policy, so a
 * private registry needs no other service. GET with Basic credentials or none (auth-token.md), and
 * POST with the OAuth2 {@code password} and {@code refresh_token} grants (auth-oauth.md). It grants
 * the intersection of what was asked and what the policy allows.
 */
public final class TokenEndpoint {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final Gate gate;
    private final ExecutorService blocking;

    public TokenEndpoint(Gate gate, ExecutorService blocking) {
        this.gate = gate;
        this.blocking = blocking;
    }

    public void handle(RoutingContext ctx) {
        Context context = ctx.vertx().getOrCreateContext();
        blocking.submit(() -> {
            try {
                Map<String, Object> body = answer(ctx);
                String json = JSON.writeValueAsString(body);
                context.runOnContext(v -> ctx.response().putHeader("Content-Type", "application/json")
                        .putHeader("Cache-Control", "no-store").end(json));
            } catch (RegistryException e) {
                context.runOnContext(v -> ctx.fail(e));
            } catch (RuntimeException | JsonProcessingException e) {
                context.runOnContext(v -> ctx.fail(e));
            }
        });
    }

    private Map<String, Object> answer(RoutingContext ctx) {
        String client = Gate.client(ctx.request());
        boolean post = ctx.request().method() == HttpMethod.POST;
        MultiMap params = post ? ctx.request().formAttributes() : ctx.queryParams();
        String service = params.get("service");
        if (service != null && !service.equals(gate.service())) throw bad("this token service serves " + gate.service() + ", not " + service);
        String user = null;
        boolean offline;
        List<String> asked = new ArrayList<>();
        if (post) {
            String grantType = params.get("grant_type");
            if (params.get("scope") != null) for (String s : params.get("scope").split(" ")) if (!s.isBlank()) asked.add(s);
            offline = "offline".equals(params.get("access_type"));
            if ("password".equals(grantType)) {
                user = checkPassword(client, params.get("username"), params.get("password"));
            } else if ("refresh_token".equals(grantType)) {
                String refresh = params.get("refresh_token");
                if (refresh == null) throw bad("refresh_token is missing");
                try {
                    Tokens.Grant g = gate.tokens().verify(refresh);
                    if (!g.refresh() || g.subject() == null || g.subject().isEmpty()) throw new Tokens.Invalid("not a refresh token");
                    user = g.subject();
                } catch (Tokens.Invalid e) {
                    throw new RegistryException(ErrorCode.UNAUTHORIZED, 401, "invalid refresh token", null, Map.of());
                }
            } else {
                throw bad("grant_type must be password or refresh_token");
            }
        } else {
            asked.addAll(params.getAll("scope").stream().flatMap(s -> java.util.Arrays.stream(s.split(" "))).filter(s -> !s.isBlank()).toList());
            offline = "true".equals(params.get("offline_token"));
            Gate.Basic basic = Gate.Basic.parse(ctx.request().getHeader("Authorization"));
            if (ctx.request().getHeader("Authorization") != null && basic == null) throw bad("only Basic credentials are taken here");
            if (basic != null) user = checkPassword(client, basic.user(), basic.password());
        }
        List<Tokens.Scope> granted = new ArrayList<>();
        for (String s : asked) {
            Tokens.Scope scope;
            try {
                scope = Tokens.Scope.parse(s);
            } catch (IllegalArgumentException e) {
                throw bad(e.getMessage());
            }
            granted.add(gate.grant(user, scope));
        }
        String token = gate.signer().access(user, granted);
        Map<String, Object> out = new LinkedHashMap<>();
        if (!post) out.put("token", token);
        out.put("access_token", token);
        out.put("expires_in", gate.signer().expiry().toSeconds());
        out.put("issued_at", Instant.now().toString());
        if (post) out.put("scope", String.join(" ", granted.stream().map(Tokens.Scope::toString).toList()));
        if (offline && user != null) out.put("refresh_token", gate.signer().refresh(user));
        return out;
    }

    private String checkPassword(String client, String user, String password) {
        if (user == null || password == null) throw bad("username and password are required");
        var attempts = gate.blocked(client) ? null : gate.reserveAttempt(client);
        if (attempts == null) throw Gate.tooMany(60_000);
        if (!gate.verify(attempts, user, password)) {
            throw new RegistryException(ErrorCode.UNAUTHORIZED, 401, "invalid username or password", null, Map.of());
        }
        return user;
    }

    private static RegistryException bad(String message) {
        return new RegistryException(ErrorCode.UNSUPPORTED, 400, message, null, Map.of());
    }
}
