package io.strata.client.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/** A username and password for a registry, as Docker's config.json keeps them ({@code auths.<host>.auth}). */
public record Credentials(String username, String password) {
    private static final ObjectMapper JSON = new ObjectMapper();

    String basicHeader() {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    /** Looks up {@code host} in each config file in turn (strata's own first, then Docker's). */
    public static Optional<Credentials> lookup(String host, List<Path> configs) {
        for (Path config : configs) {
            if (!Files.isRegularFile(config)) continue;
            try {
                JsonNode auths = JSON.readTree(config.toFile()).path("auths");
                for (String key : List.of(host, "https://" + host, "http://" + host,
                        host.equals("docker.io") ? "https://index.docker.io/v1/" : host)) {
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
}
