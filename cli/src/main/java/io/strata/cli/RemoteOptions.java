package io.strata.cli;

import io.strata.remote.Credentials;
import io.strata.remote.RegistryClient;
import io.strata.remote.TlsSettings;
import io.strata.remote.Transport;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** How verbs that talk to registries reach them; also accepted before the verb. */
final class RemoteOptions {
    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    @Option(names = "--insecure", description = "Plain HTTP to the registry (a loopback registry falls back to it by itself).")
    Boolean insecure;

    @Option(names = "--tls-verify", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true",
            description = "Check the registry's certificate (default true; CAs from certs.d/HOST:PORT/*.crt).")
    Boolean tlsVerify;

    boolean insecure() {
        if (insecure != null) return insecure;
        return Boolean.TRUE.equals(Strata.globals(mixee).insecure);
    }

    boolean tlsVerify() {
        if (tlsVerify != null) return tlsVerify;
        return !Boolean.FALSE.equals(Strata.globals(mixee).tlsVerify);
    }

    /** docker's and podman's certs.d layouts: strata's own config dir first. */
    static List<Path> certsDirs() {
        return List.of(ClientOptions.configDir().resolve("certs.d"), Path.of("/etc/docker/certs.d"), Path.of("/etc/containers/certs.d"));
    }

    Transport.Options transport(int attempts, Consumer<String> notices) {
        return new Transport.Options(insecure(), new TlsSettings(tlsVerify(), certsDirs()), attempts, notices);
    }

    /** A client for the registry of {@code registry} (a host as references name it), with the stored credentials. */
    RegistryClient client(String registry, Consumer<String> notices) {
        return client(registry, Credentials.lookup(registry, ClientOptions.credentialFiles()), 5, notices);
    }

    RegistryClient client(String registry, Optional<Credentials> credentials, int attempts, Consumer<String> notices) {
        return new RegistryClient(io.strata.oci.Reference.apiHost(registry), transport(attempts, notices), credentials);
    }
}
