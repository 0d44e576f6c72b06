package io.strata.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.oci.Digest;
import io.strata.oci.MediaType;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The registry's HTTP API, endpoint by endpoint and error by error, against a real server. Runs
 * unchanged on each storage driver: a subclass names the storage configuration.
 */
abstract class RegistryApiContract {
    /** YAML for the storage: section (and anything else), shared by every instance of one test. */
    protected abstract String storageYaml();

    protected Registry registry;
    protected Http http;

    @BeforeEach
    void startRegistry() throws Exception {
        registry = startInstance();
        http = new Http(registry.port());
    }

    protected Registry startInstance() throws Exception {
        java.nio.file.Path file = java.nio.file.Files.createTempFile("strata", ".yml");
        java.nio.file.Files.writeString(file, "listen: 127.0.0.1:0\nlog:\n  access: false\n" + storageYaml());
        return Registry.start(RegistryConfig.load(file, Map.of()));
    }

    @AfterEach
    void stopRegistry() throws Exception {
        registry.close();
    }

    static byte[] bytes(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    static String sha(byte[] b) {
        return Digest.sha256(b).toString();
    }

    /** Monolithic upload; returns the digest. */
    String pushBlob(String repo, byte[] content) {
        var r = http.send("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + sha(content), content,
                "Content-Type", "application/octet-stream");
        assertEquals(201, r.status(), r.text());
        return sha(content);
    }

    static byte[] manifest(String config, int configSize, List<String[]> layers, String extra) {
        StringBuilder sb = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\","
                + "\"config\":{\"mediaType\":\"" + MediaType.OCI_CONFIG + "\",\"digest\":\"" + config + "\",\"size\":"
                + configSize + "},\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            if (i > 0) sb.append(',');
            sb.append("{\"mediaType\":\"").append(MediaType.OCI_LAYER).append("\",\"digest\":\"").append(layers.get(i)[0])
                    .append("\",\"size\":").append(layers.get(i)[1]).append('}');
        }
        sb.append(']').append(extra == null ? "" : extra).append('}');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Pushes a config and one layer and a manifest referencing them under {@code tag}; returns the manifest. */
    byte[] pushImage(String repo, String tag, long seed) {
        byte[] config = ("{\"seed\":" + seed + "}").getBytes(StandardCharsets.UTF_8);
        byte[] layer = bytes(seed, 1000);
        pushBlob(repo, config);
        pushBlob(repo, layer);
        byte[] m = manifest(sha(config), config.length, List.<String[]>of(new String[] {sha(layer), "1000"}), null);
        var r = http.send("PUT", "/v2/" + repo + "/manifests/" + tag, m, "Content-Type", MediaType.OCI_MANIFEST);
        assertEquals(201, r.status(), r.text());
        return m;
    }

    // ---- base ----------------------------------------------------------------------------------

    @Test
    void apiVersionCheck() {
        var r = http.get("/v2/");
        assertEquals(200, r.status());
        assertEquals("registry/2.0", r.header("Docker-Distribution-API-Version"));
        assertEquals("{}", r.text());
        assertEquals(200, http.head("/v2/").status());
        var noSlash = http.get("/v2");
        assertEquals(200, noSlash.status(), "the base without its slash");
        assertEquals("registry/2.0", noSlash.header("Docker-Distribution-API-Version"));
        assertEquals(200, http.get("/healthz").status());
        assertEquals(200, http.get("/readyz").status());
    }

    @Test
    void unknownEndpointsAnswerSpecErrors() {
        var r = http.get("/v2/a/b/nothing");
        assertEquals(404, r.status());
        assertEquals("UNSUPPORTED", r.errorCode());
    }

    @Test
    void aMethodAResourceDoesNotTakeIs405WithTheMethodsItDoes() {
        String digest = sha(new byte[] {1});
        String[][] cases = {
            {"PATCH", "/v2/lib/app/manifests/v1", "GET, HEAD, PUT, DELETE"},
            {"POST", "/v2/lib/app/blobs/" + digest, "GET, HEAD, DELETE"},
            {"GET", "/v2/lib/app/blobs/uploads/", "POST"},
            {"POST", "/v2/lib/app/blobs/uploads/0b8a0e56-2f4a-4bd4-9e62-3b1c4a3a9f10", "GET, PATCH, PUT, DELETE"},
            {"DELETE", "/v2/lib/app/tags/list", "GET"},
            {"PUT", "/v2/lib/app/referrers/" + digest, "GET"},
            {"POST", "/v2/_catalog", "GET"},
            {"DELETE", "/v2/", "GET, HEAD"},
        };
        for (String[] c : cases) {
            var r = http.send(c[0], c[1], (byte[]) null);
            assertEquals(405, r.status(), c[0] + " " + c[1]);
            assertEquals("UNSUPPORTED", r.errorCode(), c[0] + " " + c[1]);
            assertEquals(c[2] + ", OPTIONS", r.header("Allow"), c[0] + " " + c[1]);
            var options = http.send("OPTIONS", c[1], (byte[]) null);
            assertEquals(204, options.status(), "OPTIONS " + c[1]);
            assertEquals(c[2] + ", OPTIONS", options.header("Allow"), "OPTIONS " + c[1]);
        }
        assertEquals(405, http.head("/v2/lib/app/tags/list").status(), "HEAD is not GET");
        assertEquals(404, http.get("/v2/lib/app/manifests/v1").status(), "nothing was changed by any of them");
    }

    // ---- blobs and uploads ---------------------------------------------------------------------

    @Test
    void monolithicUploadThenGetAndHead() {
        byte[] content = bytes(1, 5000);
        var r = http.send("POST", "/v2/lib/app/blobs/uploads/?digest=" + sha(content), content);
        assertEquals(201, r.status());
        assertEquals("/v2/lib/app/blobs/" + sha(content), r.header("Location"));
        assertEquals(sha(content), r.header("Docker-Content-Digest"));
        var get = http.get("/v2/lib/app/blobs/" + sha(content));
        assertEquals(200, get.status());
        assertArrayEquals(content, get.body());
        assertEquals(sha(content), get.header("Docker-Content-Digest"));
        assertEquals("5000", get.header("Content-Length"));
        var head = http.head("/v2/lib/app/blobs/" + sha(content));
        assertEquals(200, head.status());
        assertEquals("5000", head.header("Content-Length"));
        assertEquals(sha(content), head.header("Docker-Content-Digest"));
        assertEquals(0, head.body().length);
    }

    @Test
    void postThenSinglePut() {
        byte[] content = bytes(2, 3000);
        var start = http.send("POST", "/v2/app/blobs/uploads/", (byte[]) null);
        assertEquals(202, start.status());
        String location = start.header("Location");
        assertTrue(location.startsWith("/v2/app/blobs/uploads/"), location);
        assertNotNull(start.header("Docker-Upload-UUID"));
        assertEquals("0-0", start.header("Range"));
        var put = http.send("PUT", location + "?digest=" + sha(content), content, "Content-Type", "application/octet-stream");
        assertEquals(201, put.status(), put.text());
        assertEquals(sha(content), put.header("Docker-Content-Digest"));
        assertArrayEquals(content, http.get("/v2/app/blobs/" + sha(content)).body());
    }

    @Test
    void chunkedUploadWithContentRange() {
        byte[] content = bytes(3, 10_000);
        String location = http.send("POST", "/v2/app/blobs/uploads/", (byte[]) null).header("Location");
        int[] cuts = {0, 4000, 4001, 9000, 10_000};
        for (int i = 0; i + 1 < cuts.length; i++) {
            byte[] chunk = java.util.Arrays.copyOfRange(content, cuts[i], cuts[i + 1]);
            var r = http.send("PATCH", location, chunk, "Content-Type", "application/octet-stream",
                    "Content-Range", cuts[i] + "-" + (cuts[i + 1] - 1));
            assertEquals(202, r.status(), r.text());
            assertEquals("0-" + (cuts[i + 1] - 1), r.header("Range"));
            location = r.header("Location");
        }
        var status = http.get(location);
        assertEquals(204, status.status());
        assertEquals("0-9999", status.header("Range"));
        assertEquals(location, status.header("Location"));
        var put = http.send("PUT", location + "?digest=" + sha(content), (byte[]) null);
        assertEquals(201, put.status(), put.text());
        assertArrayEquals(content, http.get("/v2/app/blobs/" + sha(content)).body());
        assertEquals(404, http.get(location).status(), "a finished session is gone");
    }

    @Test
    void chunkedTransferWithoutContentRangeAsDockerSends() {
        byte[] content = bytes(4, 7 * 1024 * 1024);
        String location = http.send("POST", "/v2/app/blobs/uploads/", (byte[]) null).header("Location");
        var r = http.sendChunked("PATCH", location, new ByteArrayInputStream(content), "Content-Type", "application/octet-stream");
        assertEquals(202, r.status(), r.text());
        assertEquals("0-" + (content.length - 1), r.header("Range"));
        var put = http.send("PUT", r.header("Location") + "?digest=" + sha(content), (byte[]) null);
        assertEquals(201, put.status(), put.text());
        assertArrayEquals(content, http.get("/v2/app/blobs/" + sha(content)).body());
    }

    @Test
    void outOfOrderAndRepeatedChunksAre416() {
        byte[] content = bytes(5, 2000);
        String location = http.send("POST", "/v2/app/blobs/uploads/", (byte[]) null).header("Location");
        var first = http.send("PATCH", location, java.util.Arrays.copyOfRange(content, 0, 1000), "Content-Range", "0-999");
        assertEquals(202, first.status());
        var repeated = http.send("PATCH", location, java.util.Arrays.copyOfRange(content, 0, 1000), "Content-Range", "0-999");
        assertEquals(416, repeated.status());
        assertEquals("RANGE_INVALID", repeated.errorCode());
        assertEquals("0-999", repeated.header("Range"));
        assertEquals(location, repeated.header("Location"));
        var gap = http.send("PATCH", location, java.util.Arrays.copyOfRange(content, 1500, 2000), "Content-Range", "1500-1999");
        assertEquals(416, gap.status());
        var mismatch = http.send("PATCH", location, java.util.Arrays.copyOfRange(content, 1000, 1500), "Content-Range", "1000-1999");
        assertEquals(416, mismatch.status(), "Content-Range must cover exactly the body");
        assertEquals(416, http.send("PATCH", location, new byte[1], "Content-Range", "junk").status());
        assertEquals("0-999", http.get(location).header("Range"), "refused chunks changed nothing");
        var rest = http.send("PATCH", location, java.util.Arrays.copyOfRange(content, 1000, 2000), "Content-Range", "1000-1999");
        assertEquals(202, rest.status());
        assertEquals(201, http.send("PUT", location + "?digest=" + sha(content), (byte[]) null).status());
    }

    @Test
    void digestMismatchIs400AndLeavesNothing() {
        byte[] content = bytes(6, 1000);
        String wrong = sha(bytes(7, 10));
        String location = http.send("POST", "/v2/app/blobs/uploads/", (byte[]) null).header("Location");
        var put = http.send("PUT", location + "?digest=" + wrong, content);
        assertEquals(400, put.status());
        assertEquals("DIGEST_INVALID", put.errorCode());
        assertEquals(404, http.head("/v2/app/blobs/" + wrong).status());
        assertEquals(404, http.head("/v2/app/blobs/" + sha(content)).status());
        var gone = http.get(location);
        assertEquals(404, gone.status());
        assertEquals("BLOB_UPLOAD_UNKNOWN", gone.errorCode());

        var mono = http.send("POST", "/v2/app/blobs/uploads/?digest=" + wrong, content);
        assertEquals(400, mono.status());
        assertEquals("DIGEST_INVALID", mono.errorCode());
        assertEquals(404, http.head("/v2/app/blobs/" + wrong).status());
    }

    @Test
    void putWithoutOrWithBadDigest() {
        String location = http.send("POST", "/v2/app/blobs/uploads/", (byte[]) null).header("Location");
        var none = http.send("PUT", location, new byte[] {1});
        assertEquals(400, none.status());
        assertEquals("DIGEST_INVALID", none.errorCode());
        var bad = http.send("PUT", location + "?digest=sha256:xyz", new byte[] {1});
        assertEquals(400, bad.status());
        assertEquals("DIGEST_INVALID", bad.errorCode());
        var md5 = http.send("POST", "/v2/app/blobs/uploads/?digest=md5:d41d8cd98f00b204e9800998ecf8427e", new byte[0]);
        assertEquals(400, md5.status());
    }

    @Test
    void sessionsBelongToTheirRepository() {
        String location = http.send("POST", "/v2/one/blobs/uploads/", (byte[]) null).header("Location");
        String id = location.substring(location.lastIndexOf('/') + 1);
        var elsewhere = http.get("/v2/two/blobs/uploads/" + id);
        assertEquals(404, elsewhere.status());
        assertEquals("BLOB_UPLOAD_UNKNOWN", elsewhere.errorCode());
        assertEquals(404, http.send("PATCH", "/v2/two/blobs/uploads/" + id, new byte[] {1}).status());
        assertEquals(204, http.get(location).status());
    }

    @Test
    void cancelAndUnknownSessions() {
        String location = http.send("POST", "/v2/app/blobs/uploads/", (byte[]) null).header("Location");
        assertEquals(204, http.delete(location).status());
        assertEquals(404, http.get(location).status());
        assertEquals(404, http.delete(location).status());
        for (String id : List.of("00000000-0000-0000-0000-000000000000", "not-a-uuid", "..")) {
            var r = http.get("/v2/app/blobs/uploads/" + id);
            assertEquals(id.equals("..") ? 400 : 404, r.status(), id);
        }
    }

    @Test
    void emptyBlob() {
        byte[] empty = new byte[0];
        pushBlob("app", empty);
        var r = http.get("/v2/app/blobs/" + sha(empty));
        assertEquals(200, r.status());
        assertEquals(0, r.body().length);
        assertEquals("0", r.header("Content-Length"));
    }

    @Test
    void rangedBlobReads() {
        byte[] content = bytes(8, 100);
        String d = pushBlob("app", content);
        var first = http.get("/v2/app/blobs/" + d, "Range", "bytes=0-0");
        assertEquals(206, first.status());
        assertArrayEquals(new byte[] {content[0]}, first.body());
        assertEquals("bytes 0-0/100", first.header("Content-Range"));
        var tail = http.get("/v2/app/blobs/" + d, "Range", "bytes=90-");
        assertEquals(206, tail.status());
        assertArrayEquals(java.util.Arrays.copyOfRange(content, 90, 100), tail.body());
        var suffix = http.get("/v2/app/blobs/" + d, "Range", "bytes=-3");
        assertArrayEquals(java.util.Arrays.copyOfRange(content, 97, 100), suffix.body());
        var clipped = http.get("/v2/app/blobs/" + d, "Range", "bytes=98-500");
        assertEquals("bytes 98-99/100", clipped.header("Content-Range"));
        var beyond = http.get("/v2/app/blobs/" + d, "Range", "bytes=100-");
        assertEquals(416, beyond.status());
        assertEquals("bytes */100", beyond.header("Content-Range"));
        var multi = http.get("/v2/app/blobs/" + d, "Range", "bytes=0-1,5-6");
        assertEquals(200, multi.status());
        assertArrayEquals(content, multi.body());
    }

    @Test
    void conditionalReadsOfBlobsAndManifests() {
        byte[] content = bytes(13, 100);
        String d = pushBlob("app", content);
        String etag = "\"" + d + "\"";
        String blob = "/v2/app/blobs/" + d;
        assertEquals(etag, http.get(blob).header("ETag"));
        // If-None-Match: a cache or client that holds the blob gets 304, without content.
        for (String held : List.of(etag, "W/" + etag, "\"other\", " + etag, "*")) {
            var get = http.get(blob, "If-None-Match", held);
            assertEquals(304, get.status(), held);
            assertEquals(0, get.body().length, held);
            assertEquals(etag, get.header("ETag"), held);
            assertEquals(d, get.header("Docker-Content-Digest"), held);
            assertNull(get.header("Content-Type"), held);
            assertEquals(304, http.head(blob, "If-None-Match", held).status(), held);
        }
        var other = http.get(blob, "If-None-Match", "\"sha256:" + "0".repeat(64) + "\"");
        assertEquals(200, other.status());
        assertArrayEquals(content, other.body());
        assertEquals(404, http.get("/v2/app/blobs/" + sha(bytes(14, 5)), "If-None-Match", "*").status(), "nothing to match");
        // If-Range: the range when the client's copy is this blob, the whole blob otherwise.
        var same = http.get(blob, "Range", "bytes=0-9", "If-Range", etag);
        assertEquals(206, same.status());
        assertArrayEquals(java.util.Arrays.copyOfRange(content, 0, 10), same.body());
        for (String validator : List.of("\"other\"", "W/" + etag, "Wed, 21 Oct 2015 07:28:00 GMT")) {
            var whole = http.get(blob, "Range", "bytes=0-9", "If-Range", validator);
            assertEquals(200, whole.status(), validator);
            assertArrayEquals(content, whole.body(), validator);
            assertNull(whole.header("Content-Range"), validator);
        }

        // A tag polled with the digest it named: 304 until it moves.
        byte[] first = pushImage("polled", "latest", 15);
        String firstTag = "\"" + sha(first) + "\"";
        var unchanged = http.get("/v2/polled/manifests/latest", "If-None-Match", firstTag, "Accept", MediaType.OCI_MANIFEST);
        assertEquals(304, unchanged.status());
        assertEquals(sha(first), unchanged.header("Docker-Content-Digest"));
        assertEquals(304, http.head("/v2/polled/manifests/" + sha(first), "If-None-Match", firstTag).status());
        byte[] second = pushImage("polled", "latest", 16);
        var moved = http.get("/v2/polled/manifests/latest", "If-None-Match", firstTag, "Accept", MediaType.OCI_MANIFEST);
        assertEquals(200, moved.status());
        assertArrayEquals(second, moved.body());
        assertEquals("\"" + sha(second) + "\"", moved.header("ETag"));
    }

    @Test
    void blobsAreScopedToRepositories() {
        String d = pushBlob("one", bytes(9, 10));
        var r = http.get("/v2/two/blobs/" + d);
        assertEquals(404, r.status());
        assertEquals("BLOB_UNKNOWN", r.errorCode());
        assertEquals(404, http.head("/v2/two/blobs/" + d).status());
        var unknown = http.get("/v2/one/blobs/" + sha(bytes(10, 10)));
        assertEquals("BLOB_UNKNOWN", unknown.errorCode());
    }

    @Test
    void crossRepositoryMount() {
        String d = pushBlob("source", bytes(11, 100));
        var mounted = http.send("POST", "/v2/target/blobs/uploads/?mount=" + d + "&from=source", (byte[]) null);
        assertEquals(201, mounted.status());
        assertEquals("/v2/target/blobs/" + d, mounted.header("Location"));
        assertEquals(d, mounted.header("Docker-Content-Digest"));
        assertEquals(200, http.head("/v2/target/blobs/" + d).status());

        var notThere = http.send("POST", "/v2/target2/blobs/uploads/?mount=" + d + "&from=elsewhere", (byte[]) null);
        assertEquals(202, notThere.status(), "falls back to an upload session");
        assertTrue(notThere.header("Location").startsWith("/v2/target2/blobs/uploads/"));
        assertEquals(404, http.head("/v2/target2/blobs/" + d).status());
        var noFrom = http.send("POST", "/v2/target3/blobs/uploads/?mount=" + d, (byte[]) null);
        assertEquals(202, noFrom.status());
        // A mount the registry cannot make, however malformed, is an upload session (spec: 202).
        for (String query : List.of("mount=sha256:abc&from=source", "mount=" + d.toUpperCase() + "&from=source",
                "mount=md5:0123&from=source", "mount=" + d + "&from=Not_A..Name")) {
            var fallback = http.send("POST", "/v2/target4/blobs/uploads/?" + query, (byte[]) null);
            assertEquals(202, fallback.status(), query);
            assertTrue(fallback.header("Location").startsWith("/v2/target4/blobs/uploads/"), query);
        }
        assertEquals(404, http.head("/v2/target4/blobs/" + d).status(), "nothing was mounted");
    }

    @Test
    void deleteBlob() {
        String d = pushBlob("app", bytes(12, 10));
        assertEquals(202, http.delete("/v2/app/blobs/" + d).status());
        assertEquals(404, http.get("/v2/app/blobs/" + d).status());
        var again = http.delete("/v2/app/blobs/" + d);
        assertEquals(404, again.status());
        assertEquals("BLOB_UNKNOWN", again.errorCode());
    }

    // ---- manifests -----------------------------------------------------------------------------

    @Test
    void manifestPutGetHeadByTagAndDigest() {
        byte[] m = pushImage("lib/img", "v1", 20);
        String d = sha(m);
        var byTag = http.get("/v2/lib/img/manifests/v1", "Accept", MediaType.OCI_MANIFEST);
        assertEquals(200, byTag.status());
        assertArrayEquals(m, byTag.body());
        assertEquals(MediaType.OCI_MANIFEST, byTag.header("Content-Type"));
        assertEquals(d, byTag.header("Docker-Content-Digest"));
        var byDigest = http.get("/v2/lib/img/manifests/" + d);
        assertArrayEquals(m, byDigest.body());
        var head = http.head("/v2/lib/img/manifests/v1");
        assertEquals(200, head.status());
        assertEquals(Integer.toString(m.length), head.header("Content-Length"));
        assertEquals(d, head.header("Docker-Content-Digest"));
        assertEquals(0, head.body().length);
        var byDigestPut = http.send("PUT", "/v2/lib/img/manifests/" + d, m, "Content-Type", MediaType.OCI_MANIFEST);
        assertEquals(201, byDigestPut.status());
        assertEquals("/v2/lib/img/manifests/" + d, byDigestPut.header("Location"));
    }

    @Test
    void unknownManifestsAndRepositories() {
        pushImage("img", "v1", 21);
        var missingTag = http.get("/v2/img/manifests/nope");
        assertEquals(404, missingTag.status());
        assertEquals("MANIFEST_UNKNOWN", missingTag.errorCode());
        assertEquals(404, http.head("/v2/img/manifests/nope").status());
        var missingRepo = http.get("/v2/never/pushed/manifests/v1");
        assertEquals(404, missingRepo.status());
        assertEquals("NAME_UNKNOWN", missingRepo.errorCode());
        assertEquals("MANIFEST_UNKNOWN", http.get("/v2/img/manifests/" + sha(bytes(1, 1))).errorCode());
        // Neither a tag nor a digest: nothing can exist under it (the spec and distribution answer 404).
        var invalid = http.get("/v2/img/manifests/.INVALID_MANIFEST_NAME");
        assertEquals(404, invalid.status());
        assertEquals("MANIFEST_UNKNOWN", invalid.errorCode());
        assertEquals(404, http.head("/v2/img/manifests/.INVALID_MANIFEST_NAME").status());
    }

    @Test
    void tagMoveIsSeenAtOnce() {
        byte[] first = pushImage("img", "latest", 22);
        assertArrayEquals(first, http.get("/v2/img/manifests/latest").body());
        byte[] second = pushImage("img", "latest", 23);
        assertArrayEquals(second, http.get("/v2/img/manifests/latest").body());
        assertArrayEquals(first, http.get("/v2/img/manifests/" + sha(first)).body());
    }

    @Test
    void manifestReferencingMissingBlobs() {
        byte[] config = "{}".getBytes();
        pushBlob("img", config);
        String missing = sha(bytes(30, 10));
        byte[] m = manifest(sha(config), 2, List.<String[]>of(new String[] {missing, "10"}), null);
        var r = http.send("PUT", "/v2/img/manifests/v1", m, "Content-Type", MediaType.OCI_MANIFEST);
        assertEquals(404, r.status());
        assertEquals("MANIFEST_BLOB_UNKNOWN", r.errorCode());
        assertEquals(missing, r.json().path("errors").path(0).path("detail").path("digest").asText());
        assertEquals(404, http.get("/v2/img/manifests/v1").status(), "a refused manifest is not stored");
        // A blob of another repository does not count.
        String other = pushBlob("other", bytes(30, 10));
        assertEquals(other, missing);
        assertEquals(404, http.send("PUT", "/v2/img/manifests/v1", m, "Content-Type", MediaType.OCI_MANIFEST).status());
    }

    @Test
    void invalidManifestsAre400() {
        byte[] config = "{}".getBytes();
        String c = pushBlob("img", config);
        String put = "/v2/img/manifests/v1";
        List<byte[]> bad = new ArrayList<>(List.of(
                "not json".getBytes(),
                "[]".getBytes(),
                "{\"schemaVersion\":1}".getBytes(),
                ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\"}").getBytes(),
                ("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" + MediaType.OCI_CONFIG + "\",\"digest\":\"sha256:bad\",\"size\":2},\"layers\":[]}").getBytes(),
                ("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" + MediaType.OCI_CONFIG + "\",\"digest\":\"" + c + "\",\"size\":\"2\"},\"layers\":[]}").getBytes(),
                ("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" + MediaType.OCI_CONFIG + "\",\"digest\":\"" + c + "\",\"size\":2},\"layers\":{}}").getBytes()));
        for (byte[] body : bad) {
            var r = http.send("PUT", put, body, "Content-Type", MediaType.OCI_MANIFEST);
            assertEquals(400, r.status(), new String(body));
            assertEquals("MANIFEST_INVALID", r.errorCode(), new String(body));
        }
        byte[] good = manifest(c, 2, List.of(), null);
        var wrongType = http.send("PUT", put, good, "Content-Type", MediaType.DOCKER_MANIFEST);
        assertEquals("MANIFEST_INVALID", wrongType.errorCode(), "Content-Type must match the body's mediaType");
        var unknownType = http.send("PUT", put, good, "Content-Type", "application/vnd.example+json");
        assertEquals(400, unknownType.status());
        var wrongSize = http.send("PUT", put, manifest(c, 3, List.of(), null), "Content-Type", MediaType.OCI_MANIFEST);
        assertEquals(400, wrongSize.status());
        var wrongDigest = http.send("PUT", "/v2/img/manifests/" + sha("x".getBytes()), good, "Content-Type", MediaType.OCI_MANIFEST);
        assertEquals(400, wrongDigest.status());
        assertEquals("DIGEST_INVALID", wrongDigest.errorCode());
        var badTag = http.send("PUT", "/v2/img/manifests/-bad", good, "Content-Type", MediaType.OCI_MANIFEST);
        assertEquals(400, badTag.status());
        assertEquals("TAG_INVALID", badTag.errorCode());
        // Exactly one JSON value, UTF-8 without a BOM, no duplicate keys: what clients can parse back.
        String text = new String(good, java.nio.charset.StandardCharsets.UTF_8);
        List<byte[]> notOne = List.of((text + "xyz").getBytes(), (text + text).getBytes(), (text + "}").getBytes(),
                concat(new byte[] {(byte) 0xef, (byte) 0xbb, (byte) 0xbf}, good),
                text.replaceFirst("\\{", "{\"schemaVersion\":2,").getBytes());
        for (byte[] body : notOne) {
            var r = http.send("PUT", put, body, "Content-Type", MediaType.OCI_MANIFEST);
            assertEquals(400, r.status(), new String(body));
            assertEquals("MANIFEST_INVALID", r.errorCode(), new String(body));
        }
        assertEquals(201, http.send("PUT", put, good, "Content-Type", MediaType.OCI_MANIFEST).status());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void manifestsOverTheLimitAre413() {
        String c = pushBlob("img", "{}".getBytes());
        String pad = "x".repeat(4 * 1024 * 1024);
        byte[] huge = manifest(c, 2, List.of(), ",\"annotations\":{\"pad\":\"" + pad + "\"}");
        var r = http.send("PUT", "/v2/img/manifests/big", huge, "Content-Type", MediaType.OCI_MANIFEST);
        assertEquals(413, r.status());
        var chunked = http.sendChunked("PUT", "/v2/img/manifests/big", new ByteArrayInputStream(huge),
                "Content-Type", MediaType.OCI_MANIFEST);
        assertEquals(413, chunked.status());
        assertEquals(404, http.get("/v2/img/manifests/big").status());
    }

    @Test
    void indexesNeedTheirChildren() {
        byte[] child = pushImage("multi", "amd64", 40);
        String missing = sha(bytes(41, 5));
        String index = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_INDEX + "\",\"manifests\":["
                + "{\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"digest\":\"" + sha(child) + "\",\"size\":" + child.length
                + ",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}%s]}";
        byte[] incomplete = String.format(index, ",{\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"digest\":\""
                + missing + "\",\"size\":5}").getBytes();
        var r = http.send("PUT", "/v2/multi/manifests/latest", incomplete, "Content-Type", MediaType.OCI_INDEX);
        assertEquals(404, r.status());
        assertEquals("MANIFEST_BLOB_UNKNOWN", r.errorCode());
        byte[] complete = String.format(index, "").getBytes();
        assertEquals(201, http.send("PUT", "/v2/multi/manifests/latest", complete, "Content-Type", MediaType.OCI_INDEX).status());
        var got = http.get("/v2/multi/manifests/latest");
        assertEquals(MediaType.OCI_INDEX, got.header("Content-Type"));
        assertArrayEquals(complete, got.body());
    }

    @Test
    void dockerSchema2ManifestAndList() {
        byte[] config = "{\"architecture\":\"amd64\"}".getBytes();
        byte[] layer = bytes(50, 100);
        String c = pushBlob("docker", config);
        String l = pushBlob("docker", layer);
        byte[] m = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.DOCKER_MANIFEST + "\",\"config\":{\"mediaType\":\""
                + MediaType.DOCKER_CONFIG + "\",\"digest\":\"" + c + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":\""
                + MediaType.DOCKER_LAYER_GZIP + "\",\"digest\":\"" + l + "\",\"size\":100}]}").getBytes();
        assertEquals(201, http.send("PUT", "/v2/docker/manifests/v1", m, "Content-Type", MediaType.DOCKER_MANIFEST).status());
        assertEquals(MediaType.DOCKER_MANIFEST, http.get("/v2/docker/manifests/v1").header("Content-Type"));
        byte[] list = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.DOCKER_MANIFEST_LIST + "\",\"manifests\":[{\"mediaType\":\""
                + MediaType.DOCKER_MANIFEST + "\",\"digest\":\"" + sha(m) + "\",\"size\":" + m.length
                + ",\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}").getBytes();
        assertEquals(201, http.send("PUT", "/v2/docker/manifests/list", list, "Content-Type", MediaType.DOCKER_MANIFEST_LIST).status());
        assertEquals(MediaType.DOCKER_MANIFEST_LIST, http.get("/v2/docker/manifests/list").header("Content-Type"));
    }

    @Test
    void deleteManifestByDigestAndByTag() {
        byte[] m = pushImage("img", "v1", 60);
        String d = sha(m);
        var putAgain = http.send("PUT", "/v2/img/manifests/v2", m, "Content-Type", MediaType.OCI_MANIFEST);
        assertEquals(201, putAgain.status());
        assertEquals(202, http.delete("/v2/img/manifests/v2").status(), "delete by tag");
        assertEquals(404, http.get("/v2/img/manifests/v2").status());
        assertEquals(200, http.get("/v2/img/manifests/" + d).status(), "the manifest stays by digest");
        assertEquals(202, http.delete("/v2/img/manifests/" + d).status(), "delete by digest");
        assertEquals("MANIFEST_UNKNOWN", http.get("/v2/img/manifests/" + d).errorCode());
        assertEquals(404, http.get("/v2/img/manifests/v1").status(), "tags of a deleted manifest go with it");
        var again = http.delete("/v2/img/manifests/" + d);
        assertEquals(404, again.status());
        assertEquals("MANIFEST_UNKNOWN", again.errorCode());
    }

    // ---- referrers -----------------------------------------------------------------------------

    @Test
    void referrersWithSubjectAndArtifactTypeFilter() {
        byte[] subject = pushImage("img", "v1", 70);
        String s = sha(subject);
        byte[] emptyConfig = "{}".getBytes();
        String empty = pushBlob("img", emptyConfig);
        String sbomLayer = pushBlob("img", "sbom".getBytes());
        byte[] sbom = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"artifactType\":\"application/spdx+json\","
                + "\"config\":{\"mediaType\":\"" + MediaType.OCI_EMPTY + "\",\"digest\":\"" + empty + "\",\"size\":2},"
                + "\"layers\":[{\"mediaType\":\"application/spdx+json\",\"digest\":\"" + sbomLayer + "\",\"size\":4}],"
                + "\"subject\":{\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"digest\":\"" + s + "\",\"size\":" + subject.length + "},"
                + "\"annotations\":{\"org.example.kind\":\"sbom\"}}").getBytes();
        var put = http.send("PUT", "/v2/img/manifests/" + sha(sbom), sbom, "Content-Type", MediaType.OCI_MANIFEST);
        assertEquals(201, put.status(), put.text());
        assertEquals(s, put.header("OCI-Subject"));
        // A signature whose artifact type comes from its config's media type.
        byte[] sigConfig = "{\"sig\":1}".getBytes();
        String sc = pushBlob("img", sigConfig);
        byte[] sig = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\","
                + "\"config\":{\"mediaType\":\"application/vnd.example.sig.config\",\"digest\":\"" + sc + "\",\"size\":" + sigConfig.length + "},"
                + "\"layers\":[],\"subject\":{\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"digest\":\"" + s + "\",\"size\":" + subject.length + "}}").getBytes();
        assertEquals(201, http.send("PUT", "/v2/img/manifests/sig", sig, "Content-Type", MediaType.OCI_MANIFEST).status());

        var all = http.get("/v2/img/referrers/" + s);
        assertEquals(200, all.status());
        assertEquals(MediaType.OCI_INDEX, all.header("Content-Type"));
        assertNull(all.header("OCI-Filters-Applied"));
        JsonNode manifests = all.json().path("manifests");
        assertEquals(2, manifests.size());
        for (JsonNode d : manifests) {
            if (d.path("digest").asText().equals(sha(sbom))) {
                assertEquals("application/spdx+json", d.path("artifactType").asText());
                assertEquals("sbom", d.path("annotations").path("org.example.kind").asText());
                assertEquals(sbom.length, d.path("size").asInt());
                assertEquals(MediaType.OCI_MANIFEST, d.path("mediaType").asText());
            } else {
                assertEquals(sha(sig), d.path("digest").asText());
                assertEquals("application/vnd.example.sig.config", d.path("artifactType").asText());
            }
        }
        var filtered = http.get("/v2/img/referrers/" + s + "?artifactType="
                + java.net.URLEncoder.encode("application/spdx+json", StandardCharsets.UTF_8));
        assertEquals("artifactType", filtered.header("OCI-Filters-Applied"));
        assertEquals(1, filtered.json().path("manifests").size());
        var none = http.get("/v2/img/referrers/" + sha(bytes(71, 1)));
        assertEquals(200, none.status());
        assertEquals(0, none.json().path("manifests").size());
        assertEquals(200, http.get("/v2/never/referrers/" + s).status(), "the referrers API never answers 404");
        assertEquals(400, http.get("/v2/img/referrers/sha256:nope").status());

        assertEquals(202, http.delete("/v2/img/manifests/" + sha(sbom)).status());
        assertEquals(1, http.get("/v2/img/referrers/" + s).json().path("manifests").size());
    }

    @Test
    void subjectMayBeMissing() {
        String c = pushBlob("img", "{}".getBytes());
        String absent = sha(bytes(72, 3));
        byte[] m = manifest(c, 2, List.of(), ",\"subject\":{\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"digest\":\""
                + absent + "\",\"size\":3}");
        var r = http.send("PUT", "/v2/img/manifests/ref", m, "Content-Type", MediaType.OCI_MANIFEST);
        assertEquals(201, r.status());
        assertEquals(absent, r.header("OCI-Subject"));
        assertEquals(1, http.get("/v2/img/referrers/" + absent).json().path("manifests").size());
    }

    // ---- listings ------------------------------------------------------------------------------

    @Test
    void tagListWithPagination() {
        String c = pushBlob("tags", "{}".getBytes());
        List<String> tags = List.of("a", "b", "c", "v1", "v1.0", "v10");
        for (String t : tags) {
            byte[] m = manifest(c, 2, List.of(), ",\"annotations\":{\"t\":\"" + t + "\"}");
            assertEquals(201, http.send("PUT", "/v2/tags/manifests/" + t, m, "Content-Type", MediaType.OCI_MANIFEST).status());
        }
        var all = http.get("/v2/tags/tags/list");
        assertEquals(200, all.status());
        assertEquals("tags", all.json().path("name").asText());
        assertEquals(tags, names(all.json().path("tags")));
        assertNull(all.header("Link"));
        var page1 = http.get("/v2/tags/tags/list?n=2");
        assertEquals(List.of("a", "b"), names(page1.json().path("tags")));
        assertEquals("</v2/tags/tags/list?n=2&last=b>; rel=\"next\"", page1.header("Link"));
        var page2 = http.get("/v2/tags/tags/list?n=2&last=b");
        assertEquals(List.of("c", "v1"), names(page2.json().path("tags")));
        var lastPage = http.get("/v2/tags/tags/list?n=2&last=v1");
        assertEquals(List.of("v1.0", "v10"), names(lastPage.json().path("tags")));
        assertNull(lastPage.header("Link"));
        assertEquals(List.of(), names(http.get("/v2/tags/tags/list?n=0").json().path("tags")));
        assertEquals(List.of("v1", "v1.0", "v10"), names(http.get("/v2/tags/tags/list?last=c").json().path("tags")));
        var badN = http.get("/v2/tags/tags/list?n=-1");
        assertEquals(400, badN.status());
        assertEquals("PAGINATION_NUMBER_INVALID", badN.errorCode());
        assertEquals(400, http.get("/v2/tags/tags/list?n=abc").status());
        var unknown = http.get("/v2/nope/tags/list");
        assertEquals(404, unknown.status());
        assertEquals("NAME_UNKNOWN", unknown.errorCode());
    }

    @Test
    void catalogWithPagination() {
        for (String repo : List.of("b/x", "a", "c", "a/b")) pushBlob(repo, bytes(repo.hashCode(), 5));
        var all = http.get("/v2/_catalog");
        assertEquals(List.of("a", "a/b", "b/x", "c"), names(all.json().path("repositories")));
        var page = http.get("/v2/_catalog?n=3");
        assertEquals(List.of("a", "a/b", "b/x"), names(page.json().path("repositories")));
        assertEquals("</v2/_catalog?n=3&last=b%2Fx>; rel=\"next\"", page.header("Link"));
        var next = http.get("/v2/_catalog?n=3&last=b/x");
        assertEquals(List.of("c"), names(next.json().path("repositories")));
        assertNull(next.header("Link"));
    }

    private static List<String> names(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    // ---- validation of what a path names --------------------------------------------------------

    @Test
    void invalidNamesTagsAndPathsAre400() {
        assertEquals("NAME_INVALID", http.get("/v2/UPPER/tags/list").errorCode());
        assertEquals("NAME_INVALID", http.get("/v2/a_/manifests/latest").errorCode());
        assertEquals("NAME_INVALID", http.get("/v2/a/%2e%2e/b/manifests/latest").errorCode());
        assertEquals("NAME_INVALID", http.get("/v2/a%2Fb/manifests/latest").errorCode());
        assertEquals("NAME_INVALID", http.send("POST", "/v2/-a/blobs/uploads/", (byte[]) null).errorCode());
        // Reading under a reference that is neither a tag nor a digest finds nothing (404); writing one is refused (400).
        assertEquals(404, http.get("/v2/a/manifests/.tag").status());
        assertEquals(404, http.get("/v2/a/manifests/sha256:abc").status());
        assertEquals("TAG_INVALID", http.send("PUT", "/v2/a/manifests/.tag", "{}".getBytes(), "Content-Type", MediaType.OCI_MANIFEST).errorCode());
        assertEquals("DIGEST_INVALID", http.get("/v2/a/blobs/sha256:" + "A".repeat(64)).errorCode());
        assertEquals(400, http.get("/v2/a/tags/list?last=-x").status());
    }

    // ---- instances sharing a backend -----------------------------------------------------------

    @Test
    void anUploadStartedOnOneInstanceFinishesOnAnother() throws Exception {
        try (Registry second = startInstance()) {
            Http other = new Http(second.port());
            byte[] content = bytes(80, 6 * 1024 * 1024 + 3);
            String location = http.send("POST", "/v2/shared/blobs/uploads/", (byte[]) null).header("Location");
            var a = other.send("PATCH", location, java.util.Arrays.copyOfRange(content, 0, 3 * 1024 * 1024),
                    "Content-Range", "0-" + (3 * 1024 * 1024 - 1));
            assertEquals(202, a.status(), a.text());
            var b = http.send("PATCH", a.header("Location"), java.util.Arrays.copyOfRange(content, 3 * 1024 * 1024, content.length),
                    "Content-Range", 3 * 1024 * 1024 + "-" + (content.length - 1));
            assertEquals(202, b.status(), b.text());
            assertEquals("0-" + (content.length - 1), other.get(b.header("Location")).header("Range"));
            assertEquals(201, other.send("PUT", b.header("Location") + "?digest=" + sha(content), (byte[]) null).status());
            assertArrayEquals(content, http.get("/v2/shared/blobs/" + sha(content)).body());
            assertArrayEquals(content, other.get("/v2/shared/blobs/" + sha(content)).body());
        }
    }
}
