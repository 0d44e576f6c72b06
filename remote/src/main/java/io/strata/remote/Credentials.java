package io.strata.remote;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.oci.ImageJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A username and password for a registry, found as docker finds them in its config.json: a
 * credential helper named for the host ({@code credHelpers}) or for every host ({@code credsStore}),
 * run as {@code docker-credential-NAME get}; else {@code auths.<host>.auth}.
 */
public record Credentials(String username, String password) {

    String basicHeader() {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** The keys docker uses for a host in config.json and with helpers (Docker Hub has its legacy URL). */
    public static String serverKey(String host) {
        return host.equals("docker.io") ? "https://index.docker.io/v1/" : host;
    }

    /** Looks up {@code host} in each config file in turn (strata's own first, then Docker's). */
    public static Optional<Credentials> lookup(String host, List<Path> configs) {
        for (Path config : configs) {
            if (!Files.isRegularFile(config)) continue;
            try {
                JsonNode root = ImageJson.plain().readTree(config.toFile());
                Optional<String> helper = helper(root, host);
                if (helper.isPresent()) {
                    Optional<Credentials> c = fromHelper(helper.get(), host);
                    if (c.isPresent()) return c;
                }
                JsonNode auths = root.path("auths");
                for (String key : List.of(host, "https://" + host, "http://" + host, serverKey(host))) {
                    String auth = auths.path(key).path("auth").asText(null);
                    if (auth == null) continue;
                    String decoded = new String(Base64.getDecoder().decode(auth), StandardCharsets.UTF_8);
                    int colon = decoded.indexOf(':');
                    if (colon > 0) return Optional.of(new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1)));
                }
            } catch (IOException | IllegalArgumentException e) {
                // an unreadable config holds no credentials for us
            }
        }
        return Optional.empty();
    }

    /** The helper a config names for the host: its own in credHelpers, else the credsStore. */
    public static Optional<String> helper(JsonNode config, String host) {
        String own = config.path("credHelpers").path(serverKey(host)).asText("");
        if (own.isEmpty()) own = config.path("credHelpers").path(host).asText("");
        if (!own.isEmpty()) return Optional.of(own);
        String store = config.path("credsStore").asText("");
        return store.isEmpty() ? Optional.empty() : Optional.of(store);
    }

    /** {@code docker-credential-NAME get}: empty when the helper has nothing for the host. */
    static Optional<Credentials> fromHelper(String name, String host) throws IOException {
        String out = runHelper(name, "get", serverKey(host));
        if (out == null) return Optional.empty();
        JsonNode j = ImageJson.plain().readTree(out);
        String user = j.path("Username").asText("");
        String secret = j.path("Secret").asText("");
        return user.isEmpty() || secret.isEmpty() ? Optional.empty() : Optional.of(new Credentials(user, secret));
    }

    /** {@code docker-credential-NAME store}, as docker login does with a helper. */
    public static void storeWithHelper(String name, String host, Credentials c) throws IOException {
        String input = ImageJson.plain().writeValueAsString(java.util.Map.of("ServerURL", serverKey(host), "Username", c.username(),
                "Secret", c.password()));
        if (runHelper(name, "store", input) == null) throw new IOException("docker-credential-" + name + " could not store the credentials");
    }

    /** {@code docker-credential-NAME erase}. */
    public static void eraseWithHelper(String name, String host) throws IOException {
        runHelper(name, "erase", serverKey(host));
    }

    /** Runs a helper with its input on stdin; its stdout, or null when it exited non-zero. */
    private static String runHelper(String name, String verb, String input) throws IOException {
        if (!name.matches("[A-Za-z0-9._-]+")) throw new IOException("invalid credential helper name " + name);
        Process p;
        try {
            p = new ProcessBuilder("docker-credential-" + name, verb).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new IOException("credential helper docker-credential-" + name + " is not on PATH", e);
        }
        try (var in = p.getOutputStream()) {
            in.write(input.getBytes(StandardCharsets.UTF_8));
        }
        byte[] out = p.getInputStream().readNBytes(1 << 20);
        try {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException("docker-credential-" + name + " " + verb + " did not finish in 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        return p.exitValue() == 0 ? new String(out, StandardCharsets.UTF_8) : null;
    }
}
