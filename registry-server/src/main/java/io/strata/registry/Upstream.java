package io.strata.registry;

import io.strata.oci.RepositoryName;
import io.strata.remote.Credentials;
import io.strata.remote.RegistryClient;
import io.strata.remote.Transport;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * A registry the pull-through cache fetches from: the prefix its repositories live under here, the
 * client that speaks to it (its token flow included), and how long a fetched tag is trusted.
 */
record Upstream(String prefix, String url, RegistryClient client, Duration tagTtl) {
    /** Docker Hub's hosts: a one-component name there means library/NAME, as docker pull reads it. */
    private static final Set<String> DOCKER_HUB = Set.of("registry-1.docker.io", "docker.io", "index.docker.io");

    static Upstream of(RegistryConfig.Upstream config) {
        URI url = URI.create(config.url());
        // Two tries: a pull waiting on an upstream that is down should soon get the cached copy instead.
        Transport.Options options = Transport.Options.defaults(2).insecure("http".equals(url.getScheme()));
        Optional<Credentials> credentials = config.username() == null ? Optional.empty()
                : Optional.of(new Credentials(config.username(), config.password()));
        return new Upstream(config.prefix(), config.url(), new RegistryClient(url.getRawAuthority(), options, credentials),
                RegistryConfig.tagTtl(config));
    }

    /** The upstream's name for a repository here, or empty when the name is not under this prefix. */
    Optional<RepositoryName> remote(RepositoryName local) {
        String rest;
        if (prefix.isEmpty()) {
            rest = local.value();
        } else if (local.value().startsWith(prefix + "/")) {
            rest = local.value().substring(prefix.length() + 1);
        } else {
            return Optional.empty();
        }
        if (!rest.contains("/") && DOCKER_HUB.contains(client.host().replaceFirst(":443$", ""))) rest = "library/" + rest;
        return Optional.of(RepositoryName.of(rest));
    }
}
