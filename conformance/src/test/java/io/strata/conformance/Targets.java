package io.strata.conformance;

import io.strata.registry.DistributionRegistry;
import io.strata.registry.Http;
import io.strata.registry.Registry;
import io.strata.registry.RegistryConfig;
import io.strata.registry.S3RegistryTest;
import io.strata.storage.S3ProxyFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;

/** The registries the suite knows how to start, and the one it can be pointed at. */
final class Targets {
    private Targets() {}

    /** Strata in this JVM, on a fresh directory or a fresh prefix of the shared S3 bucket. */
    static RegistryTarget strata(String driver) throws Exception {
        Path dir = Files.createTempDirectory("conformance-");
        String storage = driver.equals("s3")
                ? S3RegistryTest.s3StorageYaml(S3ProxyFixture.shared(), "conformance-" + UUID.randomUUID() + "/")
                : "storage:\n  filesystem:\n    root: " + dir.resolve("data") + "\n";
        Path file = dir.resolve("strata.yml");
        Files.writeString(file, "listen: 127.0.0.1:0\nlog:\n  access: false\n" + storage);
        return new Embedded("strata-" + driver, Registry.start(RegistryConfig.load(file, Map.of())));
    }

    /** Strata running in this JVM. */
    record Embedded(String name, Registry registry) implements RegistryTarget {
        public Http http() {
            return new Http(registry.port());
        }

        /** host:port, as clients write it in image references. */
        String hostPort() {
            return "127.0.0.1:" + registry.port();
        }

        public void close() throws Exception {
            registry.close();
        }
    }

    /** Debian's docker-registry (distribution 2.8.2, the reference registry) as a child process, deletes enabled. */
    static RegistryTarget distribution() throws Exception {
        DistributionRegistry registry = DistributionRegistry.start(Files.createTempDirectory("distribution-"), null);
        return new RegistryTarget() {
            public String name() {
                return "distribution";
            }

            public Http http() {
                return new Http(registry.port());
            }

            public void close() throws Exception {
                registry.close();
            }
        };
    }

    /** Any registry: -Dregistry.url=http://host:port, optionally -Dregistry.username and -Dregistry.password. */
    static RegistryTarget external(String url) {
        String user = System.getProperty("registry.username");
        String password = System.getProperty("registry.password", "");
        return new RegistryTarget() {
            public String name() {
                return "external";
            }

            public Http http() {
                Http http = new Http(url.replaceAll("/+$", ""));
                return user == null ? http : http.withBasicAuth(user, password);
            }
        };
    }
}
