package io.strata.remote;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.oci.ImageJson;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Meets one registry's auth challenges: Basic, and Docker's token flow (anonymous or with
 * credentials) with a token cache per scope that renews a token before its {@code expires_in} and
 * when the registry refuses it. Safe under concurrency: requests in flight when another one switched
 * to Basic or fetched a token are retried with what is current, and one token request per scope runs
 * at a time.
 */
public final class Authenticator {
    private static final Pattern CHALLENGE_PARAM = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    private final String host;
    private final Optional<Credentials> credentials;
    private final Transport transport;
    private final Map<String, Token> tokens = new ConcurrentHashMap<>();
    private final Map<String, Object> tokenLocks = new ConcurrentHashMap<>();
    /** The Bearer challenge's parameters, kept to renew a token before it expires. */
    private volatile Map<String, String> bearerChallenge;
    private volatile boolean basic;

    /** A bearer token and when to stop using it (a little before the service says it expires). */
    private record Token(String value, long renewAtNanos) {
        boolean due() {
            return System.nanoTime() - renewAtNanos >= 0;
        }
    }

    Authenticator(String host, Optional<Credentials> credentials, Transport transport) {
        this.host = host;
        this.credentials = credentials;
        this.transport = transport;
    }

    /** What requests for {@code scope} (space-separated, as the token service takes them) send. */
    Transport.Auth scope(String scope) {
        return new Transport.Auth() {
            @Override
            public String header() throws IOException {
                return authorization(scope);
            }

            @Override
            public boolean challenged(HttpResponse<?> response, String sent) throws IOException {
                return authenticate(response, scope, sent);
            }

            @Override
            public String unauthorized(String sent) {
                if (sent != null && credentials.isPresent()) {
                    return "unauthorized: " + host + " refused the credentials of " + credentials.get().username()
                            + " (strata login " + host + ")";
                }
                return "unauthorized: " + host + " wants credentials (strata login " + host + ")";
            }
        };
    }

    /** The Authorization header to send now: a token for the scope (renewed when due), else Basic once a registry asked. */
    private String authorization(String scope) throws IOException {
        Token token = tokens.get(scope);
        if (token != null && token.due() && bearerChallenge != null) token = fetchToken(scope, token);
        if (token != null) return "Bearer " + token.value();
        if (basic && credentials.isPresent()) return credentials.get().basicHeader();
        return null;
    }

    /** Answers a 401's challenge, knowing what the request was sent with: true when a retry may succeed. */
    private boolean authenticate(HttpResponse<?> r, String scope, String sent) throws IOException {
        String challenge = r.headers().firstValue("WWW-Authenticate").orElse("");
        if (challenge.regionMatches(true, 0, "Basic", 0, 5)) {
            if (credentials.isEmpty()) return false;
            basic = true;
            return !credentials.get().basicHeader().equals(sent);
        }
        if (!challenge.regionMatches(true, 0, "Bearer", 0, 6)) return false;
        Map<String, String> params = new LinkedHashMap<>();
        Matcher m = CHALLENGE_PARAM.matcher(challenge);
        while (m.find()) params.put(m.group(1).toLowerCase(), m.group(2));
        if (params.get("realm") == null) return false;
        bearerChallenge = params;
        Token current = tokens.get(scope);
        if (current != null && !("Bearer " + current.value()).equals(sent)) return true; // fetched meanwhile
        fetchToken(scope, current);
        return true;
    }

    /** Fetches a token for the scope unless another thread replaced {@code stale} meanwhile. */
    private Token fetchToken(String scope, Token stale) throws IOException {
        synchronized (tokenLocks.computeIfAbsent(scope, k -> new Object())) {
            Token now = tokens.get(scope);
            if (now != null && now != stale && !now.due()) return now;
            Map<String, String> params = bearerChallenge;
            String realm = params.get("realm");
            StringBuilder url = new StringBuilder(realm).append(realm.contains("?") ? "&" : "?");
            if (params.containsKey("service")) url.append("service=").append(enc(params.get("service"))).append('&');
            url.append(Arrays.stream(scope.split(" ")).filter(sc -> !sc.isEmpty()).map(sc -> "scope=" + enc(sc))
                    .collect(Collectors.joining("&")));
            HttpRequest.Builder tokenRequest = HttpRequest.newBuilder(URI.create(url.toString())).GET();
            credentials.ifPresent(c -> tokenRequest.header("Authorization", c.basicHeader()));
            try {
                HttpResponse<byte[]> t = transport.http(URI.create(url.toString())).send(tokenRequest.build(),
                        HttpResponse.BodyHandlers.ofByteArray());
                if (t.statusCode() != 200) {
                    throw new RegistryException(401, "token service " + realm + " refused (" + t.statusCode() + ")"
                            + (credentials.isEmpty() ? ": log in with strata login " + host : ": check the credentials"));
                }
                JsonNode body = ImageJson.plain().readTree(t.body());
                String value = body.path("token").asText(body.path("access_token").asText(""));
                if (value.isEmpty()) throw new RegistryException(401, "token service " + realm + " sent no token");
                // Docker's token spec: 60 s when the service does not say; renew at 90% of the lifetime.
                long lifetime = Math.max(10, body.path("expires_in").asLong(60));
                Token token = new Token(value, System.nanoTime() + TimeUnit.SECONDS.toNanos(lifetime * 9 / 10));
                tokens.put(scope, token);
                return token;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            } catch (IOException e) {
                if (e instanceof RegistryException) throw e;
                throw new IOException("cannot reach the token service " + realm + ": " + e.getMessage(), e);
            }
        }
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
