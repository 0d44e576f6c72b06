package io.strata.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Docker's rule for a loopback registry, given no TLS option: HTTPS when it speaks it (a certificate
 * nothing trusts is accepted there), else plain HTTP. The plain-HTTP question is asked first, without
 * credentials, and its connection serves the requests after it.
 */
class LoopbackSchemeTest {
    @TempDir
    Path dir;
    private final List<AutoCloseable> servers = new CopyOnWriteArrayList<>();
    /** The Authorization header of each request a server saw, "" for none. */
    private final List<String> seen = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable s : servers) s.close();
        Transport.closeAll();
    }

    /** Answers /v2/ as a registry does (with its API version header) or as any web server (without). */
    private void answer(HttpExchange x, boolean registry) throws IOException {
        String auth = x.getRequestHeaders().getFirst("Authorization");
        seen.add(auth == null ? "" : auth);
        if (registry) x.getResponseHeaders().add("Docker-Distribution-API-Version", "registry/2.0");
        byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
        x.sendResponseHeaders(registry ? 200 : 404, body.length);
        x.getResponseBody().write(body);
        x.close();
    }

    private String plainServer(boolean registry) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        s.createContext("/", x -> answer(x, registry));
        s.start();
        servers.add(() -> s.stop(0));
        return "127.0.0.1:" + s.getAddress().getPort();
    }

    private String tlsServer() throws Exception {
        HttpsServer s = TransportFixtures.httpsServer(TransportFixtures.keyPair(dir, "self-signed"), "/", x -> answer(x, true));
        servers.add(() -> s.stop(0));
        return "127.0.0.1:" + s.getAddress().getPort();
    }

    private static String get(Transport t, String auth) throws IOException {
        HttpResponse<InputStream> r = t.send(base -> HttpRequest.newBuilder(base.resolve("/v2/")).GET(), true, TransportFixtures.fixed(auth));
        try (InputStream in = r.body()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aPlainHttpRegistryIsSpokenToInPlainHttpAndTheQuestionCarriesNoCredentials() throws Exception {
        String host = plainServer(true);
        Transport t = new Transport(host, Transport.Options.defaults(1));
        assertEquals(URI.create("http://" + host), t.base());
        assertEquals("{}", get(t, "Basic c2VjcmV0"));
        assertEquals(List.of("", "Basic c2VjcmV0"), seen, "one question without credentials, then the request");
    }

    @Test
    void aRegistrySpeakingTlsIsSpokenToInTlsThoughNothingTrustsItsCertificate() throws Exception {
        String host = tlsServer();
        Transport t = new Transport(host, Transport.Options.defaults(1));
        assertEquals(URI.create("https://" + host), t.base());
        assertEquals("{}", get(t, "Basic c2VjcmV0"));
        assertEquals("Basic c2VjcmV0", seen.getLast(), "credentials only ever went over TLS");
        for (String auth : seen.subList(0, seen.size() - 1)) assertEquals("", auth);
    }

    @Test
    void aPlainHttpServerThatIsNoRegistryIsStillSpokenToInPlainHttp() throws Exception {
        // Its /v2/ says 404 without the header: it answered in plain HTTP, so that is what it speaks
        // (the request then says what it is not), not a TLS handshake that it never answers.
        String host = plainServer(false);
        Transport t = new Transport(host, Transport.Options.defaults(1));
        assertEquals(URI.create("http://" + host), t.base());
    }

    @Test
    void nothingListeningLeavesPlainHttpForTheRealRequestToReport() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Transport t = new Transport("127.0.0.1:" + port, Transport.Options.defaults(1));
        assertEquals(URI.create("http://127.0.0.1:" + port), t.base());
    }
}
