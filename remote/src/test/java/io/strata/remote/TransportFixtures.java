package io.strata.remote;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** What Transport's tests share: certificates made with keytool, https servers on loopback, fixed credentials. */
final class TransportFixtures {
    private TransportFixtures() {}

    /** A PKCS12 keystore (password "secret") in dir of a new self-signed certificate for localhost and 127.0.0.1. */
    static Path keyPair(Path dir, String name) throws Exception {
        Path keystore = dir.resolve(name + ".p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", "secret",
                "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost", "-validity", "2",
                "-ext", "SAN=dns:localhost,ip:127.0.0.1").redirectErrorStream(true).start();
        String out = new String(keytool.getInputStream().readAllBytes());
        assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0, out);
        return keystore;
    }

    /** An https server on 127.0.0.1 with the keystore's certificate, handler serving path; started. */
    static HttpsServer httpsServer(Path keystore, String path, HttpHandler handler) throws Exception {
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
        server.createContext(path, handler);
        server.start();
        return server;
    }

    /** Credentials that send {@code header} (null: none) and meet no challenge. */
    static Transport.Auth fixed(String header) {
        return new Transport.Auth() {
            @Override
            public String header() {
                return header;
            }

            @Override
            public boolean challenged(java.net.http.HttpResponse<?> response, String sent) {
                return false;
            }

            @Override
            public String unauthorized(String sent) {
                return "unauthorized";
            }
        };
    }
}
