package io.strata.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.MediaType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GarbageCollectorTest {
    @TempDir
    Path root;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Stores a manifest over a config and the given layers; returns its descriptor. */
    private static Descriptor image(LayoutStore store, String config, byte[]... layers) throws Exception {
        byte[] c = b(config);
        store.put(Digest.sha256(c), c);
        StringBuilder ls = new StringBuilder();
        for (byte[] l : layers) {
            store.put(Digest.sha256(l), l);
            if (ls.length() > 0) ls.append(',');
            ls.append("{\"mediaType\":\"").append(MediaType.OCI_LAYER).append("\",\"digest\":\"").append(Digest.sha256(l))
                    .append("\",\"size\":").append(l.length).append('}');
        }
        byte[] m = b("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
                + MediaType.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256(c) + "\",\"size\":" + c.length + "},\"layers\":[" + ls + "]}");
        store.put(Digest.sha256(m), m);
        return new Descriptor(MediaType.OCI_MANIFEST, Digest.sha256(m), m.length);
    }

    @Test
    void removesOnlyWhatNoNamedImageReaches() throws Exception {
        LayoutStore store = new LayoutStore(root);
        byte[] shared = b("shared layer");
        byte[] onlyA = b("layer of a");
        Descriptor a = image(store, "{\"a\":1}", shared, onlyA);
        Descriptor bImage = image(store, "{\"b\":1}", shared);
        store.tag("a", a);
        store.tag("b", bImage);
        assertEquals(0, GarbageCollector.collect(store, Duration.ZERO).removed(), "everything is in use");

        store.untag("a");
        var result = GarbageCollector.collect(store, Duration.ZERO);
        assertEquals(3, result.removed(), "a's manifest, config and own layer");
        assertFalse(store.has(a.digest()));
        assertFalse(store.has(Digest.sha256(onlyA)));
        assertTrue(store.has(Digest.sha256(shared)), "b still uses the shared layer");
        assertTrue(store.has(bImage.digest()));
    }

    @Test
    void youngBlobsSurviveForPullsInProgress() throws Exception {
        LayoutStore store = new LayoutStore(root);
        byte[] loose = b("downloaded, not yet named");
        store.put(Digest.sha256(loose), loose);
        assertEquals(0, GarbageCollector.collect(store, Duration.ofMinutes(60)).removed());
        assertEquals(1, GarbageCollector.collect(store, Duration.ZERO).removed());
    }
}
