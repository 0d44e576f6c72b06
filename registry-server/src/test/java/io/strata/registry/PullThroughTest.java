package io.strata.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.oci.Digest;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pull-through cache against real upstreams: Strata behind a proxy that demands Docker's token
 * flow (and counts, cuts and corrupts what passes), distribution from Debian, and Strata with
 * htpasswd. Content is fetched once, verified, stored, and served from storage afterwards.
 */
class PullThroughTest {
    @TempDir
    Path dir;

    private Registry upstream;
    private RegistryProxy front;
    private Http upstreamHttp;

    @BeforeEach
    void upstream() throws Exception {
        upstream = Registries.start(Files.createDirectories(dir.resolve("upstream")), "");
        upstreamHttp = new Http(upstream.port());
        front = new RegistryProxy(upstream.port());
        front.requireBearer("puller", "pw");
    }

    @AfterEach
    void stop() throws Exception {
        front.close();
        upstream.close();
    }

    /** A cache with the token-flow upstream under {@code a} (tags asked every time) and {@code extra} upstreams. */
    private Registry cache(String extraUpstreams) throws Exception {
        return Registries.start(Files.createDirectories(dir.resolve("cache")), """
                proxy:
                  upstreams:
                    - prefix: a
                      url: http://%s
                      username: puller
                      password: pw
                      tagTTL: "0"
                %s""".formatted(front.host(), extraUpstreams));
    }

    private long upstreamGets(String repo, Digest blob) {
        return front.count("GET /v2/" + repo + "/blobs/" + blob);
    }

    @Test
    void pullsThroughEachUpstreamOnceThenServesFromStorage() throws Exception {
        ExternalTool.require("htpasswd");
        Path htpasswd = dir.resolve("htpasswd");
        Files.writeString(htpasswd, ExternalTool.ok("htpasswd", "-Bbn", "alice", "s3cret"));
        Path privateDir = Files.createDirectories(dir.resolve("private"));
        try (DistributionRegistry distribution = DistributionRegistry.start(Files.createDirectories(dir.resolve("dist")), null);
             Registry privateUpstream = Registries.start(privateDir, "auth:\n  mode: htpasswd\n  htpasswd:\n    path: " + htpasswd + "\n")) {
            Digest a = TestImages.image(upstreamHttp, "lib/app", "v1", 1, TestImages.random(1, 300_000), TestImages.random(2, 5_000));
            Digest d = TestImages.image(new Http(distribution.port()), "lib/app", "v1", 2, TestImages.random(3, 200_000));
            Digest p = TestImages.image(new Http(privateUpstream.port()).withBasicAuth("alice", "s3cret"), "team/tool", "1.0", 3,
                    TestImages.random(4, 100_000));
            try (Registry cache = cache("""
                        - prefix: dist
                          url: http://127.0.0.1:%d
                        - prefix: private/mirror
                          url: http://127.0.0.1:%d
                          username: alice
                          password: s3cret
                    """.formatted(distribution.port(), privateUpstream.port()))) {
                Http http = new Http(cache.port());
                TestImages.pullWhole(http, "a/lib/app", "v1");
                TestImages.pullWhole(http, "dist/lib/app", "v1");
                TestImages.pullWhole(http, "private/mirror/team/tool", "1.0");
                assertEquals(a.toString(), http.head("/v2/a/lib/app/manifests/v1").header("Docker-Content-Digest"));
                assertEquals(d.toString(), http.head("/v2/dist/lib/app/manifests/v1").header("Docker-Content-Digest"));
                assertEquals(p.toString(), http.head("/v2/private/mirror/team/tool/manifests/1.0").header("Docker-Content-Digest"));

                // Pulled again: the blobs come from storage, the upstream is asked only whether the tag moved.
                List<Digest> blobs = blobsOf(http, "a/lib/app", "v1");
                for (Digest b : blobs) assertEquals(1, upstreamGets("lib/app", b), "fetched once: " + b);
                long manifestGets = front.count("GET /v2/lib/app/manifests/");
                TestImages.pullWhole(http, "a/lib/app", "v1");
                for (Digest b : blobs) assertEquals(1, upstreamGets("lib/app", b), "still fetched once: " + b);
                assertEquals(manifestGets, front.count("GET /v2/lib/app/manifests/"), "an unmoved tag is checked by HEAD only");
                assertTrue(front.count("TOKEN ") > 0, "the upstream's token flow was followed");
                for (Digest b : blobs) assertTrue(cache.storage().blobs().stat(b).isPresent(), "stored: " + b);
                String metrics = http.get("/metrics").text();
                assertTrue(metrics.contains("strata_proxy_requests_total{kind=\"blob\",result=\"hit\"}"), metrics);
                assertTrue(metrics.contains("strata_proxy_requests_total{kind=\"blob\",result=\"fetched\"}"), metrics);
                assertTrue(cache.storage().blobs().stat(a).isPresent(), "the manifest is stored");
            }
        }
    }

    private static List<Digest> blobsOf(Http http, String repo, String reference) {
        var m = http.get("/v2/" + repo + "/manifests/" + reference, "Accept", "application/vnd.oci.image.manifest.v1+json").json();
        List<Digest> blobs = new ArrayList<>();
        blobs.add(Digest.parse(m.path("config").path("digest").asText()));
        m.path("layers").forEach(l -> blobs.add(Digest.parse(l.path("digest").asText())));
        return blobs;
    }

    @Test
    void servesWhatItHoldsWhileTheUpstreamIsDown() throws Exception {
        try (DistributionRegistry distribution = DistributionRegistry.start(Files.createDirectories(dir.resolve("dist")), null)) {
            Http dist = new Http(distribution.port());
            Digest m = TestImages.image(dist, "lib/app", "v1", 1, TestImages.random(1, 100_000));
            TestImages.image(dist, "lib/app", "never-pulled", 2, TestImages.random(2, 1_000));
            try (Registry cache = cache("""
                        - prefix: dist
                          url: http://127.0.0.1:%d
                          tagTTL: "0"
                    """.formatted(distribution.port()))) {
                Http http = new Http(cache.port());
                TestImages.pullWhole(http, "dist/lib/app", "v1");
                assertNull(http.get("/v2/dist/lib/app/manifests/v1").header("Warning"), "fresh while the upstream answers");
                Http.Response upstreamTags = http.get("/v2/dist/lib/app/tags/list");
                assertEquals(200, upstreamTags.status(), upstreamTags.text());
                assertEquals("dist/lib/app", upstreamTags.json().path("name").asText());
                assertTrue(upstreamTags.text().contains("never-pulled"), "the upstream's tags: " + upstreamTags.text());
                distribution.close();

                Http.Response byTag = http.get("/v2/dist/lib/app/manifests/v1");
                assertEquals(200, byTag.status(), byTag.text());
                assertEquals(PullThrough.STALE, byTag.header("Warning"));
                assertEquals(m.toString(), byTag.header("Docker-Content-Digest"));
                TestImages.pullWhole(http, "dist/lib/app", "v1");
                Http.Response byDigest = http.get("/v2/dist/lib/app/manifests/" + m);
                assertEquals(200, byDigest.status());
                assertNull(byDigest.header("Warning"), "content by digest is never stale");

                Http.Response tags = http.get("/v2/dist/lib/app/tags/list");
                assertEquals(200, tags.status(), tags.text());
                assertEquals(PullThrough.STALE, tags.header("Warning"));
                assertEquals("[\"v1\"]", tags.json().path("tags").toString(), "what the cache holds");

                Http.Response missing = http.get("/v2/dist/lib/app/manifests/never-pulled");
                assertEquals(502, missing.status(), missing.text());
                assertEquals("UNKNOWN", missing.errorCode());
                assertTrue(missing.json().path("errors").path(0).path("message").asText().contains("unavailable"), missing.text());
                Http.Response blob = http.get("/v2/dist/lib/app/blobs/" + Digest.sha256(TestImages.random(2, 1_000)));
                assertEquals(502, blob.status(), blob.text());
            }
        }
    }

    @Test
    void concurrentFirstPullsOfOneBlobFetchItOnce() throws Exception {
        byte[] big = TestImages.random(7, 24 * 1024 * 1024);
        Digest d = TestImages.upload(upstreamHttp, "lib/big", big);
        try (Registry cache = cache(""); ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<Http.Response>> gets = new ArrayList<>();
            for (int i = 0; i < 8; i++) gets.add(pool.submit(() -> new Http(cache.port()).get("/v2/a/lib/big/blobs/" + d)));
            for (Future<Http.Response> f : gets) {
                Http.Response r = f.get();
                assertEquals(200, r.status());
                assertEquals(d, Digest.sha256(r.body()));
            }
            assertEquals(1, upstreamGets("lib/big", d), front.seen.toString());
            assertTrue(awaitStored(cache, d), "stored after the fetch");
            assertEquals(1, upstreamGets("lib/big", d));
            try (var spool = Files.list(Path.of(System.getProperty("java.io.tmpdir"), "strata-proxy"))) {
                assertTrue(spool.noneMatch(f -> f.getFileName().toString().contains(d.encoded())), "the spool file is gone");
            }
        }
    }

    private static boolean awaitStored(Registry cache, Digest d) throws InterruptedException {
        for (int i = 0; i < 200 && cache.storage().blobs().stat(d).isEmpty(); i++) Thread.sleep(50);
        return cache.storage().blobs().stat(d).isPresent();
    }

    @Test
    void bytesThatDoNotMatchTheirDigestAreNeitherStoredNorServedWhole() throws Exception {
        byte[] layer = TestImages.random(5, 2 * 1024 * 1024);
        Digest d = TestImages.upload(upstreamHttp, "lib/app", layer);
        try (Registry cache = cache("")) {
            Http http = new Http(cache.port());
            front.corruptOnce(d);
            // The client gets all bytes but the last, then a cut connection: never a whole, wrong blob.
            UncheckedIOException cut = assertThrows(UncheckedIOException.class, () -> http.get("/v2/a/lib/app/blobs/" + d));
            assertTrue(cache.storage().blobs().stat(d).isEmpty(), "nothing stored: " + cut);
            assertTrue(cache.storage().repositories().statBlob(io.strata.oci.RepositoryName.of("a/lib/app"), d).isEmpty());

            Http.Response again = http.get("/v2/a/lib/app/blobs/" + d);
            assertEquals(200, again.status());
            assertArrayEquals(layer, again.body());
            assertTrue(awaitStored(cache, d));
            assertEquals(2, upstreamGets("lib/app", d));
        }
    }

    @Test
    void manifestsThatDoNotMatchTheirDigestAreNeitherStoredNorServed() throws Exception {
        Digest m = TestImages.image(upstreamHttp, "lib/app", "v1", 1, TestImages.random(1, 1_000));
        try (Registry cache = cache("")) {
            Http http = new Http(cache.port());
            var repos = cache.storage().repositories();
            front.corruptManifestOnce("v1"); // the body no longer hashes to the upstream's Docker-Content-Digest
            Http.Response byTag = http.get("/v2/a/lib/app/manifests/v1");
            assertEquals(502, byTag.status(), byTag.text());
            assertTrue(byTag.text().contains("Docker-Content-Digest"), byTag.text());
            front.corruptManifestOnce(m.toString()); // nor to the digest asked for
            Http.Response byDigest = http.get("/v2/a/lib/app/manifests/" + m);
            assertEquals(502, byDigest.status(), byDigest.text());
            assertTrue(repos.manifestLink(io.strata.oci.RepositoryName.of("a/lib/app"), m).isEmpty(), "nothing stored");
            assertTrue(repos.resolveTag(io.strata.oci.RepositoryName.of("a/lib/app"), io.strata.oci.Tag.of("v1")).isEmpty());

            assertEquals(m.toString(), http.get("/v2/a/lib/app/manifests/v1").header("Docker-Content-Digest"), "then the real one");
        }
    }

    @Test
    void rangesAndHeadsOfBlobsNotYetCached() throws Exception {
        byte[] layer = TestImages.random(6, 1_000_000);
        Digest d = TestImages.upload(upstreamHttp, "lib/app", layer);
        try (Registry cache = cache("")) {
            Http http = new Http(cache.port());
            Http.Response head = http.head("/v2/a/lib/app/blobs/" + d);
            assertEquals(200, head.status());
            assertEquals("1000000", head.header("Content-Length"));
            assertEquals(d.toString(), head.header("Docker-Content-Digest"));
            assertEquals(0, upstreamGets("lib/app", d), "a HEAD fetches nothing");
            assertEquals(304, http.head("/v2/a/lib/app/blobs/" + d, "If-None-Match", "\"" + d + "\"").status());

            Http.Response part = http.get("/v2/a/lib/app/blobs/" + d, "Range", "bytes=1000-1999");
            assertEquals(206, part.status());
            assertEquals("bytes 1000-1999/1000000", part.header("Content-Range"));
            assertArrayEquals(Arrays.copyOfRange(layer, 1000, 2000), part.body());
            assertTrue(awaitStored(cache, d), "a range request stores the whole blob");

            // While it is fetched: a range under another If-Range is the whole blob.
            byte[] other = TestImages.random(7, 300_000);
            Digest o = TestImages.upload(upstreamHttp, "lib/app", other);
            Http.Response whole = http.get("/v2/a/lib/app/blobs/" + o, "Range", "bytes=0-9", "If-Range", "\"sha256:x\"");
            assertEquals(200, whole.status());
            assertArrayEquals(other, whole.body());

            Http.Response unknown = http.get("/v2/a/lib/app/blobs/" + Digest.sha256(new byte[] {1}));
            assertEquals(404, unknown.status());
            assertEquals("BLOB_UNKNOWN", unknown.errorCode());
            Http.Response noRepo = http.get("/v2/a/lib/none/manifests/v1");
            assertEquals(404, noRepo.status());
        }
    }

    @Test
    void followsTheUpstreamsTagsAfterTheirTimeToLive() throws Exception {
        Digest v1 = TestImages.image(upstreamHttp, "lib/app", "latest", 1, TestImages.random(1, 1_000));
        try (Registry cache = cache("""
                    - prefix: slow
                      url: http://%s
                      username: puller
                      password: pw
                      tagTTL: 1h
                """.formatted(front.host()))) {
            Http http = new Http(cache.port());
            assertEquals(v1.toString(), http.get("/v2/a/lib/app/manifests/latest").header("Docker-Content-Digest"));
            assertEquals(v1.toString(), http.get("/v2/slow/lib/app/manifests/latest").header("Docker-Content-Digest"));

            TestImages.image(upstreamHttp, "lib/app", "older", 3, TestImages.random(3, 1_000));
            Http.Response page = http.get("/v2/a/lib/app/tags/list?n=1");
            assertEquals("[\"latest\"]", page.json().path("tags").toString());
            assertEquals("</v2/a/lib/app/tags/list?n=1&last=latest>; rel=\"next\"", page.header("Link"));
            assertEquals("[\"older\"]", http.get("/v2/a/lib/app/tags/list?n=1&last=latest").json().path("tags").toString());
            assertEquals(404, http.get("/v2/a/lib/nothing/tags/list").status());

            Digest v2 = TestImages.image(upstreamHttp, "lib/app", "latest", 2, TestImages.random(2, 1_000));
            assertEquals(v2.toString(), http.get("/v2/a/lib/app/manifests/latest").header("Docker-Content-Digest"), "TTL 0: asked again");
            assertEquals(v1.toString(), http.get("/v2/slow/lib/app/manifests/latest").header("Docker-Content-Digest"),
                    "within its TTL the cached tag is served");
            TestImages.pullWhole(http, "a/lib/app", "latest");

            assertEquals(202, upstreamHttp.delete("/v2/lib/app/manifests/latest").status());
            Http.Response gone = http.get("/v2/a/lib/app/manifests/latest");
            assertEquals(404, gone.status(), gone.text());
            assertEquals("MANIFEST_UNKNOWN", gone.errorCode());
            assertEquals(200, http.get("/v2/a/lib/app/manifests/" + v2).status(), "content by digest stays");
        }
    }

    @Test
    void pushesUnderAPrefixAreRefusedAndElsewhereWork() throws Exception {
        try (Registry cache = cache("")) {
            Http http = new Http(cache.port());
            Http.Response refused = http.send("POST", "/v2/a/lib/app/blobs/uploads/", (byte[]) null);
            assertEquals(405, refused.status());
            assertEquals("UNSUPPORTED", refused.errorCode());
            Http.Response manifest = http.send("PUT", "/v2/a/lib/app/manifests/v1", "{}".getBytes(),
                    "Content-Type", "application/vnd.oci.image.manifest.v1+json");
            assertEquals(405, manifest.status());

            Digest own = TestImages.image(http, "mine/app", "v1", 9, TestImages.random(9, 10_000));
            TestImages.pullWhole(http, "mine/app", "v1");
            assertEquals(own.toString(), http.head("/v2/mine/app/manifests/v1").header("Docker-Content-Digest"));
            assertTrue(front.seen.stream().noneMatch(s -> s.contains("mine/app")), "repositories outside a prefix never reach an upstream");
        }
    }

    @Test
    void skopeoCopiesAnImageThroughTheCache() throws Exception {
        ExternalTool.require("skopeo");
        try (DistributionRegistry distribution = DistributionRegistry.start(Files.createDirectories(dir.resolve("dist")), null)) {
            Path layout = dir.resolve("layout");
            OciLayouts.Image image = OciLayouts.write(layout, "v1", 3, 50_000, 11);
            ExternalTool.ok("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":v1",
                    "docker://127.0.0.1:" + distribution.port() + "/lib/app:v1");
            try (Registry cache = cache("""
                        - prefix: dist
                          url: http://127.0.0.1:%d
                    """.formatted(distribution.port()))) {
                Path out = dir.resolve("out");
                ExternalTool.ok("skopeo", "copy", "--quiet", "--src-tls-verify=false",
                        "docker://127.0.0.1:" + cache.port() + "/dist/lib/app:v1", "oci:" + out + ":v1");
                for (Digest b : image.blobs()) assertTrue(OciLayouts.hasBlob(out, b), "copied: " + b);
                for (Digest b : image.blobs()) assertTrue(awaitStored(cache, b), "cached: " + b);
            }
        }
    }

    @Test
    void aCappedCacheEvictsTheLeastRecentlyPulled() throws Exception {
        Digest a = TestImages.image(upstreamHttp, "lib/a", "v1", 1, TestImages.random(11, 100_000));
        Digest b = TestImages.image(upstreamHttp, "lib/b", "v1", 2, TestImages.random(12, 100_000));
        Digest c = TestImages.image(upstreamHttp, "lib/c", "v1", 3, TestImages.random(13, 100_000));
        try (Registry cache = Registries.start(Files.createDirectories(dir.resolve("cache")), """
                gc:
                  grace: 0s
                proxy:
                  maxBytes: 250KB
                  upstreams:
                    - prefix: a
                      url: http://%s
                      username: puller
                      password: pw
                """.formatted(front.host()))) {
            Http http = new Http(cache.port());
            Digest own = TestImages.image(http, "mine/app", "v1", 4, TestImages.random(14, 100_000));
            for (String repo : List.of("lib/a", "lib/b", "lib/c", "lib/a")) {
                TestImages.pullWhole(http, "a/" + repo, "v1");
                Thread.sleep(20);
            }
            for (long seed : List.of(11L, 12L, 13L)) assertTrue(awaitStored(cache, Digest.sha256(TestImages.random(seed, 100_000))));
            cache.evictCache();
            // 300 KB of layers cached, 250 KB allowed: b, pulled longest ago, goes; a (pulled again) and c stay.
            var repos = cache.storage().repositories();
            assertTrue(repos.manifestLink(io.strata.oci.RepositoryName.of("a/lib/b"), b).isEmpty(), "b evicted");
            assertTrue(cache.storage().blobs().stat(Digest.sha256(TestImages.random(12, 100_000))).isEmpty(), "b's layer collected");
            for (Digest kept : List.of(a, c)) assertTrue(cache.storage().blobs().stat(kept).isPresent(), "kept: " + kept);
            assertTrue(cache.storage().blobs().stat(Digest.sha256(TestImages.random(11, 100_000))).isPresent());
            assertTrue(cache.storage().blobs().stat(Digest.sha256(TestImages.random(13, 100_000))).isPresent());
            TestImages.pullWhole(http, "mine/app", "v1"); // pushed content is never the cache's to evict
            assertEquals(own.toString(), http.head("/v2/mine/app/manifests/v1").header("Docker-Content-Digest"));

            TestImages.pullWhole(http, "a/lib/b", "v1"); // fetched again on demand
            assertTrue(awaitStored(cache, Digest.sha256(TestImages.random(12, 100_000))), "b's layer stored again");
            cache.evictCache();
            assertTrue(repos.manifestLink(io.strata.oci.RepositoryName.of("a/lib/c"), c).isEmpty(), "now c is the least recent");
            TestImages.pullWhole(http, "a/lib/a", "v1");
        }
    }
}
