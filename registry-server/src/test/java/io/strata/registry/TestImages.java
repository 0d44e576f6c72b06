package io.strata.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.oci.Digest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Images pushed and pulled over HTTP alone, for tests of any registry. */
public final class TestImages {
    private TestImages() {}

    public static byte[] random(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Uploads a blob: POST, then PUT with the bytes (what every registry takes, distribution included). */
    public static Digest upload(Http http, String repo, byte[] content) {
        Digest d = Digest.sha256(content);
        Http.Response start = http.send("POST", "/v2/" + repo + "/blobs/uploads/", (byte[]) null);
        assertEquals(202, start.status(), start.text());
        String location = start.header("Location");
        String url = location + (location.contains("?") ? "&" : "?") + "digest=" + d;
        Http.Response r = http.send("PUT", url, content, "Content-Type", "application/octet-stream");
        assertEquals(201, r.status(), r.text());
        return d;
    }

    public static String manifest(Digest config, int configSize, List<Digest> layers, List<Integer> sizes) {
        StringBuilder sb = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":"
                + "{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + config + "\",\"size\":" + configSize + "},\"layers\":[");
        for (int i = 0; i < layers.size(); i++) {
            if (i > 0) sb.append(',');
            sb.append("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"").append(layers.get(i))
                    .append("\",\"size\":").append(sizes.get(i)).append('}');
        }
        return sb.append("]}").toString();
    }

    /** An image: config and layers uploaded, manifest put under the tag; answers the manifest's digest. */
    public static Digest image(Http http, String repo, String tag, long seed, byte[]... layers) {
        byte[] config = ("{\"seed\":" + seed + "}").getBytes(StandardCharsets.UTF_8);
        Digest c = upload(http, repo, config);
        List<Digest> ds = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        for (byte[] l : layers) {
            ds.add(upload(http, repo, l));
            sizes.add(l.length);
        }
        Http.Response r = http.send("PUT", "/v2/" + repo + "/manifests/" + tag, manifest(c, config.length, ds, sizes).getBytes(),
                "Content-Type", "application/vnd.oci.image.manifest.v1+json");
        assertEquals(201, r.status(), r.text());
        return Digest.parse(r.header("Docker-Content-Digest"));
    }

    /** Pulls an image whole: the manifest and every blob it names, each verified against its digest. */
    public static void pullWhole(Http http, String repo, String reference) {
        Http.Response m = http.get("/v2/" + repo + "/manifests/" + reference, "Accept", "application/vnd.oci.image.manifest.v1+json");
        assertEquals(200, m.status(), repo + ":" + reference + " " + m.text());
        List<Digest> blobs = new ArrayList<>();
        blobs.add(Digest.parse(m.json().path("config").path("digest").asText()));
        m.json().path("layers").forEach(l -> blobs.add(Digest.parse(l.path("digest").asText())));
        for (Digest d : blobs) {
            Http.Response b = http.get("/v2/" + repo + "/blobs/" + d);
            assertEquals(200, b.status(), repo + ":" + reference + " blob " + d);
            assertEquals(d, Digest.sha256(b.body()), "blob verifies");
        }
    }
}
