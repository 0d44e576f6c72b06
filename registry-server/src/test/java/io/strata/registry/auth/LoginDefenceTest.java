package io.strata.registry.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.registry.ExternalTool;
import io.strata.registry.Registry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a password guesser can learn or try: a wrong password for a user that exists costs what one
 * for a user that does not exist costs (so timing names no user), and attempts sent all at once get
 * no more password checks through than the failed-login limit allows.
 */
class LoginDefenceTest {
    @TempDir
    Path dir;

    /** Median time of a wrong password for a known user and for an unknown one, measured interleaved. */
    private static long[] medians(Htpasswd users, String known) {
        int rounds = 41;
        long[] knownTimes = new long[rounds];
        long[] unknownTimes = new long[rounds];
        for (int i = 0; i < 5; i++) { // warm up both paths
            users.verify(known, "wrong" + i);
            users.verify("nobody" + i, "wrong" + i);
        }
        for (int i = 0; i < rounds; i++) {
            long t0 = System.nanoTime();
            users.verify(known, "wrong-" + i);
            long t1 = System.nanoTime();
            users.verify("nobody-" + i, "wrong-" + i);
            long t2 = System.nanoTime();
            knownTimes[i] = t1 - t0;
            unknownTimes[i] = t2 - t1;
        }
        Arrays.sort(knownTimes);
        Arrays.sort(unknownTimes);
        return new long[] {knownTimes[rounds / 2], unknownTimes[rounds / 2]};
    }

    @Test
    void anUnknownUserCostsWhatAKnownOneCosts() throws Exception {
        ExternalTool.require("htpasswd");
        // htpasswd -B writes cost 5 by default; a file made with -C 9 is checked at 9 for everyone.
        for (String cost : List.of("5", "9")) {
            Path file = dir.resolve("htpasswd-" + cost);
            Files.writeString(file, ExternalTool.ok("htpasswd", "-Bbn", "-C", cost, "alice", "s3cret")
                    + ExternalTool.ok("htpasswd", "-Bbn", "-C", cost, "bob", "hunter2"));
            Htpasswd users = new Htpasswd(file);
            assertTrue(users.verify("alice", "s3cret"), "the control case");
            long[] m = medians(users, "bob");
            double ratio = (double) m[1] / m[0];
            assertTrue(ratio > 0.8 && ratio < 1.2, "cost " + cost + ": a known user's wrong password takes a median " + m[0] / 1000
                    + " µs, an unknown user's " + m[1] / 1000 + " µs (ratio " + ratio + ")");
        }
    }

    private static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** Sends {@code n} requests at once; returns how many got each status. */
    private static Map<Integer, Integer> all(int n, java.util.function.IntFunction<HttpRequest> request) {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<Void>>> sent = new ArrayList<>();
        for (int i = 0; i < n; i++) sent.add(client.sendAsync(request.apply(i), HttpResponse.BodyHandlers.discarding()));
        Map<Integer, Integer> statuses = new TreeMap<>();
        for (var f : sent) statuses.merge(f.join().statusCode(), 1, Integer::sum);
        return statuses;
    }

    @Test
    void attemptsSentAllAtOnceGetNoMoreChecksThanTheLimit() throws Exception {
        ExternalTool.require("htpasswd");
        ExternalTool.require("openssl");
        Files.writeString(dir.resolve("htpasswd"), ExternalTool.ok("htpasswd", "-Bbn", "alice", "s3cret"));
        Path key = dir.resolve("issuer.pem");
        ExternalTool.ok("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key.toString());
        String htpasswd = "auth:\n  mode: htpasswd\n  htpasswd:\n    path: " + dir.resolve("htpasswd") + "\n";
        String token = "auth:\n  mode: token\n  htpasswd:\n    path: " + dir.resolve("htpasswd") + "\n  issuer:\n    enabled: true\n    privateKey: "
                + key + "\n";
        for (String mode : List.of(htpasswd, token)) {
            Path home = Files.createDirectories(dir.resolve(mode.contains("token") ? "token" : "htpasswd-mode"));
            try (Registry registry = io.strata.registry.Registries.start(home, mode)) {
                String base = "http://127.0.0.1:" + registry.port();
                String path = mode.contains("token") ? "/token?service=strata&scope=repository:a:pull" : "/v2/";
                Map<Integer, Integer> statuses = all(100, i -> HttpRequest.newBuilder(URI.create(base + path))
                        .header("Authorization", basic("alice", "guess-" + i)).build());
                assertEquals(10, statuses.getOrDefault(401, 0), "ten password checks, then refused without one: " + statuses);
                assertEquals(90, statuses.getOrDefault(429, 0), statuses.toString());
            }
        }
    }
}
