package io.strata.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A registry spoken to over plain HTTP that sends blob downloads to an https store (distribution with
 * S3 and redirects does): the download follows the redirect with the system's trust, as docker and
 * skopeo do, and the registry's Authorization header does not go along to the other host.
 */
class RedirectTest {
    @TempDir
    static Path dir;
    private static HttpsServer store;
    private static HttpsServer untrusted;
    private static HttpServer registry;
    private static final AtomicReference<String> authorizationAtStore = new AtomicReference<>();

    @BeforeAll
    static void servers() throws Exception {
        Path keystore = TransportFixtures.keyPair(dir, "store");
        // The store's certificate is what this JVM's default trust holds (as a public CA's would be).
        System.setProperty("javax.net.ssl.trustStore", keystore.toString());
        System.setProperty("javax.net.ssl.trustStorePassword", "secret");
        System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
        store = httpsServer(keystore);
        // A store whose certificate nothing here trusts.
        untrusted = httpsServer(TransportFixtures.keyPair(dir, "untrusted"));
        registry = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        registry.createContext("/v2/", x -> {
            HttpsServer to = x.getRequestURI().getPath().contains("/untrusted/") ? untrusted : store;
            x.getResponseHeaders().add("Location", "https://localhost:" + to.getAddress().getPort() + "/blob?sig=1");
            x.sendResponseHeaders(307, -1);
            x.close();
        });
        registry.start();
    }

    /** An https server on loopback with the keystore's certificate, serving a blob at /blob. */
    private static HttpsServer httpsServer(Path keystore) throws Exception {
        return TransportFixtures.httpsServer(keystore, "/blob", x -> {
            authorizationAtStore.set(x.getRequestHeaders().getFirst("Authorization"));
            byte[] body = "layer bytes".getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
    }

    @AfterAll
    static void stop() {
        if (registry != null) registry.stop(0);
        if (store != null) store.stop(0);
        if (untrusted != null) untrusted.stop(0);
    }

    @Test
    void aStoreWhoseCertificateIsNotTrustedIsNamedNotTheRegistry() throws Exception {
        String registryHost = "127.0.0.1:" + registry.getAddress().getPort();
        Transport transport = new Transport(registryHost, Transport.Options.defaults(1).insecure(true));
        Transport.TransportException e = assertThrows(Transport.TransportException.class,
                () -> transport.send(base -> HttpRequest.newBuilder(base.resolve("/v2/lib/untrusted/blobs/sha256:x")).GET(), true, TransportFixtures.fixed(null)));
        assertEquals("TLS handshake with localhost:" + untrusted.getAddress().getPort() + " (where " + registryHost
                + " sent the request) failed: certificate not trusted (its CA must be in the system's trust store)", e.getMessage());
        assertFalse(e.retryable(), "a certificate does not become trusted by trying again");
        Transport.closeAll();
    }

    @Test
    void aPlainHttpRegistrysRedirectToHttpsIsFollowedWithTheSystemsTrust() throws Exception {
        Transport transport = new Transport("127.0.0.1:" + registry.getAddress().getPort(), Transport.Options.defaults(1).insecure(true));
        Transport.Auth bearer = TransportFixtures.fixed("Bearer registry-token");
        HttpResponse<InputStream> r = transport.send(base -> HttpRequest.newBuilder(base.resolve("/v2/lib/app/blobs/sha256:x")).GET(), true, bearer);
        try (InputStream in = r.body()) {
            assertEquals("layer bytes", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        assertEquals(null, authorizationAtStore.get(), "the registry's token stays with the registry");
        Transport.closeAll();
    }
}
