package io.strata.storage;

import static io.strata.storage.TestData.random;
import static io.strata.storage.TestData.readAll;
import static io.strata.storage.TestData.sha256;
import static io.strata.storage.TestData.stream;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.MediaType;
import io.strata.oci.RepositoryName;
import io.strata.oci.Tag;
import io.strata.storage.driver.StorageDriver;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The storage contract. Runs unchanged against every driver: a subclass only says how to open a
 * driver on its backend (each call a new instance over the same backend, as a second registry
 * process would be).
 */
public abstract class StorageContract {
    protected abstract StorageDriver newDriver() throws IOException;

    protected final MutableClock clock = new MutableClock();
    protected Storage storage;

    private static final RepositoryName REPO = RepositoryName.of("library/alpine");
    private static final RepositoryName OTHER = RepositoryName.of("other/app");

    @BeforeEach
    void open() throws IOException {
        storage = new Storage(newDriver(), clock);
    }

    private Storage secondInstance() throws IOException {
        return new Storage(newDriver(), clock);
    }

    /** Uploads {@code content} in chunks ending at the given offsets, then commits. */
    private BlobStore.BlobInfo upload(Storage s, byte[] content, int... chunkEnds) {
        var u = s.uploads().start();
        int from = 0;
        for (int end : chunkEnds) {
            s.uploads().append(u.id(), from, stream(content, from, end));
            from = end;
        }
        if (from < content.length) s.uploads().append(u.id(), from, stream(content, from, content.length));
        return s.uploads().commit(u.id(), sha256(content), OptionalLong.of(content.length));
    }

    private byte[] read(Digest d) {
        return readAll(storage.blobs().open(d));
    }

    // ---- uploads and blobs ---------------------------------------------------------------------

    @Test
    void chunkedUploadBecomesVerifiedBlob() {
        byte[] content = random(1, 300_000);
        var u = storage.uploads().start();
        assertEquals(0, storage.uploads().status(u.id()).offset());
        assertEquals(100_000, storage.uploads().append(u.id(), 0, stream(content, 0, 100_000)).offset());
        assertEquals(250_000, storage.uploads().append(u.id(), 100_000, stream(content, 100_000, 250_000)).offset());
        storage.uploads().append(u.id(), 250_000, stream(content, 250_000, 300_000));
        assertTrue(storage.blobs().stat(sha256(content)).isEmpty(), "a blob is invisible before its commit");
        var info = storage.uploads().commit(u.id(), sha256(content), OptionalLong.empty());
        assertEquals(300_000, info.size());
        assertEquals(300_000, storage.blobs().stat(sha256(content)).orElseThrow().size());
        assertArrayEquals(content, read(sha256(content)));
        assertThrows(StorageException.UploadUnknown.class, () -> storage.uploads().status(u.id()));
    }

    @Test
    void emptyBlob() {
        byte[] empty = new byte[0];
        var u = storage.uploads().start();
        var info = storage.uploads().commit(u.id(), sha256(empty), OptionalLong.of(0));
        assertEquals(0, info.size());
        assertEquals(0, storage.blobs().stat(sha256(empty)).orElseThrow().size());
        assertArrayEquals(empty, read(sha256(empty)));
    }

    @Test
    void emptyChunksChangeNothing() {
        byte[] content = random(2, 1000);
        var u = storage.uploads().start();
        storage.uploads().append(u.id(), 0, InputStream.nullInputStream());
        storage.uploads().append(u.id(), 0, stream(content, 0, 1000));
        storage.uploads().append(u.id(), 1000, InputStream.nullInputStream());
        assertEquals(sha256(content), storage.uploads().commit(u.id(), sha256(content), OptionalLong.empty()).digest());
        assertArrayEquals(content, read(sha256(content)));
    }

    @Test
    void digestMismatchFailsAndLeavesNothing() throws IOException {
        byte[] content = random(3, 50_000);
        Digest wrong = sha256(random(4, 10));
        var u = storage.uploads().start();
        storage.uploads().append(u.id(), 0, stream(content, 0, content.length));
        assertThrows(StorageException.DigestMismatch.class,
                () -> storage.uploads().commit(u.id(), wrong, OptionalLong.empty()));
        assertTrue(storage.blobs().stat(wrong).isEmpty());
        assertTrue(storage.blobs().stat(sha256(content)).isEmpty());
        assertThrows(StorageException.UploadUnknown.class, () -> storage.uploads().status(u.id()));
        try (var keys = storage.driver().list(Keys.UPLOADS)) {
            assertEquals(List.of(), keys.toList(), "no upload bytes stay behind");
        }
        assertEquals(List.of(), storage.blobs().walk().toList());
    }

    @Test
    void sizeMismatchFailsAndLeavesNothing() {
        byte[] content = random(5, 1000);
        var u = storage.uploads().start();
        storage.uploads().append(u.id(), 0, stream(content, 0, content.length));
        assertThrows(StorageException.SizeMismatch.class,
                () -> storage.uploads().commit(u.id(), sha256(content), OptionalLong.of(999)));
        assertTrue(storage.blobs().stat(sha256(content)).isEmpty());
        assertThrows(StorageException.UploadUnknown.class, () -> storage.uploads().status(u.id()));
    }

    @Test
    void sha512DigestsAreVerifiedToo() {
        byte[] content = random(6, 70_000);
        var u = storage.uploads().start();
        storage.uploads().append(u.id(), 0, stream(content, 0, content.length));
        Digest d = TestData.sha512(content);
        assertEquals(d, storage.uploads().commit(u.id(), d, OptionalLong.empty()).digest());
        assertArrayEquals(content, read(d));

        var bad = storage.uploads().start();
        storage.uploads().append(bad.id(), 0, stream(content, 0, 10));
        assertThrows(StorageException.DigestMismatch.class,
                () -> storage.uploads().commit(bad.id(), TestData.sha512(random(7, 10)), OptionalLong.empty()));
        assertThrows(StorageException.UploadUnknown.class, () -> storage.uploads().status(bad.id()));
    }

    @Test
    void wrongOffsetIsRefusedAndChangesNothing() {
        byte[] content = random(8, 2000);
        var u = storage.uploads().start();
        storage.uploads().append(u.id(), 0, stream(content, 0, 1000));
        var ahead = assertThrows(StorageException.OffsetMismatch.class,
                () -> storage.uploads().append(u.id(), 1500, stream(content, 1500, 2000)));
        assertEquals(1000, ahead.currentSize());
        var repeated = assertThrows(StorageException.OffsetMismatch.class,
                () -> storage.uploads().append(u.id(), 0, stream(content, 0, 1000)));
        assertEquals(1000, repeated.currentSize());
        assertEquals(1000, storage.uploads().status(u.id()).offset());
        storage.uploads().append(u.id(), 1000, stream(content, 1000, 2000));
        storage.uploads().commit(u.id(), sha256(content), OptionalLong.of(2000));
        assertArrayEquals(content, read(sha256(content)));
    }

    @Test
    void failedChunkLeavesSessionAsItWas() {
        byte[] content = random(9, 7 * 1024 * 1024);
        var u = storage.uploads().start();
        storage.uploads().append(u.id(), 0, stream(content, 0, 1024));
        // A client that disconnects after sending 6 MiB of its chunk (past an S3 part boundary).
        InputStream broken = new InputStream() {
            final InputStream in = stream(content, 1024, content.length);
            int sent;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (sent >= 6 * 1024 * 1024) throw new IOException("connection reset");
                int n = in.read(b, off, Math.min(len, 64 * 1024));
                sent += Math.max(n, 0);
                return n;
            }
        };
        assertThrows(UncheckedIOException.class, () -> storage.uploads().append(u.id(), 1024, broken));
        assertEquals(1024, storage.uploads().status(u.id()).offset());
        storage.uploads().append(u.id(), 1024, stream(content, 1024, content.length));
        storage.uploads().commit(u.id(), sha256(content), OptionalLong.of(content.length));
        assertArrayEquals(content, read(sha256(content)));
    }

    @Test
    void chunksAcrossMultipartBoundaries() {
        // Small chunks that must be joined into 5 MiB parts, and one chunk spanning several parts.
        int mib = 1024 * 1024;
        byte[] content = random(10, 23 * mib + 17);
        BlobStore.BlobInfo info = upload(storage, content, mib, 2 * mib + 3, 4 * mib, 6 * mib + 1, 18 * mib);
        assertEquals(content.length, info.size());
        assertArrayEquals(content, read(info.digest()));
    }

    @Test
    void concurrentIdenticalCommitsAllSucceedAndStoreOnce() throws Exception {
        byte[] content = random(11, 200_000);
        int n = 8;
        CountDownLatch go = new CountDownLatch(1);
        List<Callable<BlobStore.BlobInfo>> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            jobs.add(() -> {
                var u = storage.uploads().start();
                storage.uploads().append(u.id(), 0, stream(content, 0, content.length));
                go.await();
                return storage.uploads().commit(u.id(), sha256(content), OptionalLong.of(content.length));
            });
        }
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<BlobStore.BlobInfo>> results = jobs.stream().map(pool::submit).toList();
            go.countDown();
            for (var f : results) assertEquals(sha256(content), f.get().digest());
        }
        assertEquals(List.of(sha256(content)), storage.blobs().walk().toList());
        assertArrayEquals(content, read(sha256(content)));
    }

    @Test
    void manyConcurrentUploadsOfDifferentBlobs() throws Exception {
        int n = 24;
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<byte[]>> results = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int seed = 100 + i;
                results.add(pool.submit(() -> {
                    byte[] content = random(seed, 10_000 + seed * 997);
                    upload(storage, content, 3000, 3001, 9000);
                    return content;
                }));
            }
            for (var f : results) {
                byte[] content = f.get();
                assertArrayEquals(content, read(sha256(content)));
            }
        }
        assertEquals(n, storage.blobs().walk().count());
    }

    @Test
    void concurrentChunksAtOneOffsetAdmitOne() throws Exception {
        byte[] a = random(12, 6 * 1024 * 1024);
        byte[] b = random(13, 6 * 1024 * 1024 + 1);
        var u = storage.uploads().start();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> fa = pool.submit(() -> storage.uploads().append(u.id(), 0, stream(a, 0, a.length)));
            Future<?> fb = pool.submit(() -> storage.uploads().append(u.id(), 0, stream(b, 0, b.length)));
            int failures = 0;
            for (Future<?> f : List.of(fa, fb)) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    assertTrue(e.getCause() instanceof StorageException.OffsetMismatch, e.toString());
                    failures++;
                }
            }
            assertEquals(1, failures, "exactly one of two racing chunks is taken");
        }
        // The chunks differ in length, so the offset names the winner; the commit verifies exactly its bytes.
        byte[] winner = storage.uploads().status(u.id()).offset() == a.length ? a : b;
        Digest committed = storage.uploads().commit(u.id(), sha256(winner), OptionalLong.empty()).digest();
        assertArrayEquals(winner, read(committed));
    }

    @Test
    void anotherInstanceContinuesAnUpload() throws IOException {
        byte[] content = random(14, 12 * 1024 * 1024 + 5);
        try (Storage second = secondInstance()) {
            var u = storage.uploads().start();
            storage.uploads().append(u.id(), 0, stream(content, 0, 3 * 1024 * 1024));
            assertEquals(3 * 1024 * 1024, second.uploads().status(u.id()).offset());
            second.uploads().append(u.id(), 3 * 1024 * 1024, stream(content, 3 * 1024 * 1024, 7 * 1024 * 1024));
            storage.uploads().append(u.id(), 7 * 1024 * 1024, stream(content, 7 * 1024 * 1024, 11 * 1024 * 1024));
            second.uploads().append(u.id(), 11 * 1024 * 1024, stream(content, 11 * 1024 * 1024, content.length));
            var info = second.uploads().commit(u.id(), sha256(content), OptionalLong.of(content.length));
            assertArrayEquals(content, readAll(storage.blobs().open(info.digest())));
        }
    }

    @Test
    void abandonedUploadsExpire() throws IOException {
        byte[] content = random(15, 6 * 1024 * 1024);
        var old = storage.uploads().start();
        storage.uploads().append(old.id(), 0, stream(content, 0, content.length));
        clock.advance(Duration.ofHours(2));
        var recent = storage.uploads().start();
        storage.uploads().append(recent.id(), 0, stream(content, 0, 10));
        clock.advance(Duration.ofMinutes(30));

        assertEquals(1, storage.uploads().purgeExpired(Duration.ofHours(1)));
        assertThrows(StorageException.UploadUnknown.class, () -> storage.uploads().status(old.id()));
        assertEquals(10, storage.uploads().status(recent.id()).offset());
        try (var keys = storage.driver().list(Keys.uploadDir(old.id()))) {
            assertEquals(List.of(), keys.toList());
        }
        // An append keeps a session alive.
        storage.uploads().append(recent.id(), 10, stream(content, 10, 20));
        clock.advance(Duration.ofMinutes(45));
        assertEquals(0, storage.uploads().purgeExpired(Duration.ofHours(1)));
        assertEquals(20, storage.uploads().status(recent.id()).offset());
    }

    @Test
    void cancelRemovesTheSession() throws IOException {
        byte[] content = random(16, 1000);
        var u = storage.uploads().start();
        storage.uploads().append(u.id(), 0, stream(content, 0, content.length));
        storage.uploads().cancel(u.id());
        assertThrows(StorageException.UploadUnknown.class, () -> storage.uploads().status(u.id()));
        assertThrows(StorageException.UploadUnknown.class,
                () -> storage.uploads().commit(u.id(), sha256(content), OptionalLong.empty()));
        try (var keys = storage.driver().list(Keys.UPLOADS)) {
            assertEquals(List.of(), keys.toList());
        }
    }

    @Test
    void unknownAndMalformedUploadIdsAreRefusedWithoutTouchingStorage() throws IOException {
        for (String id : List.of("00000000-0000-0000-0000-000000000000", "../../blobs", "%2e%2e", "a/b", "", "x\0y",
                "/etc/passwd")) {
            assertThrows(StorageException.UploadUnknown.class, () -> storage.uploads().status(id), id);
            assertThrows(StorageException.UploadUnknown.class,
                    () -> storage.uploads().append(id, 0, stream(new byte[1], 0, 1)), id);
            assertThrows(StorageException.UploadUnknown.class, () -> storage.uploads().cancel(id), id);
        }
        try (var keys = storage.driver().list(Keys.UPLOADS)) {
            assertEquals(List.of(), keys.toList(), "refused ids created nothing");
        }
    }

    @Test
    void rangedReadsAtTheEdges() {
        byte[] content = random(17, 1000);
        Digest d = upload(storage, content).digest();
        record R(long offset, long length) {}
        for (R r : List.of(new R(0, 0), new R(0, 1), new R(999, 1), new R(0, 1000), new R(500, 500), new R(1000, 0),
                new R(1, 998))) {
            byte[] got = readAll(storage.blobs().open(d, new BlobStore.Range(r.offset(), r.length())));
            assertArrayEquals(java.util.Arrays.copyOfRange(content, (int) r.offset(), (int) (r.offset() + r.length())), got,
                    r.toString());
        }
        assertThrows(IllegalArgumentException.class, () -> storage.blobs().open(d, new BlobStore.Range(999, 2)));
        assertThrows(IllegalArgumentException.class, () -> storage.blobs().open(d, new BlobStore.Range(1001, 0)));
        assertThrows(IllegalArgumentException.class, () -> new BlobStore.Range(-1, 5));
        assertThrows(StorageException.BlobUnknown.class, () -> storage.blobs().open(sha256(random(18, 3))));
    }

    @Test
    void deletedBlobIsGone() {
        byte[] content = random(19, 100);
        Digest d = upload(storage, content).digest();
        assertTrue(storage.blobs().delete(d));
        assertFalse(storage.blobs().delete(d));
        assertTrue(storage.blobs().stat(d).isEmpty());
        assertEquals(List.of(), storage.blobs().walk().toList());
    }

    @Test
    void driverRefusesUnsafeKeys() throws IOException {
        StorageDriver driver = storage.driver();
        for (String key : List.of("../x", "a/../../x", "/etc/passwd", "a//b", "a/./b", "%2e%2e/x", "a\0b", "a\\b", "",
                "..", "blobs/../../x")) {
            assertThrows(IllegalArgumentException.class, () -> driver.get(key), key);
            assertThrows(IllegalArgumentException.class, () -> driver.put(key, new byte[1]), key);
            assertThrows(IllegalArgumentException.class, () -> driver.deleteAll(key), key);
        }
    }

    @Test
    void smallObjectsPutGetAndPutIfAbsent() throws IOException {
        StorageDriver driver = storage.driver();
        assertTrue(driver.get("t/a").isEmpty());
        driver.put("t/a", "one".getBytes(StandardCharsets.UTF_8));
        driver.put("t/a", "two".getBytes(StandardCharsets.UTF_8));
        assertEquals("two", new String(driver.get("t/a").orElseThrow(), StandardCharsets.UTF_8));
        assertFalse(driver.putIfAbsent("t/a", "three".getBytes(StandardCharsets.UTF_8)));
        assertTrue(driver.putIfAbsent("t/b", "four".getBytes(StandardCharsets.UTF_8)));
        assertTrue(driver.putIfAbsent("t/b", "four".getBytes(StandardCharsets.UTF_8)), "same bytes count as written");
        assertEquals("four", new String(driver.get("t/b").orElseThrow(), StandardCharsets.UTF_8));
        try (var keys = driver.list("t/")) {
            assertEquals(Set.of("t/a", "t/b"), keys.collect(Collectors.toSet()));
        }
        driver.deleteAll("t/");
        assertTrue(driver.get("t/b").isEmpty());
    }

    // ---- repositories --------------------------------------------------------------------------

    private static byte[] manifestJson(String note) {
        return ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"note\":\"" + note + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void blobLinksAreScopedToRepositories() {
        Digest d = upload(storage, random(20, 500)).digest();
        assertThrows(StorageException.BlobUnknown.class,
                () -> storage.repositories().linkBlob(REPO, sha256(random(21, 5))));
        storage.repositories().linkBlob(REPO, d);
        assertTrue(storage.repositories().hasBlob(REPO, d));
        assertEquals(500, storage.repositories().statBlob(REPO, d).orElseThrow().size());
        assertFalse(storage.repositories().hasBlob(OTHER, d), "a digest grants nothing across repositories");
        assertTrue(storage.repositories().statBlob(OTHER, d).isEmpty());
        assertTrue(storage.repositories().unlinkBlob(REPO, d));
        assertFalse(storage.repositories().hasBlob(REPO, d));
        assertTrue(storage.blobs().stat(d).isPresent(), "unlinking keeps the blob for others");
    }

    @Test
    void manifestsByTagAndDigest() {
        var repos = storage.repositories();
        byte[] m1 = manifestJson("one");
        byte[] m2 = manifestJson("two");
        var l1 = repos.putManifest(REPO, m1, MediaType.OCI_MANIFEST, Tag.of("latest"), null, null);
        assertEquals(sha256(m1), l1.digest());
        assertEquals(Set.of(), Set.copyOf(repos.tags(OTHER, null, null).items()));
        assertEquals(sha256(m1), repos.resolveTag(REPO, Tag.of("latest")).orElseThrow());
        var got = repos.manifest(REPO, sha256(m1)).orElseThrow();
        assertArrayEquals(m1, got.content());
        assertEquals(MediaType.OCI_MANIFEST, got.link().mediaType());
        assertEquals(m1.length, got.link().size());
        assertTrue(repos.manifest(OTHER, sha256(m1)).isEmpty());

        // A tag moves, and the move is seen at once.
        repos.putManifest(REPO, m2, MediaType.DOCKER_MANIFEST, Tag.of("latest"), null, null);
        assertEquals(sha256(m2), repos.resolveTag(REPO, Tag.of("latest")).orElseThrow());
        assertEquals(MediaType.DOCKER_MANIFEST, repos.manifestLink(REPO, sha256(m2)).orElseThrow().mediaType());
        assertTrue(repos.manifest(REPO, sha256(m1)).isPresent(), "the old manifest stays by digest");

        repos.deleteTag(REPO, Tag.of("latest"));
        assertTrue(repos.resolveTag(REPO, Tag.of("latest")).isEmpty());
        assertThrows(StorageException.ManifestUnknown.class, () -> repos.deleteTag(REPO, Tag.of("latest")));
        assertTrue(repos.manifest(REPO, sha256(m2)).isPresent());
    }

    @Test
    void deletingAManifestRemovesItsTags() {
        var repos = storage.repositories();
        byte[] m1 = manifestJson("a");
        byte[] m2 = manifestJson("b");
        repos.putManifest(REPO, m1, MediaType.OCI_MANIFEST, Tag.of("v1"), null, null);
        repos.putManifest(REPO, m1, MediaType.OCI_MANIFEST, Tag.of("stable"), null, null);
        repos.putManifest(REPO, m2, MediaType.OCI_MANIFEST, Tag.of("v2"), null, null);
        repos.deleteManifest(REPO, sha256(m1));
        assertTrue(repos.manifest(REPO, sha256(m1)).isEmpty());
        assertEquals(List.of(Tag.of("v2")), repos.tags(REPO, null, null).items());
        assertThrows(StorageException.ManifestUnknown.class, () -> repos.deleteManifest(REPO, sha256(m1)));
    }

    @Test
    void tagPagination() {
        var repos = storage.repositories();
        List<String> names = List.of("a", "b", "v1", "v1-rc", "v1.0", "v10", "v2", "V3", "_x");
        for (String t : names) repos.putManifest(REPO, manifestJson(t), MediaType.OCI_MANIFEST, Tag.of(t), null, null);
        List<Tag> sorted = names.stream().sorted().map(Tag::of).toList();
        assertEquals(new Page<>(sorted, false), repos.tags(REPO, null, null));
        assertEquals(new Page<>(sorted.subList(0, 3), true), repos.tags(REPO, null, 3));
        assertEquals(new Page<>(sorted.subList(3, 6), true), repos.tags(REPO, sorted.get(2), 3));
        assertEquals(new Page<>(sorted.subList(6, 9), false), repos.tags(REPO, sorted.get(5), 3));
        assertEquals(new Page<>(sorted, false), repos.tags(REPO, null, sorted.size()));
        assertEquals(new Page<>(List.of(), true), repos.tags(REPO, null, 0));
        assertEquals(new Page<>(List.of(), false), repos.tags(REPO, sorted.getLast(), 5));
        assertEquals(new Page<>(List.of(Tag.of("v2")), false), repos.tags(REPO, Tag.of("v10a"), 10), "last need not exist");
        assertThrows(IllegalArgumentException.class, () -> repos.tags(REPO, null, -1));
    }

    @Test
    void catalogInLexicalOrderWithPagination() {
        var repos = storage.repositories();
        List<String> names = List.of("a", "a-b", "a/b", "a.b", "a/b/c", "b", "library/alpine", "z9");
        for (String n : names) {
            repos.putManifest(RepositoryName.of(n), manifestJson(n), MediaType.OCI_MANIFEST, Tag.of("t"), null, null);
        }
        List<RepositoryName> sorted = names.stream().sorted().map(RepositoryName::of).toList();
        assertEquals(new Page<>(sorted, false), repos.catalog(null, null));
        assertEquals(new Page<>(sorted.subList(0, 2), true), repos.catalog(null, 2));
        assertEquals(new Page<>(sorted.subList(2, 4), true), repos.catalog(sorted.get(1), 2));
        assertEquals(new Page<>(sorted.subList(6, 8), false), repos.catalog(sorted.get(5), 5));
        assertTrue(repos.exists(RepositoryName.of("a/b/c")));
        assertFalse(repos.exists(RepositoryName.of("a/b/d")));
    }

    @Test
    void referrersBySubjectWithArtifactTypeFilter() {
        var repos = storage.repositories();
        byte[] subject = manifestJson("subject");
        repos.putManifest(REPO, subject, MediaType.OCI_MANIFEST, Tag.of("v1"), null, null);
        Digest s = sha256(subject);
        byte[] sig = manifestJson("sig");
        byte[] sbom = manifestJson("sbom");
        var sigDesc = new Descriptor(MediaType.OCI_MANIFEST, sha256(sig), sig.length, null,
                Map.of("org.example.kind", "signature"), "application/vnd.example.sig", null);
        var sbomDesc = new Descriptor(MediaType.OCI_MANIFEST, sha256(sbom), sbom.length, null, null,
                "application/spdx+json", null);
        repos.putManifest(REPO, sig, MediaType.OCI_MANIFEST, null, sigDesc, s);
        repos.putManifest(REPO, sbom, MediaType.OCI_MANIFEST, null, sbomDesc, s);

        assertEquals(Set.of(sigDesc, sbomDesc), Set.copyOf(repos.referrers(REPO, s, d -> true)));
        assertEquals(List.of(sbomDesc), repos.referrers(REPO, s, d -> "application/spdx+json".equals(d.artifactType())));
        assertEquals(List.of(), repos.referrers(OTHER, s, d -> true));
        assertEquals(List.of(), repos.referrers(REPO, sha256(sig), d -> true));

        repos.deleteManifest(REPO, sha256(sig));
        assertEquals(List.of(sbomDesc), repos.referrers(REPO, s, d -> true));
    }

    /** The driver, with the first call of {@code method} failing as a lost connection or a crash would. */
    private StorageDriver failingOnce(StorageDriver driver, String method) {
        var failed = new java.util.concurrent.atomic.AtomicBoolean();
        return (StorageDriver) java.lang.reflect.Proxy.newProxyInstance(StorageDriver.class.getClassLoader(),
                new Class<?>[] {StorageDriver.class}, (proxy, m, args) -> {
                    if (m.getName().equals(method) && failed.compareAndSet(false, true)) {
                        throw new IOException("injected failure of " + method);
                    }
                    try {
                        return m.invoke(driver, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void aCommitThatFailedAfterSealingIsRepeatable() throws IOException {
        // Larger than S3's smallest part, in two chunks: a multipart upload is completed, then the move fails.
        byte[] content = random(77, 6 * 1024 * 1024 + 123);
        for (String failing : List.of("move", "deleteAll")) {
            Storage s = new Storage(failingOnce(newDriver(), failing), clock);
            var u = s.uploads().start();
            s.uploads().append(u.id(), 0, stream(content, 0, 3_000_000));
            s.uploads().append(u.id(), 3_000_000, stream(content, 3_000_000, content.length));
            var first = assertThrows(UncheckedIOException.class,
                    () -> s.uploads().commit(u.id(), sha256(content), OptionalLong.of(content.length)));
            assertTrue(first.getMessage().contains("injected"), first.getMessage());
            var info = s.uploads().commit(u.id(), sha256(content), OptionalLong.of(content.length));
            assertEquals(content.length, info.size(), failing);
            assertArrayEquals(content, readAll(s.blobs().open(sha256(content))), failing);
            assertThrows(StorageException.UploadUnknown.class, () -> s.uploads().status(u.id()), "the session is gone");
            assertTrue(s.blobs().delete(sha256(content)));
        }
    }
}
