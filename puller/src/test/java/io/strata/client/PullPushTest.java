package io.strata.client;

import io.strata.registry.RegistryProxy;

import static io.strata.registry.ExternalTool.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.remote.Credentials;
import io.strata.remote.RegistryClient;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.Platform;
import io.strata.oci.Reference;
import io.strata.registry.DistributionRegistry;
import io.strata.registry.ExternalTool;
import io.strata.registry.OciLayouts;
import io.strata.registry.Registry;
import io.strata.registry.RegistryConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** strata pull and push against real registries (Strata and distribution), through a proxy that counts and misbehaves on cue. */
class PullPushTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private AutoCloseable registry;
    private int registryPort;
    private RegistryProxy proxy;
    private LayoutStore store;
    private final List<String> events = new ArrayList<>();

    private void start(String which) throws Exception {
        ExternalTool.require("skopeo");
        if (which.equals("strata")) {
            Path f = tmp.resolve("strata.yml");
            Files.writeString(f, "listen: 127.0.0.1:0\nlog:\n  access: false\nstorage:\n  filesystem:\n    root: " + tmp.resolve("data") + "\n");
            Registry r = Registry.start(RegistryConfig.load(f, Map.of()));
            registry = r;
            registryPort = r.port();
        } else {
            DistributionRegistry d = DistributionRegistry.start(Files.createDirectories(tmp.resolve("distribution")), null);
            registry = d;
            registryPort = d.port();
        }
        proxy = new RegistryProxy(registryPort);
        store = new LayoutStore(tmp.resolve("store"));
    }

    @AfterEach
    void stop() throws Exception {
        if (proxy != null) proxy.close();
        if (registry != null) registry.close();
    }

    /** Pushes a layout image with skopeo straight to the registry (not through the proxy). */
    private OciLayouts.Image publish(String repo, int layers, long seed) throws Exception {
        Path layout = tmp.resolve("layout-" + seed);
        OciLayouts.Image image = OciLayouts.write(layout, "v1", layers, 200_000, seed);
        ok("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":v1",
                "docker://127.0.0.1:" + registryPort + "/" + repo + ":v1");
        return image;
    }

    private Puller.Pulled pull(String repoTag, Platform platform) throws IOException {
        Reference ref = Reference.parse(proxy.host() + "/" + repoTag);
        RegistryClient client = new RegistryClient(ref.apiHost(), true, Optional.empty(), 4);
        Puller.Events sink = new Puller.Events() {
            public void layer(Digest d, String status) {
                synchronized (events) {
                    events.add(d + " " + status);
                }
            }

            public void progress(Digest d, long done, long total) {}
        };
        return new Puller(client, store, 4, sink).pull(ref, platform);
    }

    private long blobGets() {
        return proxy.seen.stream().filter(s -> s.startsWith("GET ") && s.contains("/blobs/")).count();
    }

    @ParameterizedTest
    @ValueSource(strings = {"strata", "distribution"})
    void pullsVerifiesAndNamesTheImage(String which) throws Exception {
        start(which);
        OciLayouts.Image image = publish("lib/app", 3, 1);
        var pulled = pull("lib/app:v1", Platform.host());
        assertEquals(image.manifest(), pulled.manifest().digest());
        for (Digest d : image.blobs()) assertTrue(store.has(d), "stored " + d);
        assertEquals(Optional.of(image.manifest()), store.resolve(proxy.host() + "/lib/app:v1").map(x -> x.digest()));
        // skopeo reads the store as an OCI layout.
        String inspect = ok("skopeo", "inspect", "oci:" + store.root() + ":" + proxy.host() + "/lib/app:v1");
        assertEquals(image.manifest().toString(), JSON.readTree(inspect).path("Digest").asText());
    }

    @ParameterizedTest
    @ValueSource(strings = {"strata", "distribution"})
    void sharedLayersAreFetchedOnce(String which) throws Exception {
        start(which);
        OciLayouts.Image first = publish("lib/one", 3, 2);
        pull("lib/one:v1", Platform.host());
        assertEquals(4, blobGets(), "config and three layers");
        // The same image under another name: every blob is already here.
        ok("skopeo", "copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false",
                "docker://127.0.0.1:" + registryPort + "/lib/one:v1", "docker://127.0.0.1:" + registryPort + "/lib/two:v1");
        events.clear();
        var again = pull("lib/two:v1", Platform.host());
        assertEquals(first.manifest(), again.manifest().digest());
        assertEquals(4, blobGets(), "no blob fetched twice");
        assertEquals(4, events.stream().filter(e -> e.endsWith("Already exists")).count(), events.toString());
    }

    @Test
    void anInterruptedDownloadResumesWithRange() throws Exception {
        start("strata");
        OciLayouts.Image image = publish("lib/cut", 1, 3);
        Digest layer = image.blobs().getFirst();
        proxy.cutOnce(layer, 50_000);
        pull("lib/cut:v1", Platform.host());
        assertTrue(store.has(layer));
        List<String> gets = proxy.seen.stream().filter(s -> s.contains("/blobs/" + layer)).toList();
        assertEquals(2, gets.size(), gets.toString());
        assertTrue(gets.get(1).endsWith("Range: bytes=50000-"), "the second request resumes: " + gets);
    }

    @Test
    void aDownloadStoppedAfterItsLastByteIsCheckedAndStoredWithoutAskingAgain() throws Exception {
        start("strata");
        OciLayouts.Image image = publish("lib/whole", 1, 6);
        Digest layer = image.blobs().getFirst();
        // What a pull interrupted between the last byte and the digest's check leaves in ingest/.
        Path partial = Files.createDirectories(store.root().resolve("ingest")).resolve("sha256-" + layer.encoded());
        Files.copy(tmp.resolve("layout-6").resolve("blobs/sha256/" + layer.encoded()), partial);
        pull("lib/whole:v1", Platform.host());
        assertTrue(store.has(layer));
        assertEquals(layer, Digest.sha256(Files.readAllBytes(store.blobPath(layer))));
        assertEquals(List.of(), proxy.seen.stream().filter(s -> s.contains("/blobs/" + layer)).toList(),
                "nothing to ask for (a Range from the blob's end is refused with 416)");
        assertFalse(Files.exists(partial));
    }

    @Test
    void corruptedBytesAreDiscardedAndFetchedAgain() throws Exception {
        start("strata");
        OciLayouts.Image image = publish("lib/bad", 1, 4);
        Digest layer = image.blobs().getFirst();
        proxy.corruptOnce(layer);
        pull("lib/bad:v1", Platform.host());
        byte[] stored = Files.readAllBytes(store.blobPath(layer));
        assertEquals(layer, Digest.sha256(stored), "only verified bytes are stored");
        assertEquals(2, proxy.seen.stream().filter(s -> s.contains("/blobs/" + layer)).count());
    }

    @Test
    void aPullThatFailsLeavesNoName() throws Exception {
        start("strata");
        OciLayouts.Image image = publish("lib/broken", 2, 5);
        // Every attempt is corrupted: the pull fails, and nothing names the image.
        Digest layer = image.blobs().getFirst();
        RegistryProxy p = proxy;
        Thread corrupter = Thread.ofVirtual().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                p.corruptOnce(layer);
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            assertThrows(IOException.class, () -> pull("lib/broken:v1", Platform.host()));
        } finally {
            corrupter.interrupt();
        }
        assertFalse(store.has(layer));
        assertTrue(store.names().isEmpty(), "no name points at missing content");
    }

    @Test
    void indexesPickThePlatform() throws Exception {
        start("strata");
        Path layout = tmp.resolve("multi");
        List<Digest> digests = OciLayouts.writeIndex(layout, "v1", List.of("amd64", "arm64"), 6);
        ok("skopeo", "copy", "--quiet", "--all", "--dest-tls-verify=false", "oci:" + layout + ":v1",
                "docker://127.0.0.1:" + registryPort + "/lib/multi:v1");
        assertEquals(digests.get(2), pull("lib/multi:v1", Platform.parse("linux/arm64")).manifest().digest());
        assertEquals(digests.get(1), pull("lib/multi:v1", Platform.parse("linux/amd64")).manifest().digest());
        IOException none = assertThrows(IOException.class, () -> pull("lib/multi:v1", Platform.parse("linux/s390x")));
        assertTrue(none.getMessage().contains("linux/amd64") && none.getMessage().contains("linux/arm64"), none.getMessage());
    }

    @Test
    void retriesServerErrorsAndHonoursRetryAfter() throws Exception {
        start("strata");
        OciLayouts.Image image = publish("lib/flaky", 1, 9);
        proxy.fail(503, 2, 0);
        proxy.fail(429, 1, 1);
        long t0 = System.nanoTime();
        assertEquals(image.manifest(), pull("lib/flaky:v1", Platform.host()).manifest().digest());
        assertEquals(3, proxy.count("FAILED "), proxy.seen.toString());
        assertTrue(System.nanoTime() - t0 >= 1_000_000_000L, "waited the second Retry-After asked for");
    }

    @Test
    void aPullByDigestNeverMovesATag() throws Exception {
        start("strata");
        OciLayouts.Image first = publish("lib/moving", 1, 50);
        pull("lib/moving:v1", Platform.host());
        OciLayouts.Image second = publish("lib/moving", 2, 51); // v1 now names another image on the registry
        var byDigest = pull("lib/moving@" + second.manifest(), Platform.host());
        assertEquals(second.manifest(), byDigest.manifest().digest());
        assertEquals(Optional.of(first.manifest()), store.resolve(proxy.host() + "/lib/moving:v1").map(Descriptor::digest),
                "the local tag still names what it named");
        assertEquals(Optional.of(second.manifest()), store.resolve(proxy.host() + "/lib/moving@" + second.manifest()).map(Descriptor::digest));
    }

    @Test
    void unknownImagesAreOneClearError() throws Exception {
        start("strata");
        publish("lib/known", 1, 7);
        IOException e = assertThrows(IOException.class, () -> pull("lib/known:nope", Platform.host()));
        assertTrue(e.getMessage().startsWith("not found on"), e.getMessage());
        assertTrue(e.getMessage().contains("MANIFEST_UNKNOWN"), e.getMessage());
    }

    @Test
    void bearerTokenFlowAnonymousAndWithCredentials() throws Exception {
        start("strata");
        OciLayouts.Image image = publish("lib/auth", 1, 8);
        proxy.requireBearer(null, null);
        assertEquals(image.manifest(), pull("lib/auth:v1", Platform.host()).manifest().digest());
        assertTrue(proxy.seen.stream().anyMatch(s -> s.startsWith("TOKEN ") && s.contains("scope=repository%3Alib%2Fauth%3Apull")),
                proxy.seen.toString());

        proxy.requireBearer("alice", "s3cret");
        Reference ref = Reference.parse(proxy.host() + "/lib/auth:v1");
        Puller.Events quiet = new Puller.Events() {
            public void layer(Digest d, String s) {}

            public void progress(Digest d, long done, long total) {}
        };
        LayoutStore other = new LayoutStore(tmp.resolve("store2"));
        var anonymous = new Puller(new RegistryClient(ref.apiHost(), true, Optional.empty(), 2), other, 2, quiet);
        IOException denied = assertThrows(IOException.class, () -> anonymous.pull(ref, Platform.host()));
        assertTrue(denied.getMessage().contains("strata login"), denied.getMessage());
        var withCredentials = new Puller(new RegistryClient(ref.apiHost(), true,
                Optional.of(new Credentials("alice", "s3cret")), 2), other, 2, quiet);
        assertEquals(image.manifest(), withCredentials.pull(ref, Platform.host()).manifest().digest());
    }

    /** Six layers at once: every request is in flight before the first 401 is answered. */
    private void pushInParallel(Descriptor manifest, String dst, Optional<Credentials> credentials) throws IOException {
        Reference ref = Reference.parse(dst);
        new Pusher(new RegistryClient(ref.apiHost(), true, credentials, 4), store, 6, 64L * 1024 * 1024, quiet)
                .push(manifest, ref, Optional.empty());
    }

    @Test
    void parallelRequestsThatMeetABasicChallengeAllRetryWithCredentials() throws Exception {
        ExternalTool.require("htpasswd");
        start("strata");
        OciLayouts.Image image = publish("lib/six", 6, 40);
        Descriptor pulled = pull("lib/six:v1", Platform.host()).manifest();
        Path htpasswd = tmp.resolve("htpasswd");
        Files.writeString(htpasswd, ok("htpasswd", "-Bbn", "alice", "s3cret"));
        for (int round = 0; round < 3; round++) {
            try (DistributionRegistry d = DistributionRegistry.start(Files.createDirectories(tmp.resolve("basic-" + round)), htpasswd)) {
                // A fresh client each round, as after strata login: nothing known about the registry yet.
                pushInParallel(pulled, "127.0.0.1:" + d.port() + "/lib/six:v1", Optional.of(new Credentials("alice", "s3cret")));
                assertEquals(image.manifest().toString(), JSON.readTree(ok("skopeo", "inspect", "--tls-verify=false",
                        "--creds", "alice:s3cret", "docker://127.0.0.1:" + d.port() + "/lib/six:v1")).path("Digest").asText());
                IOException wrong = assertThrows(IOException.class, () -> pushInParallel(pulled, "127.0.0.1:" + d.port() + "/lib/other:v1",
                        Optional.of(new Credentials("alice", "wrong"))));
                assertTrue(wrong.getMessage().contains("refused the credentials of alice"), wrong.getMessage());
            }
        }
    }

    @Test
    void parallelRequestsThatMeetABearerChallengeShareOneTokenAndRenewIt() throws Exception {
        start("strata");
        OciLayouts.Image image = publish("lib/six", 6, 41);
        Descriptor pulled = pull("lib/six:v1", Platform.host()).manifest();
        proxy.requireBearer("alice", "s3cret");
        Reference first = Reference.parse(proxy.host() + "/team/six:v1");
        RegistryClient client = new RegistryClient(first.apiHost(), true, Optional.of(new Credentials("alice", "s3cret")), 4);
        new Pusher(client, store, 6, 64L * 1024 * 1024, quiet).push(pulled, first, Optional.empty());
        assertEquals(image.manifest().toString(), digestOn("127.0.0.1:" + registryPort + "/team/six:v1"));
        long tokens = proxy.count("TOKEN ");
        assertTrue(tokens <= 2, "six parallel requests shared the token of their scope: " + tokens + " token requests");

        // The token stops working mid-session (expired early): the next requests fetch a new one and go on.
        proxy.expireTokens();
        Reference second = Reference.parse(proxy.host() + "/team/six:v2");
        new Pusher(client, store, 6, 64L * 1024 * 1024, quiet).push(pulled, second, Optional.empty());
        assertEquals(image.manifest().toString(), digestOn("127.0.0.1:" + registryPort + "/team/six:v2"));
        assertTrue(proxy.count("TOKEN ") > tokens, "a new token was fetched");
    }

    @Test
    void credentialsComeFromDockerConfig() throws Exception {
        Path config = tmp.resolve("config.json");
        Files.writeString(config, "{\"auths\":{\"registry.example.com:5000\":{\"auth\":\""
                + java.util.Base64.getEncoder().encodeToString("bob:pa:ss".getBytes()) + "\"}}}");
        assertEquals(Optional.of(new Credentials("bob", "pa:ss")), Credentials.lookup("registry.example.com:5000", List.of(config)));
        assertEquals(Optional.empty(), Credentials.lookup("other.example.com", List.of(config)));
    }

    // ---- push ----------------------------------------------------------------------------------

    private final Puller.Events quiet = new Puller.Events() {
        public void layer(Digest d, String status) {
            synchronized (events) {
                events.add(d + " " + status);
            }
        }

        public void progress(Digest d, long done, long total) {}
    };

    private void push(Descriptor manifest, String dst, Optional<Reference> from, long chunkSize) throws IOException {
        Reference ref = Reference.parse(dst);
        new Pusher(new RegistryClient(ref.apiHost(), true, Optional.empty(), 4), store, 4, chunkSize, quiet)
                .push(manifest, ref, from);
    }

    private String digestOn(String ref) throws Exception {
        return JSON.readTree(ok("skopeo", "inspect", "--tls-verify=false", "docker://" + ref)).path("Digest").asText();
    }

    @ParameterizedTest
    @ValueSource(strings = {"strata", "distribution"})
    void pushedImagesKeepTheirDigests(String which) throws Exception {
        start(which);
        OciLayouts.Image image = publish("lib/src", 3, 20);
        Descriptor pulled = pull("lib/src:v1", Platform.host()).manifest();
        // Monolithic, then chunked (64 KiB chunks over 200 KB layers), to two new repositories.
        push(pulled, proxy.host() + "/copies/mono:v1", Optional.empty(), 64L * 1024 * 1024);
        assertEquals(image.manifest().toString(), digestOn("127.0.0.1:" + registryPort + "/copies/mono:v1"));
        long patchesBefore = proxy.count("PATCH ");
        push(pulled, proxy.host() + "/copies/chunked:v1", Optional.empty(), 64 * 1024);
        assertEquals(image.manifest().toString(), digestOn("127.0.0.1:" + registryPort + "/copies/chunked:v1"));
        assertTrue(proxy.count("PATCH ") - patchesBefore >= 3 * 3, "each 200 KB layer went up in 64 KiB chunks");

        // Again: every blob is there (HEAD), nothing is uploaded.
        long uploads = proxy.count("POST ");
        push(pulled, proxy.host() + "/copies/mono:v2", Optional.empty(), 64L * 1024 * 1024);
        assertEquals(uploads, proxy.count("POST "), "no upload for blobs the repository has");
    }

    @Test
    void pushMountsAcrossRepositoriesOfOneRegistry() throws Exception {
        start("strata");
        OciLayouts.Image image = publish("lib/base", 2, 21);
        Reference src = Reference.parse(proxy.host() + "/lib/base:v1");
        Descriptor pulled = pull("lib/base:v1", Platform.host()).manifest();
        push(pulled, proxy.host() + "/team/app:v1", Optional.of(src), 64L * 1024 * 1024);
        assertEquals(image.manifest().toString(), digestOn("127.0.0.1:" + registryPort + "/team/app:v1"));
        assertEquals(3, proxy.seen.stream().filter(s -> s.startsWith("POST /v2/team/app/blobs/uploads/?mount=")).count(),
                proxy.seen.toString());
        assertEquals(0, proxy.count("PATCH ") + proxy.seen.stream().filter(s -> s.startsWith("PUT /v2/team/app/blobs/")).count(),
                "mounted, not uploaded");
    }

    @Test
    void roundTripBetweenRegistries() throws Exception {
        start("strata");
        OciLayouts.Image image = publish("lib/trip", 2, 22);
        try (DistributionRegistry other = DistributionRegistry.start(Files.createDirectories(tmp.resolve("other")), null)) {
            Descriptor pulled = pull("lib/trip:v1", Platform.host()).manifest();
            push(pulled, "127.0.0.1:" + other.port() + "/mirror/trip:v1", Optional.empty(), 64L * 1024 * 1024);
            assertEquals(image.manifest().toString(), digestOn("127.0.0.1:" + other.port() + "/mirror/trip:v1"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"strata", "distribution"})
    void anIndexPushesItsChildrenFirst(String which) throws Exception {
        start(which);
        // Pull both platforms of a multi-platform image, then store the index over them as one name.
        Path layout = tmp.resolve("multi");
        List<Digest> digests = OciLayouts.writeIndex(layout, "v1", List.of("amd64", "arm64"), 30);
        ok("skopeo", "copy", "--quiet", "--all", "--dest-tls-verify=false", "oci:" + layout + ":v1",
                "docker://127.0.0.1:" + registryPort + "/lib/multi:v1");
        pull("lib/multi:v1", Platform.parse("linux/amd64"));
        pull("lib/multi:v1", Platform.parse("linux/arm64"));
        byte[] index = Files.readAllBytes(layout.resolve("blobs/sha256/" + digests.getFirst().encoded()));
        store.put(digests.getFirst(), index);
        Descriptor indexDescriptor = new Descriptor(io.strata.oci.MediaType.OCI_INDEX, digests.getFirst(), index.length);
        store.tag("multi", indexDescriptor);

        push(indexDescriptor, proxy.host() + "/copies/multi:v1", Optional.empty(), 64L * 1024 * 1024);
        String raw = ok("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://127.0.0.1:" + registryPort + "/copies/multi:v1");
        assertEquals(digests.getFirst(), Digest.sha256(raw.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                "the index arrives byte for byte");
        for (Digest child : digests.subList(1, 3)) {
            assertEquals(child.toString(), digestOn("127.0.0.1:" + registryPort + "/copies/multi@" + child));
        }
        // Children went up before the index that needs them.
        int lastChild = -1;
        int indexPut = -1;
        for (int i = 0; i < proxy.seen.size(); i++) {
            String s = proxy.seen.get(i);
            if (s.startsWith("PUT /v2/copies/multi/manifests/sha256:")) lastChild = i;
            if (s.startsWith("PUT /v2/copies/multi/manifests/v1")) indexPut = i;
        }
        assertTrue(lastChild >= 0 && indexPut > lastChild, proxy.seen.toString());
    }

    @Test
    void dockerSchema2ImagesPull() throws Exception {
        start("distribution");
        Path layout = tmp.resolve("v2s2");
        OciLayouts.write(layout, "v1", 2, 10_000, 31);
        ok("skopeo", "copy", "--quiet", "--format", "v2s2", "--dest-tls-verify=false", "oci:" + layout + ":v1",
                "docker://127.0.0.1:" + registryPort + "/lib/docker:v1");
        String onRegistry = digestOn("127.0.0.1:" + registryPort + "/lib/docker:v1");
        var pulled = pull("lib/docker:v1", Platform.host());
        assertEquals(io.strata.oci.MediaType.DOCKER_MANIFEST, pulled.manifest().mediaType());
        assertEquals(onRegistry, pulled.manifest().digest().toString());
    }

    @Test
    void umociUnpacksFromTheStore() throws Exception {
        start("strata");
        ExternalTool.require("umoci");
        publish("lib/unpack", 2, 32);
        pull("lib/unpack:v1", Platform.host());
        Path bundle = tmp.resolve("bundle");
        ok("umoci", "unpack", "--image", store.root() + ":" + proxy.host() + "/lib/unpack:v1", bundle.toString());
        for (int i = 0; i < 2; i++) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(OciLayouts.fileContent(i, 200_000, 32),
                    Files.readAllBytes(bundle.resolve("rootfs/layer" + i + "/file.bin")), "layer " + i + " byte for byte");
        }
    }
}
