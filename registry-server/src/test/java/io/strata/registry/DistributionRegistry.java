package io.strata.registry;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Debian's docker-registry (distribution 2.8.2, the reference registry) as a child process on a
 * free port, filesystem storage, deletes enabled; optionally behind htpasswd Basic auth.
 */
public final class DistributionRegistry implements AutoCloseable {
    private final Process process;
    private final int port;

    private DistributionRegistry(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** {@code htpasswd} may be null (no auth) or a file of bcrypt entries. */
    public static DistributionRegistry start(Path dir, Path htpasswd) throws Exception {
        ExternalTool.require("docker-registry");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("config.yml");
        String auth = htpasswd == null ? "" : """
                auth:
                  htpasswd:
                    realm: strata-test
                    path: %s
                """.formatted(htpasswd);
        Files.writeString(config, """
                version: 0.1
                log:
                  level: warn
                storage:
                  filesystem:
                    rootdirectory: %s
                  delete:
                    enabled: true
                http:
                  addr: 127.0.0.1:%d
                %s""".formatted(dir.resolve("data"), port, auth));
        Path log = dir.resolve("registry.log");
        Process p = new ProcessBuilder("docker-registry", "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Http http = new Http(port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                int status = http.get("/v2/").status();
                if (status == 200 || status == 401) break;
            } catch (RuntimeException e) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    p.destroyForcibly();
                    throw new IOException("docker-registry did not start: " + Files.readString(log), e);
                }
                Thread.sleep(100);
            }
        }
        return new DistributionRegistry(p, port);
    }

    public int port() {
        return port;
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
    }
}
