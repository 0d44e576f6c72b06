package io.strata.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.oci.Digest;
import io.strata.storage.driver.StorageDriver;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A separate JVM uploads and commits blobs without pause and is killed with SIGKILL at a random
 * moment, several times over the same store. After each kill, every blob whose commit returned is
 * present and whole, every blob present hashes to its name, and the store keeps working.
 */
class CrashTest {
    static final S3ProxyFixture s3 = S3ProxyFixture.shared();



    private static void killRepeatedly(String store) throws Exception {
        Random random = new Random();
        Set<Digest> acknowledged = ConcurrentHashMap.newKeySet();
        for (int round = 0; round < 4; round++) {
            Process p = ChildJvm.start(StorageTool.class, List.of("-Xmx128m"), "churn", store);
            int target = acknowledged.size() + 3 + random.nextInt(6);
            Thread reader = Thread.ofVirtual().start(() -> {
                try (var out = new BufferedReader(new InputStreamReader(p.getInputStream()))) {
                    String line;
                    while ((line = out.readLine()) != null) {
                        if (line.startsWith("COMMITTED ")) acknowledged.add(Digest.parse(line.substring(10)));
                    }
                } catch (java.io.IOException e) {
                    // the pipe closes when the child dies
                }
            });
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (acknowledged.size() < target && p.isAlive() && System.nanoTime() < deadline) Thread.sleep(5);
            assertTrue(p.isAlive(), "the writer was still running when we killed it");
            Thread.sleep(random.nextInt(150));
            p.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
            assertTrue(p.waitFor(1, TimeUnit.MINUTES));
            reader.join();
            assertTrue(acknowledged.size() >= target, "the writer committed blobs before the kill");
            verify(store, acknowledged);
        }
    }

    private static void verify(String store, Set<Digest> acknowledged) throws Exception {
        StorageDriver driver = StorageTool.driver(store);
        try (Storage storage = new Storage(driver, Clock.systemUTC())) {
            for (Digest d : acknowledged) {
                assertTrue(storage.blobs().stat(d).isPresent(), "acknowledged blob " + d + " survived");
            }
            List<Digest> all = storage.blobs().walk().toList();
            assertTrue(all.containsAll(acknowledged));
            for (Digest d : all) {
                assertEquals(d, Digest.sha256(TestData.readAll(storage.blobs().open(d))), "blob " + d + " is whole");
            }
            // What the killed writer left half-done is an upload session; expiry clears it.
            storage.uploads().purgeExpired(Duration.ZERO);
            try (var keys = driver.list(Keys.UPLOADS)) {
                assertEquals(List.of(), keys.toList(), "expiry removed the interrupted uploads");
            }
            byte[] content = TestData.random(System.nanoTime(), 100_000);
            var u = storage.uploads().start();
            storage.uploads().append(u.id(), 0, TestData.stream(content, 0, content.length));
            Digest d = storage.uploads().commit(u.id(), Digest.sha256(content), OptionalLong.empty()).digest();
            assertArrayEquals(content, TestData.readAll(storage.blobs().open(d)));
        }
    }

    @Test
    void filesystem(@TempDir Path root) throws Exception {
        killRepeatedly("fs:" + root);
    }

    @Test
    void s3() throws Exception {
        killRepeatedly("s3:" + s3.endpoint() + "|crash-" + UUID.randomUUID() + "/");
    }
}
