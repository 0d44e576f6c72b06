package io.strata.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
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

    /** Credentials that send {@code header} (null: none) and meet no challenge. */
    private static Transport.Auth fixed(String header) {
        return new Transport.Auth() {
            @Override
            public String header() {
                return header;
            }

            @Override
            public boolean challenged(HttpResponse<?> response, String sent) {
                return false;
            }

            @Override
            public String unauthorized(String sent) {
                return "unauthorized";
            }
        };
    }

    @BeforeAll
    static void servers() throws Exception {
        Path keystore = keyPair("store");
        // The store's certificate is what this JVM's default trust holds (as a public CA's would be).
        System.setProperty("javax.net.ssl.trustStore", keystore.toString());
        System.setProperty("javax.net.ssl.trustStorePassword", "secret");
        System.setProperty("javax.net.ssl.trustStoreType", "PKCS12");
        store = httpsServer(keystore);
        // A store whose certificate nothing here trusts.
        untrusted = httpsServer(keyPair("untrusted"));
        registry = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        registry.createContext("/v2/", x -> {
            HttpsServer to = x.getRequestURI().getPath().contains("/untrusted/") ? untrusted : store;
            x.getResponseHeaders().add("Location", "https://localhost:" + to.getAddress().getPort() + "/blob?sig=1");
            x.sendResponseHeaders(307, -1);
            x.close();
        });
        registry.start();
    }

    /** A PKCS12 keystore (password "secret") of a new self-signed certificate for localhost. */
    private static Path keyPair(String name) throws Exception {
        Path keystore = dir.resolve(name + ".p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", "secret",
                "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost", "-validity", "2",
                "-ext", "SAN=dns:localhost,ip:127.0.0.1").redirectErrorStream(true).start();
        String out = new String(keytool.getInputStream().readAllBytes());
        assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0, out);
        return keystore;
    }

    /** An https server on loopback with the keystore's certificate, serving a blob at /blob. */
    private static HttpsServer httpsServer(Path keystore) throws Exception {
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            keys.load(in, "secret".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, "secret".toCharArray());
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, null);
        HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(context));
        server.createContext("/blob", x -> {
            authorizationAtStore.set(x.getRequestHeaders().getFirst("Authorization"));
            byte[] body = "layer bytes".getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        server.start();
        return server;
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
                () -> transport.send(base -> HttpRequest.newBuilder(base.resolve("/v2/lib/untrusted/blobs/sha256:x")).GET(), true, fixed(null)));
        assertEquals("TLS handshake with localhost:" + untrusted.getAddress().getPort() + " (where " + registryHost
                + " sent the request) failed: certificate not trusted (its CA must be in the system's trust store)", e.getMessage());
        assertFalse(e.retryable(), "a certificate does not become trusted by trying again");
        Transport.closeAll();
    }

    @Test
    void aPlainHttpRegistrysRedirectToHttpsIsFollowedWithTheSystemsTrust() throws Exception {
        Transport transport = new Transport("127.0.0.1:" + registry.getAddress().getPort(), Transport.Options.defaults(1).insecure(true));
        Transport.Auth bearer = fixed("Bearer registry-token");
        HttpResponse<InputStream> r = transport.send(base -> HttpRequest.newBuilder(base.resolve("/v2/lib/app/blobs/sha256:x")).GET(), true, bearer);
        try (InputStream in = r.body()) {
            assertEquals("layer bytes", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        assertEquals(null, authorizationAtStore.get(), "the registry's token stays with the registry");
        Transport.closeAll();
    }
}
