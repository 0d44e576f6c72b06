package io.strata.registry.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.oci.Digest;
import io.strata.registry.ExternalTool;
import io.strata.registry.Http;
import io.strata.registry.Registry;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The registry's auth in each mode: every endpoint with no, insufficient and sufficient
 * credentials; the policy's patterns, groups and anonymous pull; the catalog filtered; mounts that
 * cannot read their source; upload sessions bound to who started them; the built-in token service
 * (GET, OAuth2 password and refresh grants) and every way a token can be wrong.
 */
class AuthTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String POLICY = """
            groups:
              team-a: [alice]
            rules:
              - repositories: ["team-a/**"]
                groups: [team-a]
                actions: [pull, push, delete]
              - repositories: ["public/*"]
                anonymous: true
                actions: [pull]
              - repositories: ["public/*"]
                users: ["*"]
                actions: [pull, push]
              - catalog: true
                users: ["*"]
            """;

    @TempDir
    Path dir;

    @BeforeEach
    void users() throws Exception {
        ExternalTool.require("htpasswd");
        Files.writeString(dir.resolve("htpasswd"), ExternalTool.ok("htpasswd", "-Bbn", "alice", "s3cret")
                + ExternalTool.ok("htpasswd", "-Bbn", "bob", "hunter2"));
        Files.writeString(dir.resolve("access.yml"), POLICY);
    }

    private Registry start(String auth) throws Exception {
        return io.strata.registry.Registries.start(dir, auth);
    }

    private String htpasswdMode(String extra) {
        return "auth:\n  mode: htpasswd\n  htpasswd:\n    path: " + dir.resolve("htpasswd") + "\n  policy: " + dir.resolve("access.yml") + "\n" + extra;
    }

    @Test
    void anHtpasswdFileWithoutUsersIsSaidAtStart() throws Exception {
        Files.writeString(dir.resolve("htpasswd"), "# nobody yet\n");
        try (var lines = io.strata.registry.LogLines.of(Htpasswd.class); Registry registry = start(htpasswdMode(""))) {
            assertEquals(List.of(dir.resolve("htpasswd") + " has no users: every request is refused until one is added (htpasswd -B "
                    + dir.resolve("htpasswd") + " USER)"), lines.messages());
            assertEquals(401, new Http(registry.port()).get("/v2/").status());
        }
        Files.writeString(dir.resolve("htpasswd"), ExternalTool.ok("htpasswd", "-Bbn", "alice", "s3cret"));
        try (var lines = io.strata.registry.LogLines.of(Htpasswd.class); Registry registry = start(htpasswdMode(""))) {
            assertEquals(List.of(), lines.messages(), "a file with users says nothing");
        }
    }

    /** One request of every kind on a repository, and the action each needs. */
    private record Call(String method, String path, String action) {}

    private static List<Call> calls(String repo) {
        String d = "sha256:" + "a".repeat(64);
        return List.of(
                new Call("GET", "/v2/" + repo + "/manifests/latest", "pull"),
                new Call("HEAD", "/v2/" + repo + "/manifests/latest", "pull"),
                new Call("PUT", "/v2/" + repo + "/manifests/latest", "push"),
                new Call("DELETE", "/v2/" + repo + "/manifests/" + d, "delete"),
                new Call("GET", "/v2/" + repo + "/blobs/" + d, "pull"),
                new Call("HEAD", "/v2/" + repo + "/blobs/" + d, "pull"),
                new Call("DELETE", "/v2/" + repo + "/blobs/" + d, "delete"),
                new Call("POST", "/v2/" + repo + "/blobs/uploads/", "push"),
                new Call("PATCH", "/v2/" + repo + "/blobs/uploads/nosuch", "push"),
                new Call("PUT", "/v2/" + repo + "/blobs/uploads/nosuch?digest=" + d, "push"),
                new Call("GET", "/v2/" + repo + "/blobs/uploads/nosuch", "pull"),
                new Call("DELETE", "/v2/" + repo + "/blobs/uploads/nosuch", "delete"),
                new Call("GET", "/v2/" + repo + "/tags/list", "pull"),
                new Call("GET", "/v2/" + repo + "/referrers/" + d, "pull"));
    }

    /** Pushes a blob and a manifest naming it; returns the manifest's digest. */
    private static Digest push(Http http, String repo, String tag, long seed) {
        byte[] config = ("{\"seed\":" + seed + "}").getBytes(StandardCharsets.UTF_8);
        Digest c = Digest.sha256(config);
        Http.Response r = http.send("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + c, config);
        assertEquals(201, r.status(), r.text());
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":"
                + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + c + "\",\"size\":" + config.length + "},\"layers\":[]}")
                .getBytes(StandardCharsets.UTF_8);
        r = http.send("PUT", "/v2/" + repo + "/manifests/" + tag, manifest, "Content-Type", "application/vnd.oci.image.manifest.v1+json");
        assertEquals(201, r.status(), r.text());
        return c;
    }

    @Test
    void htpasswdModeChecksEveryRouteAgainstThePolicy() throws Exception {
        try (Registry registry = start(htpasswdMode(""))) {
            int port = registry.port();
            Http anonymous = new Http(port);
            Http alice = new Http(port).withBasicAuth("alice", "s3cret");
            Http bob = new Http(port).withBasicAuth("bob", "hunter2");

            Http.Response ping = anonymous.get("/v2/");
            assertEquals(401, ping.status());
            assertEquals("Basic realm=\"strata\"", ping.header("WWW-Authenticate"));
            assertEquals("UNAUTHORIZED", ping.errorCode());
            assertEquals(200, alice.get("/v2/").status());
            assertEquals(401, new Http(port).withBasicAuth("alice", "wrong").get("/v2/").status());
            assertEquals(401, new Http(port).withBasicAuth("mallory", "s3cret").get("/v2/").status());

            for (Call c : calls("team-a/app")) {
                String what = c.method() + " " + c.path();
                Http.Response none = anonymous.send(c.method(), c.path(), (byte[]) null);
                assertEquals(401, none.status(), what);
                assertEquals("Basic realm=\"strata\"", none.header("WWW-Authenticate"), what);
                if (!c.method().equals("HEAD")) assertEquals("UNAUTHORIZED", none.errorCode(), what);
                Http.Response denied = bob.send(c.method(), c.path(), (byte[]) null);
                assertEquals(403, denied.status(), what);
                if (!c.method().equals("HEAD")) assertEquals("DENIED", denied.errorCode(), what);
                int allowed = alice.send(c.method(), c.path(), (byte[]) null).status();
                assertTrue(allowed != 401 && allowed != 403, what + " as alice: " + allowed);
            }
            // public/*: anonymous pull, authenticated push, nobody deletes; * is one path segment only.
            assertEquals("NAME_UNKNOWN", anonymous.get("/v2/public/x/tags/list").errorCode());
            assertEquals(401, anonymous.send("POST", "/v2/public/x/blobs/uploads/", (byte[]) null).status());
            assertEquals(202, bob.send("POST", "/v2/public/x/blobs/uploads/", (byte[]) null).status());
            assertEquals(403, bob.delete("/v2/public/x/manifests/sha256:" + "a".repeat(64)).status());
            assertEquals(401, anonymous.get("/v2/public/x/y/tags/list").status());

            Digest secret = push(alice, "team-a/app", "v1", 1);
            push(bob, "public/x", "v1", 2);
            assertEquals(200, anonymous.get("/v2/public/x/manifests/v1").status(), "anonymous pull of a public repository");
            assertEquals(List.of("public/x"), repositories(bob.get("/v2/_catalog")), "the catalog lists only what bob may pull");
            assertEquals(List.of("public/x", "team-a/app"), repositories(alice.get("/v2/_catalog")));
            assertEquals(401, anonymous.get("/v2/_catalog").status());

            // A mount from a repository bob may not pull is an ordinary session, never the blob.
            Http.Response mount = bob.send("POST", "/v2/public/z/blobs/uploads/?mount=" + secret + "&from=team-a/app", (byte[]) null);
            assertEquals(202, mount.status(), mount.text());
            assertEquals(404, bob.head("/v2/public/z/blobs/" + secret).status());
            assertEquals(201, alice.send("POST", "/v2/public/z/blobs/uploads/?mount=" + secret + "&from=team-a/app", (byte[]) null).status());

            // An upload session belongs to whoever started it.
            String location = alice.send("POST", "/v2/public/y/blobs/uploads/", (byte[]) null).header("Location");
            assertEquals("BLOB_UPLOAD_UNKNOWN", bob.send("PATCH", location, new byte[] {1}).errorCode());
            assertEquals("BLOB_UPLOAD_UNKNOWN", bob.get(location).errorCode());
            assertEquals(202, alice.send("PATCH", location, new byte[] {1}).status());
        }
    }

    /** The first request of a client may carry a body while its password is checked off the event loop: nothing is lost. */
    @Test
    void aBodySentWithCredentialsNotYetVerifiedArrivesWhole() throws Exception {
        try (Registry registry = start(htpasswdMode(""))) {
            byte[] blob = new byte[3 * 1024 * 1024 + 7];
            new java.util.Random(5).nextBytes(blob);
            Digest d = Digest.sha256(blob);
            Http alice = new Http(registry.port()).withBasicAuth("alice", "s3cret");
            Http.Response r = alice.sendChunked("POST", "/v2/team-a/big/blobs/uploads/?digest=" + d, new java.io.ByteArrayInputStream(blob));
            assertEquals(201, r.status(), r.text());
            assertEquals(d.toString(), Digest.sha256(alice.get("/v2/team-a/big/blobs/" + d).body()).toString());
        }
    }

    private static List<String> repositories(Http.Response r) {
        assertEquals(200, r.status(), r.text());
        return JSON.convertValue(r.json().path("repositories"), JSON.getTypeFactory().constructCollectionType(List.class, String.class));
    }

    @Test
    void failedLoginsAndRequestsAreRateLimitedPerClient() throws Exception {
        try (Registry registry = start(htpasswdMode("limits:\n  failedLoginsPerMinute: 3\n"))) {
            Http wrong = new Http(registry.port()).withBasicAuth("alice", "nope");
            for (int i = 0; i < 3; i++) assertEquals(401, wrong.get("/v2/").status());
            Http.Response limited = new Http(registry.port()).withBasicAuth("alice", "s3cret").get("/v2/");
            assertEquals(429, limited.status(), "even the right password waits once the address failed too often");
            assertEquals("TOOMANYREQUESTS", limited.errorCode());
            assertEquals("60", limited.header("Retry-After"));
        }
        try (Registry registry = start("limits:\n  requestsPerSecond: 5\n")) {
            Http http = new Http(registry.port());
            int limited = 0;
            for (int i = 0; i < 20; i++) if (http.get("/v2/").status() == 429) limited++;
            assertTrue(limited >= 10, "a burst beyond 5 a second is refused: " + limited);
            Thread.sleep(1100);
            assertEquals(200, http.get("/v2/").status(), "and served again once the bucket refilled");
        }
    }

    // ---- the gate reads a path as the router does -----------------------------------------------

    /** The exact repository each user is given every action on, and names that hold the API's words as components. */
    private static final String EXACT_POLICY = """
            rules:
              - repositories: ["shared/app"]
                users: [eve]
                actions: [pull, push, delete]
              - repositories: ["shared/app/blobs/uploads/x"]
                users: [mallory]
                actions: [pull, push, delete]
            """;
    private static final List<String> TRICKY = List.of("shared/app/blobs/uploads/x", "shared/app/blobs", "shared/app/blobs/uploads",
            "shared/app/manifests/v1", "shared/app/manifests", "shared/app/tags/list", "shared/app/tags", "shared/app/referrers/x",
            "shared/app/uploads", "shared/app/blobs/x/manifests", "shared");

    private void exactPolicy() throws Exception {
        Files.writeString(dir.resolve("htpasswd"), ExternalTool.ok("htpasswd", "-Bbn", "eve", "pw-eve")
                + ExternalTool.ok("htpasswd", "-Bbn", "mallory", "pw-mallory"));
        Files.writeString(dir.resolve("access.yml"), EXACT_POLICY);
    }

    /** Who may do each call on each repository: only the user the policy names for exactly that repository. */
    private static void onlyTheExactRepository(Map<String, Http> users, java.util.function.IntPredicate refused) {
        Map<String, String> owner = new java.util.LinkedHashMap<>();
        owner.put("shared/app", "eve");
        owner.put("shared/app/blobs/uploads/x", "mallory");
        for (String repo : TRICKY) owner.putIfAbsent(repo, null);
        for (var e : owner.entrySet()) {
            for (Call c : calls(e.getKey())) {
                for (var u : users.entrySet()) {
                    int status = u.getValue().send(c.method(), c.path(), (byte[]) null).status();
                    String what = u.getKey() + ": " + c.method() + " " + c.path() + " -> " + status;
                    if (u.getKey().equals(e.getValue())) assertFalse(refused.test(status), what);
                    else assertTrue(refused.test(status), what);
                }
            }
        }
    }

    /** A push and a pull through a path whose name holds "blobs/uploads": only mallory's repository is reached. */
    private static void pushesLandInTheRepositoryTheRouterServes(Http eve, Http mallory) {
        int crafted = eve.get("/v2/shared/app/blobs/uploads/x/manifests/v1").status();
        assertTrue(crafted == 401 || crafted == 403, "eve may not read mallory's repository: " + crafted);
        Digest config = push(mallory, "shared/app/blobs/uploads/x", "v1", 7);
        assertEquals("NAME_UNKNOWN", eve.get("/v2/shared/app/tags/list").errorCode(), "mallory's push went to her repository, not to shared/app");
        assertEquals(200, mallory.get("/v2/shared/app/blobs/uploads/x/blobs/" + config).status());
        assertEquals(200, mallory.get("/v2/shared/app/blobs/uploads/x/manifests/v1").status());
        push(eve, "shared/app", "v1", 8);
        assertEquals(404, eve.get("/v2/shared/app/blobs/" + config).status(), "a blob of the other repository is not eve's to read");
        int eveCrafted = eve.send("PUT", "/v2/shared/app/blobs/uploads/x/manifests/v2", new byte[] {'{', '}'}).status();
        assertTrue(eveCrafted == 401 || eveCrafted == 403, "nor to push to: " + eveCrafted);
    }

    @Test
    void htpasswdModeAuthorizesTheRepositoryTheRouterServes() throws Exception {
        exactPolicy();
        try (Registry registry = start(htpasswdMode(""))) {
            int port = registry.port();
            Http eve = new Http(port).withBasicAuth("eve", "pw-eve");
            Http mallory = new Http(port).withBasicAuth("mallory", "pw-mallory");
            onlyTheExactRepository(Map.of("eve", eve, "mallory", mallory), status -> status == 403);
            pushesLandInTheRepositoryTheRouterServes(eve, mallory);
        }
    }

    @Test
    void tokenModeAuthorizesTheRepositoryTheRouterServes() throws Exception {
        ExternalTool.require("openssl");
        exactPolicy();
        try (Registry registry = start(tokenMode(key("issuer")))) {
            int port = registry.port();
            // Each user's token asks for everything on every repository of the test: the policy grants only the exact one.
            StringBuilder scopes = new StringBuilder();
            for (String repo : java.util.stream.Stream.concat(Stream.of("shared/app"), TRICKY.stream()).toList()) {
                scopes.append(scopes.isEmpty() ? "" : "&").append("scope=").append(enc("repository:" + repo + ":pull,push,delete"));
            }
            Http eve = new Http(port).withBearer(token(port, scopes.toString(), "eve", "pw-eve").path("token").asText());
            Http mallory = new Http(port).withBearer(token(port, scopes.toString(), "mallory", "pw-mallory").path("token").asText());
            onlyTheExactRepository(Map.of("eve", eve, "mallory", mallory), status -> status == 401);
            pushesLandInTheRepositoryTheRouterServes(eve, mallory);
        }
    }

    // ---- token mode ------------------------------------------------------------------------------

    private Path key(String name, String... algorithm) throws Exception {
        Path key = dir.resolve(name + ".pem");
        List<String> cmd = new java.util.ArrayList<>(List.of("openssl", "genpkey", "-out", key.toString()));
        cmd.addAll(List.of(algorithm.length == 0 ? new String[] {"-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"} : algorithm));
        ExternalTool.ok(cmd.toArray(String[]::new));
        return key;
    }

    private String tokenMode(Path key) {
        return "auth:\n  mode: token\n  htpasswd:\n    path: " + dir.resolve("htpasswd") + "\n  issuer:\n    enabled: true\n    privateKey: " + key
                + "\n  policy: " + dir.resolve("access.yml") + "\n";
    }

    private static JsonNode token(int port, String query, String user, String password) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/token?service=strata&" + query));
        if (user != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
        }
        HttpResponse<String> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(r.body());
        ((com.fasterxml.jackson.databind.node.ObjectNode) body).put("status", r.statusCode());
        return body;
    }

    private static JsonNode post(int port, String form) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/token"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(form)).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(r.body());
        ((com.fasterxml.jackson.databind.node.ObjectNode) body).put("status", r.statusCode());
        return body;
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static JsonNode claims(String jwt) throws Exception {
        return JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
    }

    @Test
    void tokenModeWithTheBuiltInIssuer() throws Exception {
        ExternalTool.require("openssl");
        try (Registry registry = start(tokenMode(key("issuer")))) {
            int port = registry.port();
            String realm = "Bearer realm=\"http://127.0.0.1:" + port + "/token\",service=\"strata\"";
            Http.Response ping = new Http(port).get("/v2/");
            assertEquals(401, ping.status());
            assertEquals(realm, ping.header("WWW-Authenticate"));
            assertEquals(realm + ",scope=\"repository:team-a/app:pull\"", new Http(port).get("/v2/team-a/app/tags/list").header("WWW-Authenticate"));
            assertEquals(realm + ",scope=\"repository:team-a/app:pull,push repository:public/x:pull\"",
                    new Http(port).send("POST", "/v2/team-a/app/blobs/uploads/?mount=sha256:" + "a".repeat(64) + "&from=public/x",
                            (byte[]) null).header("WWW-Authenticate"), "a mount names both scopes");

            JsonNode t = token(port, "scope=" + enc("repository:team-a/app:pull,push,delete") + "&scope=" + enc("registry:catalog:*"),
                    "alice", "s3cret");
            assertEquals(200, t.path("status").asInt(), t.toString());
            assertEquals(300, t.path("expires_in").asInt());
            JsonNode c = claims(t.path("token").asText());
            assertEquals("alice", c.path("sub").asText());
            assertEquals("strata", c.path("aud").asText());
            assertEquals("strata-token", c.path("iss").asText());
            assertEquals("[\"pull\",\"push\",\"delete\"]", c.path("access").path(0).path("actions").toString());
            Http alice = new Http(port).withBearer(t.path("token").asText());
            assertEquals(200, alice.get("/v2/").status());
            JsonNode bobs = token(port, "scope=" + enc("repository:team-a/app:pull,push,delete"), "bob", "hunter2");
            Http bobHttp = new Http(port).withBearer(bobs.path("token").asText());
            for (Call call : calls("team-a/app")) {
                String what = call.method() + " " + call.path();
                Http.Response none = new Http(port).send(call.method(), call.path(), (byte[]) null);
                assertEquals(401, none.status(), what);
                assertTrue(none.header("WWW-Authenticate").contains("scope=\"repository:team-a/app:"), what);
                Http.Response insufficient = bobHttp.send(call.method(), call.path(), (byte[]) null);
                assertEquals(401, insufficient.status(), what);
                assertTrue(insufficient.header("WWW-Authenticate").contains("error=\"insufficient_scope\""), what);
                int allowed = alice.send(call.method(), call.path(), (byte[]) null).status();
                assertTrue(allowed != 401 && allowed != 403, what + " with alice's token: " + allowed);
            }
            push(alice, "team-a/app", "v1", 1);
            assertEquals(List.of("team-a/app"), repositories(alice.get("/v2/_catalog")));

            // bob asks for the same: the policy gives him nothing there, and the token says so.
            JsonNode forBob = token(port, "scope=" + enc("repository:team-a/app:pull,push"), "bob", "hunter2");
            assertEquals("[]", claims(forBob.path("token").asText()).path("access").path(0).path("actions").toString());
            Http.Response insufficient = new Http(port).withBearer(forBob.path("token").asText()).get("/v2/team-a/app/tags/list");
            assertEquals(401, insufficient.status());
            assertTrue(insufficient.header("WWW-Authenticate").endsWith(",error=\"insufficient_scope\""), insufficient.header("WWW-Authenticate"));

            // Anonymous: a token for public pull, and nothing more.
            JsonNode anon = token(port, "scope=" + enc("repository:public/x:pull,push"), null, null);
            assertEquals("[\"pull\"]", claims(anon.path("token").asText()).path("access").path(0).path("actions").toString());
            assertEquals(401, token(port, "scope=" + enc("repository:public/x:pull"), "alice", "wrong").path("status").asInt());

            // OAuth2: the password grant with offline access gives a refresh token, which gives access tokens.
            JsonNode oauth = post(port, "grant_type=password&username=alice&password=s3cret&client_id=test&access_type=offline&service=strata&scope="
                    + enc("repository:team-a/app:pull"));
            assertEquals(200, oauth.path("status").asInt(), oauth.toString());
            String refresh = oauth.path("refresh_token").asText();
            assertFalse(refresh.isEmpty());
            assertEquals(401, new Http(port).withBearer(refresh).get("/v2/team-a/app/tags/list").status(), "a refresh token is no access token");
            JsonNode renewed = post(port, "grant_type=refresh_token&client_id=test&service=strata&refresh_token=" + refresh + "&scope="
                    + enc("repository:team-a/app:pull"));
            assertEquals(200, renewed.path("status").asInt(), renewed.toString());
            assertEquals(200, new Http(port).withBearer(renewed.path("access_token").asText()).get("/v2/team-a/app/tags/list").status());
            assertEquals(401, post(port, "grant_type=refresh_token&client_id=test&service=strata&refresh_token=" + refresh + "x").path("status").asInt());
        }
    }

    @Test
    void tokensThatAreWrongInAnyWayAreRefused() throws Exception {
        ExternalTool.require("openssl");
        Path issuerKey = key("issuer");
        try (Registry registry = start(tokenMode(issuerKey))) {
            int port = registry.port();
            PrivateKey key = PemKeys.privateKey(issuerKey);
            var pub = PemKeys.publicOf(key, List.of());
            List<Tokens.Scope> pull = List.of(new Tokens.Scope("repository", "team-a/app", java.util.Set.of("pull")));
            Clock now = Clock.systemUTC();
            String good = new Tokens.Signer(key, pub, "strata", "strata-token", Duration.ofMinutes(5), now).access("alice", pull);
            assertNotEquals(401, new Http(port).withBearer(good).get("/v2/team-a/app/tags/list").status(), "the control case passes");

            PrivateKey other = PemKeys.privateKey(key("other"));
            Map<String, String> bad = new java.util.LinkedHashMap<>();
            bad.put("signed by another key", new Tokens.Signer(other, PemKeys.publicOf(other, List.of()), "strata", "strata-token",
                    Duration.ofMinutes(5), now).access("alice", pull));
            bad.put("signed by another key under the issuer's kid", new Tokens.Signer(other, pub, "strata", "strata-token",
                    Duration.ofMinutes(5), now).access("alice", pull));
            bad.put("expired", new Tokens.Signer(key, pub, "strata", "strata-token", Duration.ofMinutes(5),
                    Clock.fixed(Instant.now().minus(Duration.ofHours(1)), ZoneOffset.UTC)).access("alice", pull));
            bad.put("not valid yet", new Tokens.Signer(key, pub, "strata", "strata-token", Duration.ofMinutes(5),
                    Clock.fixed(Instant.now().plus(Duration.ofHours(1)), ZoneOffset.UTC)).access("alice", pull));
            bad.put("wrong audience", new Tokens.Signer(key, pub, "elsewhere", "strata-token", Duration.ofMinutes(5), now).access("alice", pull));
            bad.put("wrong issuer", new Tokens.Signer(key, pub, "strata", "mallory", Duration.ofMinutes(5), now).access("alice", pull));
            String[] parts = good.split("\\.");
            String payload = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8).replace("\"pull\"", "\"delete\"");
            bad.put("tampered payload", parts[0] + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(payload.getBytes(StandardCharsets.UTF_8))
                    + "." + parts[2]);
            String none = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
            bad.put("alg none", none + "." + parts[1] + ".");
            bad.put("no signature", parts[0] + "." + parts[1] + ".");
            bad.put("garbage", "not-a-token");
            for (var e : bad.entrySet()) {
                Http.Response r = new Http(port).withBearer(e.getValue()).get("/v2/team-a/app/tags/list");
                assertEquals(401, r.status(), e.getKey());
                assertTrue(r.header("WWW-Authenticate").contains("error=\"invalid_token\""), e.getKey() + ": " + r.header("WWW-Authenticate"));
            }
        }
    }

    @Test
    void anEcIssuerKeySignsEs256() throws Exception {
        ExternalTool.require("openssl");
        Path key = key("ec", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256");
        Path pub = dir.resolve("ec-pub.pem");
        ExternalTool.ok("openssl", "pkey", "-in", key.toString(), "-pubout", "-out", pub.toString());
        try (Registry registry = start(tokenMode(key) + "  token:\n    publicKeys: [" + pub + "]\n")) {
            JsonNode t = token(registry.port(), "scope=" + enc("repository:team-a/app:pull"), "alice", "s3cret");
            String header = new String(Base64.getUrlDecoder().decode(t.path("token").asText().split("\\.")[0]), StandardCharsets.UTF_8);
            assertTrue(header.contains("\"ES256\""), header);
            assertEquals(404, new Http(registry.port()).withBearer(t.path("token").asText()).get("/v2/team-a/app/tags/list").status());
        }
    }
}
