package io.strata.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.oci.Digest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Many clients pushing chunked uploads at once, from Vert.x's own asynchronous client. */
@ExtendWith(VertxExtension.class)
class ConcurrentPushTest {
    private static final int CLIENTS = 16;
    private static final int CHUNK = 512 * 1024;

    @TempDir
    Path dir;

    Registry registry;

    @BeforeEach
    void start() throws Exception {
        Path f = dir.resolve("strata.yml");
        Files.writeString(f, "listen: 127.0.0.1:0\nlog:\n  access: false\nstorage:\n  filesystem:\n    root: " + dir.resolve("data") + "\n");
        registry = Registry.start(RegistryConfig.load(f, Map.of()));
    }

    @AfterEach
    void stop() throws Exception {
        registry.close();
    }

    @Test
    void concurrentChunkedPushesAllLand(Vertx vertx, VertxTestContext test) {
        WebClient client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1")
                .setDefaultPort(registry.port()));
        List<Future<Void>> pushes = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            byte[] content = new byte[3 * CHUNK + 1000 + i];
            new Random(i).nextBytes(content);
            pushes.add(push(client, "team/app" + (i % 3), content));
        }
        Future.all(pushes).onComplete(test.succeedingThenComplete());
    }

    /** POST, PATCH chunk by chunk, PUT, then GET and compare. */
    private Future<Void> push(WebClient client, String repo, byte[] content) {
        String digest = Digest.sha256(content).toString();
        Future<String> location = client.post("/v2/" + repo + "/blobs/uploads/").send()
                .map(r -> {
                    assertEquals(202, r.statusCode());
                    return r.getHeader("Location");
                });
        for (int off = 0; off < content.length; off += CHUNK) {
            int from = off;
            int to = Math.min(content.length, off + CHUNK);
            location = location.compose(loc -> client.patch(loc)
                    .putHeader("Content-Range", from + "-" + (to - 1))
                    .putHeader("Content-Type", "application/octet-stream")
                    .sendBuffer(Buffer.buffer(java.util.Arrays.copyOfRange(content, from, to)))
                    .map(r -> {
                        assertEquals(202, r.statusCode(), r.bodyAsString());
                        assertEquals("0-" + (to - 1), r.getHeader("Range"));
                        return r.getHeader("Location");
                    }));
        }
        return location
                .compose(loc -> client.put(loc + "?digest=" + digest).send())
                .compose(r -> {
                    assertEquals(201, r.statusCode(), r.bodyAsString());
                    return client.get("/v2/" + repo + "/blobs/" + digest).send();
                })
                .map(r -> {
                    assertEquals(200, r.statusCode());
                    assertEquals(digest, Digest.sha256(r.bodyAsBuffer().getBytes()).toString());
                    return null;
                });
    }
}
