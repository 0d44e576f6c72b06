package io.strata.registry;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a renewed certificate without a restart: every few seconds the PEM files' times are
 * checked, and when they changed the server's TLS options are replaced; connections already open
 * keep the certificate they shook hands with.
 */
final class CertificateReload {
    private static final Logger LOG = LoggerFactory.getLogger(CertificateReload.class);
    static final long INTERVAL_MILLIS = 2000;

    private CertificateReload() {}

    static void watch(Vertx vertx, HttpServer server, String cert, String key) {
        String[] seen = {stamp(cert, key)};
        vertx.setPeriodic(INTERVAL_MILLIS, id -> vertx.executeBlocking(() -> stamp(cert, key)).onSuccess(now -> {
            if (now == null || Objects.equals(now, seen[0])) return;
            seen[0] = now;
            // The same paths would look like the same options to Vert.x: give it the new contents, and force.
            PemKeyCertOptions pem;
            try {
                pem = new PemKeyCertOptions().setCertValue(io.vertx.core.buffer.Buffer.buffer(Files.readAllBytes(Path.of(cert))))
                        .setKeyValue(io.vertx.core.buffer.Buffer.buffer(Files.readAllBytes(Path.of(key))));
            } catch (java.io.IOException e) {
                seen[0] = null; // being replaced: try again next time
                return;
            }
            server.updateSSLOptions(new ServerSSLOptions().setKeyCertOptions(pem), true)
                    .onSuccess(updated -> LOG.info("TLS certificate reloaded from {}", cert))
                    .onFailure(e -> LOG.warn("TLS certificate {} changed but cannot be loaded, keeping the old one: {}", cert, e.getMessage()));
        }));
    }

    private static String stamp(String cert, String key) {
        try {
            return Files.getLastModifiedTime(Path.of(cert)) + "/" + Files.size(Path.of(cert)) + "/"
                    + Files.getLastModifiedTime(Path.of(key)) + "/" + Files.size(Path.of(key));
        } catch (java.io.IOException e) {
            return null; // being replaced: look again next time
        }
    }
}
