package io.strata.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration that changes how the server runs: TLS, and the sweep of abandoned uploads. */
class RegistryOperationsTest {
    @TempDir
    Path dir;

    private Registry start(String extra) throws Exception {
        return Registries.start(dir, extra);
    }

    @Test
    void servesTlsWithTheConfiguredCertificate() throws Exception {
        ExternalTool.require("openssl");
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        ExternalTool.ok("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", key.toString(), "-out", cert.toString());
        try (Registry registry = start("tls:\n  cert: " + cert + "\n  key: " + key + "\n")) {
            // Trust exactly the generated certificate, with the JDK's full hostname check.
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            try (var in = Files.newInputStream(cert)) {
                trust.setCertificateEntry("strata", CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, tmf.getTrustManagers(), null);
            HttpClient client = HttpClient.newBuilder().sslContext(tls).build();
            var r = client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + registry.port() + "/v2/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertEquals("registry/2.0", r.headers().firstValue("Docker-Distribution-API-Version").orElse(""));
        }
    }

    /** A certificate or key that cannot be read is named, and nothing listens. */
    @Test
    void aTlsKeyThatIsNoKeyIsNamed() throws Exception {
        Path junk = Files.writeString(dir.resolve("junk.pem"), "not PEM\n");
        var e = assertThrows(IllegalArgumentException.class, () -> start("tls:\n  cert: " + junk + "\n  key: " + junk + "\n"));
        assertTrue(e.getMessage().startsWith("cannot use TLS certificate " + junk + " with key " + junk + ": "), e.getMessage());
        Path none = dir.resolve("none.pem");
        var missing = assertThrows(IllegalArgumentException.class, () -> start("tls:\n  cert: " + none + "\n  key: " + junk + "\n"));
        assertTrue(missing.getMessage().startsWith("cannot use TLS certificate " + none + " with key " + junk + ": "), missing.getMessage());
    }

    /** A renewed certificate is served without a restart, and clients that offer HTTP/2 get it. */
    @Test
    void tlsReloadsARenewedCertificateAndSpeaksHttp2() throws Exception {
        ExternalTool.require("openssl");
        Path cert = dir.resolve("cert.pem");
        Path key = dir.resolve("key.pem");
        selfSigned(cert, key, "first");
        try (Registry registry = start("tls:\n  cert: " + cert + "\n  key: " + key + "\n")) {
            URI uri = URI.create("https://127.0.0.1:" + registry.port() + "/v2/");
            var first = trustingAnything(HttpClient.Version.HTTP_2).send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, first.statusCode());
            assertEquals(HttpClient.Version.HTTP_2, first.version(), "ALPN chose HTTP/2");
            assertEquals("CN=first", subject(first));

            Path next = dir.resolve("next.pem");
            Path nextKey = dir.resolve("next-key.pem");
            selfSigned(next, nextKey, "second");
            // Replace both files (as certbot or a secret mount does), then wait for the reload.
            Files.move(nextKey, key, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.move(next, cert, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            String seen = "CN=first";
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (!seen.equals("CN=second") && System.nanoTime() < deadline) {
                Thread.sleep(500);
                var r = trustingAnything(HttpClient.Version.HTTP_1_1).send(HttpRequest.newBuilder(uri).build(),
                        HttpResponse.BodyHandlers.ofString());
                seen = subject(r);
            }
            assertEquals("CN=second", seen, "new connections get the renewed certificate");
        }
    }

    private static void selfSigned(Path cert, Path key, String cn) throws Exception {
        ExternalTool.ok("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=" + cn,
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key.toString(), "-out", cert.toString());
    }

    private static String subject(HttpResponse<?> r) throws Exception {
        return ((java.security.cert.X509Certificate) r.sslSession().orElseThrow().getPeerCertificates()[0])
                .getSubjectX500Principal().getName();
    }

    /** A fresh client (no pooled connection) that accepts any certificate: the test reads which one it was shown. */
    private static HttpClient trustingAnything(HttpClient.Version version) throws Exception {
        javax.net.ssl.TrustManager any = new javax.net.ssl.X509ExtendedTrustManager() {
            @Override public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a, java.net.Socket s) {}
            @Override public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a, java.net.Socket s) {}
            @Override public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a, javax.net.ssl.SSLEngine e) {}
            @Override public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a, javax.net.ssl.SSLEngine e) {}
            @Override public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) {}
            @Override public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) {}
            @Override public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                return new java.security.cert.X509Certificate[0];
            }
        };
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, new javax.net.ssl.TrustManager[] {any}, null);
        return HttpClient.newBuilder().version(version).sslContext(tls).build();
    }

    @Test
    void readOnlyServesReadsAndRefusesEveryWrite() throws Exception {
        try (Registry writable = start("")) {
            Http http = new Http(writable.port());
            assertEquals(201, http.send("POST", "/v2/app/blobs/uploads/?digest=" + io.strata.oci.Digest.sha256(new byte[] {7}),
                    new byte[] {7}).status());
        }
        try (Registry registry = start("readOnly: true\n")) {
            Http http = new Http(registry.port());
            String blob = "/v2/app/blobs/" + io.strata.oci.Digest.sha256(new byte[] {7});
            assertEquals(200, http.get(blob).status(), "reads are served");
            for (String[] write : new String[][] {{"POST", "/v2/app/blobs/uploads/"}, {"PUT", "/v2/app/manifests/v1"},
                    {"PATCH", "/v2/app/blobs/uploads/x"}, {"DELETE", blob}}) {
                Http.Response r = http.send(write[0], write[1], new byte[0]);
                assertEquals(405, r.status(), write[0] + " " + write[1]);
                assertEquals("UNSUPPORTED", r.errorCode());
            }
            assertEquals(200, http.get(blob).status(), "and nothing was deleted");
        }
    }

    @Test
    void metricsCountRequestsByRouteBytesCacheHitsAndTheJvm() throws Exception {
        try (Registry registry = start("")) {
            Http http = new Http(registry.port());
            byte[] config = "{}".getBytes();
            io.strata.oci.Digest c = io.strata.oci.Digest.sha256(config);
            assertEquals(201, http.send("POST", "/v2/lib/app/blobs/uploads/?digest=" + c, config).status());
            String manifest = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":"
                    + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + c + "\",\"size\":2},\"layers\":[]}";
            Http.Response put = http.send("PUT", "/v2/lib/app/manifests/v1", manifest.getBytes(), "Content-Type",
                    "application/vnd.oci.image.manifest.v1+json");
            assertEquals(201, put.status());
            for (int i = 0; i < 3; i++) assertEquals(200, http.get("/v2/lib/app/manifests/" + put.header("Docker-Content-Digest")).status());
            assertEquals(200, http.get("/v2/lib/app/blobs/" + c).status());
            Http.Response metrics = http.get("/metrics");
            assertEquals(200, metrics.status());
            assertTrue(metrics.header("Content-Type").startsWith("text/plain"));
            String text = metrics.text();
            assertEquals(3.0, sample(text, "strata_http_requests_seconds_count{method=\"GET\",route=\"manifest\",status=\"200\"}"));
            assertEquals(1.0, sample(text, "strata_http_requests_seconds_count{method=\"GET\",route=\"blob\",status=\"200\"}"));
            assertEquals(1.0, sample(text, "strata_http_requests_seconds_count{method=\"POST\",route=\"upload\",status=\"201\"}"));
            assertTrue(text.contains("strata_http_requests_seconds_bucket{method=\"GET\",route=\"manifest\",status=\"200\",le="), "histograms");
            assertTrue(sample(text, "strata_http_bytes_out_bytes_sum") >= 2, "bytes out counted");
            assertTrue(sample(text, "cache_gets_total{cache=\"manifests\",result=\"hit\"}") >= 2, "manifest cache hits");
            assertEquals(0.0, sample(text, "strata_uploads_in_flight"));
            assertTrue(text.contains("jvm_memory_used_bytes{"), "the JVM's memory");
            assertTrue(!text.contains("lib/app"), "no repository names: the series stay bounded");
        }
    }

    /** The value of one sample line of Prometheus's text format. */
    private static double sample(String text, String series) {
        return text.lines().filter(l -> l.startsWith(series + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(series.length() + 1).trim().split(" ")[0]))
                .orElseThrow(() -> new AssertionError("no " + series + " in\n" + text.lines().filter(l -> l.startsWith(series.split("[{ ]")[0])).toList()));
    }

    @Test
    void abandonedUploadsAreSweptAway() throws Exception {
        try (Registry registry = start("uploads:\n  expiry: 1s\n  purgeInterval: 1s\n")) {
            Http http = new Http(registry.port());
            String location = http.send("POST", "/v2/app/blobs/uploads/", (byte[]) null).header("Location");
            http.send("PATCH", location, new byte[] {1, 2, 3});
            assertEquals(204, http.get(location).status());
            long deadline = System.nanoTime() + 20_000_000_000L;
            int status = 204;
            while (status == 204 && System.nanoTime() < deadline) {
                Thread.sleep(250);
                status = http.get(location).status();
            }
            assertEquals(404, status, "the sweep removed the idle session");
            try (var files = Files.walk(dir.resolve("data"))) {
                assertEquals(List.of(), files.filter(p -> p.toString().contains("/uploads/") && Files.isRegularFile(p)).toList());
            }
        }
    }

    @Test
    void shutdownFinishesRequestsInFlight() throws Exception {
        Registry registry = start("");
        Http http = new Http(registry.port());
        String location = http.send("POST", "/v2/app/blobs/uploads/", (byte[]) null).header("Location");
        byte[] content = new byte[4 * 1024 * 1024];
        new java.util.Random(3).nextBytes(content);
        java.util.concurrent.CountDownLatch sending = new java.util.concurrent.CountDownLatch(1);
        // A client that sends its chunk slowly: half now, the rest after the shutdown began.
        java.io.InputStream slow = new java.io.InputStream() {
            int sent;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (sent == content.length) return -1;
                if (sent >= content.length / 2) {
                    sending.countDown();
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                int n = Math.min(Math.min(len, 64 * 1024), content.length - sent);
                System.arraycopy(content, sent, b, off, n);
                sent += n;
                return n;
            }
        };
        var upload = java.util.concurrent.CompletableFuture.supplyAsync(() -> http.sendChunked("PATCH", location, slow));
        sending.await();
        long t0 = System.nanoTime();
        registry.close(); // returns once the request in flight is answered
        var r = upload.get(60, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(202, r.status(), r.text());
        assertEquals("0-" + (content.length - 1), r.header("Range"));
        assertEquals(true, System.nanoTime() - t0 < 30_000_000_000L, "did not need the 30 s grace period's end");
        // The acknowledged bytes are in storage: a new instance continues the upload.
        try (Registry again = start("")) {
            assertEquals("0-" + (content.length - 1), new Http(again.port()).get(location).header("Range"));
        }
    }
}
