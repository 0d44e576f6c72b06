package io.strata.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plain-HTTP client's TLS context, made when first used: a TLS connection through it trusts nothing, as before. */
class TlsSettingsTest {
    @Test
    void theContextMadeWhenUsedRefusesEveryServer(@TempDir Path dir) throws Exception {
        // A server with a self-signed certificate (the JDK's keytool makes it).
        Path keystore = dir.resolve("server.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", "secret",
                "-alias", "server", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost", "-validity", "2")
                .redirectErrorStream(true).start();
        String out = new String(keytool.getInputStream().readAllBytes());
        assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0, out);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            keys.load(in, "secret".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, "secret".toCharArray());
        SSLContext serverContext = SSLContext.getInstance("TLS");
        serverContext.init(kmf.getKeyManagers(), null, null);

        SSLContext lazy = TlsSettings.trustingNothingWhenUsed();
        assertEquals("TLS", lazy.getProtocol());
        assertTrue(lazy.getDefaultSSLParameters().getProtocols().length > 0, "its parameters are the real context's");
        try (SSLServerSocket server = (SSLServerSocket) serverContext.getServerSocketFactory().createServerSocket(0)) {
            Thread accept = Thread.ofVirtual().start(() -> {
                try (SSLSocket s = (SSLSocket) server.accept()) {
                    s.startHandshake();
                } catch (Exception expected) {
                    // the client gives up on the handshake
                }
            });
            try (SSLSocket client = (SSLSocket) lazy.getSocketFactory().createSocket("127.0.0.1", server.getLocalPort())) {
                SSLHandshakeException e = assertThrows(SSLHandshakeException.class, client::startHandshake);
                boolean said = false;
                for (Throwable t = e; t != null; t = t.getCause()) said |= String.valueOf(t.getMessage()).contains("plain HTTP only");
                assertTrue(said, "refused by its trust manager: " + e);
            }
            accept.join(10_000);
        }
    }
}
