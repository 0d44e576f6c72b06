package io.strata.conformance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.oci.Digest;
import io.strata.oci.MediaType;
import io.strata.registry.Http;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The distribution spec's four workflows and the referrers API, over HTTP only, so the same suite
 * runs against any registry. Each test checks what the spec states with MUST in the section its
 * {@link Spec} names. Repositories are fresh per run, so a long-lived registry can be tested too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(ConformanceExtension.class)
abstract class ConformanceSuite {
    protected abstract RegistryTarget startTarget() throws Exception;

    private RegistryTarget target;
    private Http http;
    private final String ns = "conformance/" + UUID.randomUUID().toString().substring(0, 8);

    RegistryTarget target() {
        return target;
    }

    @BeforeAll
    void start() throws Exception {
        target = startTarget();
        http = target.http();
    }

    @AfterAll
    void stop() throws Exception {
        target.close();
    }

    private String repo(String name) {
        return ns + "/" + name;
    }

    private static byte[] bytes(long seed, int n) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static String sha(byte[] b) {
        return Digest.sha256(b).toString();
    }

    /** POST then PUT, the one upload flow every registry supports. */
    private String push(String repo, byte[] content) {
        var start = http.send("POST", "/v2/" + repo + "/blobs/uploads/", (byte[]) null);
        assertEquals(202, start.status(), start.text());
        var put = http.send("PUT", withQuery(start.header("Location"), "digest=" + sha(content)), content,
                "Content-Type", "application/octet-stream");
        assertEquals(201, put.status(), put.text());
        return sha(content);
    }

    /** Locations may carry their own query (distribution's _state); append ours to it. */
    private static String withQuery(String location, String query) {
        return location + (location.contains("?") ? "&" : "?") + query;
    }

    private record Image(byte[] manifest, String digest, byte[] config, byte[] layer) {}

    private Image pushImage(String repo, String tag, long seed, String extra) {
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":" + seed + "}").getBytes(StandardCharsets.UTF_8);
        byte[] layer = bytes(seed, 2048);
        push(repo, config);
        push(repo, layer);
        byte[] m = manifest(MediaType.OCI_CONFIG, config, layer, extra);
        var r = http.send("PUT", "/v2/" + repo + "/manifests/" + tag, m, "Content-Type", MediaType.OCI_MANIFEST);
        assertEquals(201, r.status(), r.text());
        return new Image(m, sha(m), config, layer);
    }

    private static byte[] manifest(String configType, byte[] config, byte[] layer, String extra) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + configType
                + "\",\"digest\":\"" + sha(config) + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":\""
                + MediaType.OCI_LAYER + "\",\"digest\":\"" + sha(layer) + "\",\"size\":" + layer.length + "}]"
                + (extra == null ? "" : extra) + "}").getBytes(StandardCharsets.UTF_8);
    }

    /** When a 4xx body is JSON it is the spec's error format; check the code when there is one. */
    private static void assertErrorCode(Http.Response r, String code) {
        String type = r.header("Content-Type");
        if (type != null && type.startsWith("application/json") && r.body().length > 0) {
            List<String> codes = new ArrayList<>();
            r.json().path("errors").forEach(e -> codes.add(e.path("code").asText()));
            assertTrue(codes.contains(code), "expected " + code + " in " + r.text());
        }
    }

    // ---- pull ----------------------------------------------------------------------------------

    @Test
    @Tag("pull")
    @Spec("Determining support (end-1)")
    void apiVersionCheck() {
        assertEquals(200, http.get("/v2/").status());
    }

    @Test
    @Tag("pull")
    @Spec("Pulling manifests (end-3)")
    void pullManifestByTagAndDigest() {
        Image image = pushImage(repo("pull"), "v1", 1, null);
        var byTag = http.get("/v2/" + repo("pull") + "/manifests/v1", "Accept", MediaType.OCI_MANIFEST);
        assertEquals(200, byTag.status());
        assertArrayEquals(image.manifest(), byTag.body());
        String digestHeader = byTag.header("Docker-Content-Digest");
        if (digestHeader != null) assertEquals(image.digest(), digestHeader, "the header, if present, MUST match the body");
        var byDigest = http.get("/v2/" + repo("pull") + "/manifests/" + image.digest(), "Accept", MediaType.OCI_MANIFEST);
        assertEquals(200, byDigest.status());
        assertArrayEquals(image.manifest(), byDigest.body());
        assertEquals(MediaType.OCI_MANIFEST, byDigest.header("Content-Type"));
    }

    @Test
    @Tag("pull")
    @Spec("Checking if content exists in the registry (end-3 HEAD)")
    void headManifest() {
        Image image = pushImage(repo("head"), "v1", 2, null);
        var r = http.head("/v2/" + repo("head") + "/manifests/v1", "Accept", MediaType.OCI_MANIFEST);
        assertEquals(200, r.status());
        assertEquals(0, r.body().length);
        assertEquals(Integer.toString(image.manifest().length), r.header("Content-Length"));
        assertEquals(404, http.head("/v2/" + repo("head") + "/manifests/missing").status());
    }

    @Test
    @Tag("pull")
    @Spec("Pulling manifests: not found is 404")
    void pullMissingManifest() {
        pushImage(repo("missing"), "v1", 3, null);
        var r = http.get("/v2/" + repo("missing") + "/manifests/nope", "Accept", MediaType.OCI_MANIFEST);
        assertEquals(404, r.status());
        assertErrorCode(r, "MANIFEST_UNKNOWN");
        assertEquals(404, http.get("/v2/" + repo("never-pushed") + "/manifests/v1").status(),
                "pulling a nonexistent repository MUST return 404");
    }

    @Test
    @Tag("pull")
    @Spec("Pulling blobs (end-2)")
    void pullBlob() {
        byte[] content = bytes(4, 10_000);
        String d = push(repo("blob"), content);
        var r = http.get("/v2/" + repo("blob") + "/blobs/" + d);
        assertEquals(200, r.status());
        assertArrayEquals(content, r.body());
        var head = http.head("/v2/" + repo("blob") + "/blobs/" + d);
        assertEquals(200, head.status());
        assertEquals("10000", head.header("Content-Length"));
    }

    @Test
    @Tag("pull")
    @Spec("Pulling blobs: not found is 404")
    void pullMissingBlob() {
        push(repo("noblob"), bytes(5, 10));
        var r = http.get("/v2/" + repo("noblob") + "/blobs/" + sha(bytes(6, 10)));
        assertEquals(404, r.status());
        assertErrorCode(r, "BLOB_UNKNOWN");
        assertEquals(404, http.head("/v2/" + repo("noblob") + "/blobs/" + sha(bytes(6, 10))).status());
    }

    // ---- push ----------------------------------------------------------------------------------

    @Test
    @Tag("push")
    @Spec("Pushing a blob monolithically: POST then PUT")
    void pushPostThenPut() {
        byte[] content = bytes(10, 5000);
        var start = http.send("POST", "/v2/" + repo("mono") + "/blobs/uploads/", (byte[]) null);
        assertEquals(202, start.status());
        String location = start.header("Location");
        assertNotNull(location, "the POST MUST answer a Location");
        var put = http.send("PUT", withQuery(location, "digest=" + sha(content)), content,
                "Content-Type", "application/octet-stream");
        assertEquals(201, put.status(), put.text());
        assertNotNull(put.header("Location"));
        assertArrayEquals(content, http.get("/v2/" + repo("mono") + "/blobs/" + sha(content)).body());
    }

    @Test
    @Tag("push")
    @Spec("Pushing a blob monolithically: single POST (end-4b)")
    void pushSinglePost() {
        byte[] content = bytes(11, 3000);
        var r = http.send("POST", "/v2/" + repo("single") + "/blobs/uploads/?digest=" + sha(content), content,
                "Content-Type", "application/octet-stream");
        assertTrue(r.status() == 201 || r.status() == 202, "201, or 202 to fall back to a session: " + r.status());
        if (r.status() == 201) {
            assertNotNull(r.header("Location"));
            assertArrayEquals(content, http.get("/v2/" + repo("single") + "/blobs/" + sha(content)).body());
        }
    }

    @Test
    @Tag("push")
    @Spec("Pushing a blob in chunks (end-5, end-6)")
    void pushChunks() {
        byte[] content = bytes(12, 30_000);
        var start = http.send("POST", "/v2/" + repo("chunks") + "/blobs/uploads/", (byte[]) null);
        assertEquals(202, start.status());
        String location = start.header("Location");
        int[] cuts = {0, 10_000, 20_000, 30_000};
        for (int i = 0; i + 1 < cuts.length; i++) {
            var r = http.send("PATCH", location, Arrays.copyOfRange(content, cuts[i], cuts[i + 1]),
                    "Content-Type", "application/octet-stream", "Content-Range", cuts[i] + "-" + (cuts[i + 1] - 1));
            assertEquals(202, r.status(), r.text());
            assertNotNull(r.header("Location"), "each chunk MUST answer a Location");
            assertEquals("0-" + (cuts[i + 1] - 1), r.header("Range"), "each chunk MUST answer the Range received");
            location = r.header("Location");
        }
        var put = http.send("PUT", withQuery(location, "digest=" + sha(content)), (byte[]) null);
        assertEquals(201, put.status(), put.text());
        assertNotNull(put.header("Location"));
        assertArrayEquals(content, http.get("/v2/" + repo("chunks") + "/blobs/" + sha(content)).body());
    }

    @Test
    @Tag("push")
    @Spec("Pushing a blob in chunks: out-of-order chunks are 416")
    void outOfOrderChunkIs416() {
        byte[] content = bytes(13, 20_000);
        String location = http.send("POST", "/v2/" + repo("order") + "/blobs/uploads/", (byte[]) null).header("Location");
        var first = http.send("PATCH", location, Arrays.copyOfRange(content, 0, 10_000),
                "Content-Type", "application/octet-stream", "Content-Range", "0-9999");
        assertEquals(202, first.status());
        var skip = http.send("PATCH", first.header("Location"), Arrays.copyOfRange(content, 15_000, 20_000),
                "Content-Type", "application/octet-stream", "Content-Range", "15000-19999");
        assertEquals(416, skip.status());
    }

    @Test
    @Tag("push")
    @Spec("Pushing a blob in chunks: a repeated chunk is out of order (416)")
    void repeatedChunkIs416() {
        byte[] content = bytes(14, 20_000);
        String location = http.send("POST", "/v2/" + repo("repeat") + "/blobs/uploads/", (byte[]) null).header("Location");
        var first = http.send("PATCH", location, Arrays.copyOfRange(content, 0, 10_000),
                "Content-Type", "application/octet-stream", "Content-Range", "0-9999");
        assertEquals(202, first.status());
        var again = http.send("PATCH", first.header("Location"), Arrays.copyOfRange(content, 0, 10_000),
                "Content-Type", "application/octet-stream", "Content-Range", "0-9999");
        assertEquals(416, again.status());
    }

    @Test
    @Tag("push")
    @Spec("Getting the upload status (end-13)")
    void uploadStatus() {
        byte[] content = bytes(15, 5000);
        String location = http.send("POST", "/v2/" + repo("status") + "/blobs/uploads/", (byte[]) null).header("Location");
        var chunk = http.send("PATCH", location, content, "Content-Type", "application/octet-stream",
                "Content-Range", "0-4999");
        assertEquals(202, chunk.status());
        var status = http.get(chunk.header("Location"));
        assertEquals(204, status.status());
        assertNotNull(status.header("Location"));
        assertEquals("0-4999", status.header("Range"));
    }

    @Test
    @Tag("push")
    @Spec("Getting the upload status of a closed session is 404")
    void statusOfStaleSession() {
        byte[] content = bytes(16, 100);
        String location = http.send("POST", "/v2/" + repo("stale") + "/blobs/uploads/", (byte[]) null).header("Location");
        assertEquals(201, http.send("PUT", withQuery(location, "digest=" + sha(content)), content,
                "Content-Type", "application/octet-stream").status());
        var r = http.get(location);
        assertEquals(404, r.status());
        assertErrorCode(r, "BLOB_UPLOAD_UNKNOWN");
    }

    @Test
    @Tag("push")
    @Spec("Pushing blobs: a digest that does not match is 400")
    void digestMismatchIs400() {
        byte[] content = bytes(17, 100);
        String location = http.send("POST", "/v2/" + repo("mismatch") + "/blobs/uploads/", (byte[]) null).header("Location");
        var r = http.send("PUT", withQuery(location, "digest=" + sha(bytes(18, 100))), content,
                "Content-Type", "application/octet-stream");
        assertEquals(400, r.status());
        assertErrorCode(r, "DIGEST_INVALID");
        assertEquals(404, http.head("/v2/" + repo("mismatch") + "/blobs/" + sha(bytes(18, 100))).status());
    }

    @Test
    @Tag("push")
    @Spec("Pushing blobs: the empty blob")
    void emptyBlob() {
        byte[] empty = new byte[0];
        push(repo("empty"), empty);
        var r = http.get("/v2/" + repo("empty") + "/blobs/" + sha(empty));
        assertEquals(200, r.status());
        assertEquals(0, r.body().length);
    }

    @Test
    @Tag("push")
    @Spec("Mounting a blob from another repository (end-11)")
    void crossRepositoryMount() {
        String d = push(repo("mount-src"), bytes(19, 1000));
        var r = http.send("POST", "/v2/" + repo("mount-dst") + "/blobs/uploads/?mount=" + d + "&from=" + repo("mount-src"),
                (byte[]) null);
        assertEquals(201, r.status(), r.text());
        assertNotNull(r.header("Location"));
        assertEquals(200, http.head("/v2/" + repo("mount-dst") + "/blobs/" + d).status());
        var fallback = http.send("POST", "/v2/" + repo("mount-dst2") + "/blobs/uploads/?mount=" + sha(bytes(20, 5))
                + "&from=" + repo("mount-src"), (byte[]) null);
        assertEquals(202, fallback.status(), "an impossible mount falls back to an upload session");
        assertNotNull(fallback.header("Location"));
    }

    @Test
    @Tag("push")
    @Spec("Pushing manifests (end-7)")
    void pushManifest() {
        Image image = pushImage(repo("manifest"), "v1", 21, null);
        var byDigest = http.send("PUT", "/v2/" + repo("manifest") + "/manifests/" + image.digest(), image.manifest(),
                "Content-Type", MediaType.OCI_MANIFEST);
        assertEquals(201, byDigest.status());
        assertNotNull(byDigest.header("Location"));
    }

    @Test
    @Tag("push")
    @Spec("Pushing manifests: references to unknown blobs are MANIFEST_BLOB_UNKNOWN")
    void pushManifestWithMissingBlob() {
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        push(repo("noref"), config);
        byte[] m = manifest(MediaType.OCI_CONFIG, config, bytes(22, 50), null);
        var r = http.send("PUT", "/v2/" + repo("noref") + "/manifests/v1", m, "Content-Type", MediaType.OCI_MANIFEST);
        assertTrue(r.status() >= 400 && r.status() < 500, "refused: " + r.status());
        assertErrorCode(r, "MANIFEST_BLOB_UNKNOWN");
    }

    @Test
    @Tag("push")
    @Spec("Pushing manifests with subject: OCI-Subject")
    void pushManifestWithSubjectAnswersOciSubject() {
        Image subject = pushImage(repo("subject"), "v1", 23, null);
        String extra = ",\"subject\":{\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"digest\":\"" + subject.digest()
                + "\",\"size\":" + subject.manifest().length + "}";
        byte[] config = "{\"kind\":\"sig\"}".getBytes(StandardCharsets.UTF_8);
        byte[] layer = bytes(24, 10);
        push(repo("subject"), config);
        push(repo("subject"), layer);
        byte[] m = manifest("application/vnd.example.sig", config, layer, extra);
        var r = http.send("PUT", "/v2/" + repo("subject") + "/manifests/" + sha(m), m, "Content-Type", MediaType.OCI_MANIFEST);
        assertEquals(201, r.status(), r.text());
        assertEquals(subject.digest(), r.header("OCI-Subject"));
    }

    // ---- content discovery ---------------------------------------------------------------------

    private void pushTags(String repo, List<String> tags) {
        byte[] config = "{}".getBytes(StandardCharsets.UTF_8);
        byte[] layer = bytes(30, 10);
        push(repo, config);
        push(repo, layer);
        for (String t : tags) {
            byte[] m = manifest(MediaType.OCI_CONFIG, config, layer, ",\"annotations\":{\"tag\":\"" + t + "\"}");
            assertEquals(201, http.send("PUT", "/v2/" + repo + "/manifests/" + t, m, "Content-Type", MediaType.OCI_MANIFEST).status());
        }
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    @Test
    @Tag("discovery")
    @Spec("Listing tags (end-8a)")
    void listTags() {
        pushTags(repo("tags"), List.of("b", "a", "c"));
        var r = http.get("/v2/" + repo("tags") + "/tags/list");
        assertEquals(200, r.status());
        assertEquals(repo("tags"), r.json().path("name").asText());
        assertEquals(List.of("a", "b", "c"), strings(r.json().path("tags")), "lexical order");
    }

    @Test
    @Tag("discovery")
    @Spec("Listing tags with n and last (end-8b)")
    void listTagsPaginated() {
        pushTags(repo("pages"), List.of("t1", "t2", "t3", "t4", "t5"));
        var first = http.get("/v2/" + repo("pages") + "/tags/list?n=2");
        assertEquals(200, first.status());
        assertEquals(List.of("t1", "t2"), strings(first.json().path("tags")));
        String link = first.header("Link");
        if (link != null) assertTrue(link.contains("rel=\"next\""), link);
        var next = http.get("/v2/" + repo("pages") + "/tags/list?n=2&last=t2");
        assertEquals(List.of("t3", "t4"), strings(next.json().path("tags")));
        var rest = http.get("/v2/" + repo("pages") + "/tags/list?last=t3");
        assertEquals(List.of("t4", "t5"), strings(rest.json().path("tags")));
    }

    @Test
    @Tag("discovery")
    @Spec("Listing tags: n=0 is an empty list without Link")
    void listTagsWithZero() {
        pushTags(repo("zero"), List.of("x"));
        var r = http.get("/v2/" + repo("zero") + "/tags/list?n=0");
        assertEquals(200, r.status());
        assertEquals(List.of(), strings(r.json().path("tags")));
        assertNull(r.header("Link"));
    }

    @Test
    @Tag("discovery")
    @Spec("Docker registry API: catalog with n and Link")
    void catalogPaginated() {
        push(repo("cat/a"), bytes(31, 5));
        push(repo("cat/b"), bytes(32, 5));
        var r = http.get("/v2/_catalog?n=1&last=" + URLEncoder.encode(repo("cat/a"), StandardCharsets.UTF_8));
        assertEquals(200, r.status());
        assertEquals(List.of(repo("cat/b")), strings(r.json().path("repositories")));
        var all = strings(http.get("/v2/_catalog?n=1000").json().path("repositories"));
        assertTrue(all.contains(repo("cat/a")) && all.contains(repo("cat/b")), all.toString());
        var sorted = new ArrayList<>(all);
        sorted.sort(null);
        assertEquals(sorted, all, "lexical order");
    }

    private Image pushReferrer(String repo, Image subject, String artifactType, String configType, long seed) {
        byte[] config = ("{\"r\":" + seed + "}").getBytes(StandardCharsets.UTF_8);
        byte[] layer = bytes(seed, 16);
        push(repo, config);
        push(repo, layer);
        String extra = (artifactType == null ? "" : ",\"artifactType\":\"" + artifactType + "\"")
                + ",\"subject\":{\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"digest\":\"" + subject.digest()
                + "\",\"size\":" + subject.manifest().length + "},\"annotations\":{\"seed\":\"" + seed + "\"}";
        byte[] m = manifest(configType, config, layer, extra);
        var r = http.send("PUT", "/v2/" + repo + "/manifests/" + sha(m), m, "Content-Type", MediaType.OCI_MANIFEST);
        assertEquals(201, r.status(), r.text());
        return new Image(m, sha(m), config, layer);
    }

    @Test
    @Tag("referrers")
    @Spec("Listing referrers (end-12a)")
    void referrersListsManifestsWithSubject() {
        Image subject = pushImage(repo("refs"), "v1", 40, null);
        Image sbom = pushReferrer(repo("refs"), subject, "application/vnd.example.sbom", MediaType.OCI_EMPTY, 41);
        var r = http.get("/v2/" + repo("refs") + "/referrers/" + subject.digest());
        assertEquals(200, r.status());
        assertEquals(MediaType.OCI_INDEX, r.header("Content-Type"));
        JsonNode manifests = r.json().path("manifests");
        assertEquals(1, manifests.size(), r.text());
        JsonNode d = manifests.get(0);
        assertEquals(sbom.digest(), d.path("digest").asText());
        assertEquals(sbom.manifest().length, d.path("size").asInt());
        assertEquals("application/vnd.example.sbom", d.path("artifactType").asText());
        assertEquals("41", d.path("annotations").path("seed").asText(), "annotations come from the manifest");
    }

    @Test
    @Tag("referrers")
    @Spec("Listing referrers: artifactType falls back to the config's mediaType")
    void referrersTakeArtifactTypeFromConfig() {
        Image subject = pushImage(repo("refcfg"), "v1", 42, null);
        pushReferrer(repo("refcfg"), subject, null, "application/vnd.example.sig.config", 43);
        var r = http.get("/v2/" + repo("refcfg") + "/referrers/" + subject.digest());
        assertEquals(200, r.status());
        assertEquals("application/vnd.example.sig.config", r.json().path("manifests").get(0).path("artifactType").asText());
    }

    @Test
    @Tag("referrers")
    @Spec("Listing referrers with artifactType filter (end-12b)")
    void referrersFilterByArtifactType() {
        Image subject = pushImage(repo("reffilter"), "v1", 44, null);
        pushReferrer(repo("reffilter"), subject, "application/vnd.example.a", MediaType.OCI_EMPTY, 45);
        pushReferrer(repo("reffilter"), subject, "application/vnd.example.b", MediaType.OCI_EMPTY, 46);
        var r = http.get("/v2/" + repo("reffilter") + "/referrers/" + subject.digest() + "?artifactType="
                + URLEncoder.encode("application/vnd.example.a", StandardCharsets.UTF_8));
        assertEquals(200, r.status());
        int n = r.json().path("manifests").size();
        if ("artifactType".equals(r.header("OCI-Filters-Applied"))) {
            assertEquals(1, n, "an applied filter leaves only matching descriptors");
        } else {
            assertEquals(2, n, "without the header, nothing was filtered");
        }
    }

    @Test
    @Tag("referrers")
    @Spec("Listing referrers: none is an empty index, never 404")
    void referrersOfUnknownDigestIsEmptyIndex() {
        pushImage(repo("refnone"), "v1", 47, null);
        var r = http.get("/v2/" + repo("refnone") + "/referrers/" + sha(bytes(48, 8)));
        assertEquals(200, r.status());
        assertEquals(0, r.json().path("manifests").size());
        assertEquals(400, http.get("/v2/" + repo("refnone") + "/referrers/sha256:invalid").status(),
                "an invalid digest MUST be 400");
    }

    // ---- content management --------------------------------------------------------------------

    @Test
    @Tag("management")
    @Spec("Deleting tags")
    void deleteTag() {
        Image image = pushImage(repo("deltag"), "v1", 50, null);
        var put = http.send("PUT", "/v2/" + repo("deltag") + "/manifests/v2", image.manifest(), "Content-Type", MediaType.OCI_MANIFEST);
        assertEquals(201, put.status());
        var r = http.delete("/v2/" + repo("deltag") + "/manifests/v2");
        assertTrue(r.status() == 202 || r.status() == 400 || r.status() == 405,
                "202, or 400/405 when tag deletion is disabled: " + r.status());
        if (r.status() == 202) {
            assertEquals(404, http.get("/v2/" + repo("deltag") + "/manifests/v2").status());
            assertEquals(200, http.get("/v2/" + repo("deltag") + "/manifests/v1").status());
        }
    }

    @Test
    @Tag("management")
    @Spec("Deleting manifests (end-9)")
    void deleteManifest() {
        Image image = pushImage(repo("delman"), "v1", 51, null);
        var r = http.delete("/v2/" + repo("delman") + "/manifests/" + image.digest());
        assertEquals(202, r.status(), r.text());
        assertEquals(404, http.get("/v2/" + repo("delman") + "/manifests/" + image.digest()).status());
        assertEquals(404, http.delete("/v2/" + repo("delman") + "/manifests/" + image.digest()).status());
    }

    @Test
    @Tag("management")
    @Spec("Deleting blobs (end-10)")
    void deleteBlob() {
        String d = push(repo("delblob"), bytes(52, 100));
        var r = http.delete("/v2/" + repo("delblob") + "/blobs/" + d);
        assertEquals(202, r.status(), r.text());
        assertEquals(404, http.get("/v2/" + repo("delblob") + "/blobs/" + d).status());
        assertEquals(404, http.delete("/v2/" + repo("delblob") + "/blobs/" + d).status(), "a missing blob MUST be 404");
    }
}
