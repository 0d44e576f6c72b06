package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.oci.Digest;
import io.strata.oci.MediaType;
import io.strata.oci.RepositoryName;
import io.strata.registry.DistributionRegistry;
import io.strata.registry.ExternalTool;
import io.strata.remote.RegistryClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The client's toolbox against Strata's registry and Debian's docker-registry (distribution 2.8.2),
 * checked with skopeo: copy between registries (mounted on one, streamed between two, the same
 * digests), to and from OCI layouts, archives and the store; an index with --all or one platform;
 * tags, digest, catalog, inspect and delete without pulling; and bad input, which leaves the
 * destination without the image.
 */
class ToolboxIT extends ContainerCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private String strataHost() {
        return "127.0.0.1:" + registry.port();
    }

    private Run ok(String... args) throws Exception {
        Run r = strata(args);
        assertEquals(0, r.exit(), String.join(" ", args) + ": " + r.err());
        return r;
    }

    private static String skopeo(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("skopeo"));
        command.addAll(List.of(args));
        ExternalTool.Result r = ExternalTool.run(command);
        assertEquals(0, r.exit(), command + ": " + r.err());
        return r.out();
    }

    @Test
    void copiesBetweenRegistriesLayoutsArchivesAndTheStore() throws Exception {
        try (DistributionRegistry distribution = DistributionRegistry.start(Files.createDirectories(tmp.resolve("distribution")), null)) {
            String other = "127.0.0.1:" + distribution.port();
            String digest = skopeo("inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://" + image).strip();

            // The same registry: each blob mounted, nothing moved.
            Run mounted = ok("copy", "docker://" + image, "docker://" + strataHost() + "/team/busybox:v1");
            assertEquals(digest, mounted.out().strip());
            assertEquals(2, count(mounted.err(), "Mounted from lib/busybox"), "config and layer mounted: " + mounted.err());

            // Another registry: streamed, the same digest there.
            Run streamed = ok("copy", "docker://" + image, "docker://" + other + "/lib/busybox:v1");
            assertEquals(digest, streamed.out().strip());
            assertEquals(digest, skopeo("inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://" + other + "/lib/busybox:v1").strip());
            Run again = ok("copy", "docker://" + image, "docker://" + other + "/lib/busybox:v1");
            assertEquals(2, count(again.err(), "Already exists"), "a second copy moves no blob: " + again.err());

            // An OCI layout: skopeo reads it; copied from it to the other registry under a new tag.
            Path layout = tmp.resolve("layout");
            ok("copy", "docker://" + other + "/lib/busybox:v1", "oci:" + layout + ":v1");
            assertEquals(digest, skopeo("inspect", "--format", "{{.Digest}}", "oci:" + layout + ":v1").strip());
            ok("copy", "oci:" + layout + ":v1", "docker://" + other + "/lib/busybox:from-layout");
            assertEquals(digest, skopeo("inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://" + other + "/lib/busybox:from-layout").strip());

            // Archives: skopeo reads both kinds; an archive read back is the same image.
            Path ociArchive = tmp.resolve("busybox-oci.tar");
            ok("copy", "docker://" + image, "oci-archive:" + ociArchive + ":v1");
            assertEquals(digest, skopeo("inspect", "--format", "{{.Digest}}", "oci-archive:" + ociArchive + ":v1").strip());
            Path dockerArchive = tmp.resolve("busybox-docker.tar");
            ok("copy", "docker://" + image, "docker-archive:" + dockerArchive + ":lib/busybox:v1");
            // A docker archive's layers are tars as docker save writes them: skopeo names them by their DiffIDs.
            JsonNode fromArchive = JSON.readTree(skopeo("inspect", "docker-archive:" + dockerArchive));
            assertEquals(JSON.readTree(skopeo("inspect", "--tls-verify=false", "--config", "--raw", "docker://" + image)).path("rootfs").path("diff_ids"),
                    fromArchive.path("Layers"));
            assertEquals(digest, ok("copy", "oci-archive:" + ociArchive + ":v1", "docker://" + other + "/lib/from-archive:v1").out().strip());

            // The store: in, then out to a registry.
            ok("copy", "--root", store, "docker://" + image, "strata:localhost/copied:v1");
            assertTrue(ok("images", "--root", store).out().contains("localhost/copied"));
            assertEquals(digest, ok("copy", "--root", store, "strata:localhost/copied:v1", "docker://" + other + "/lib/from-store:v1").out().strip());

            // Recompressed on the way: zstd layers, a new digest said on stderr, the same config (DiffIDs); it pulls and runs.
            Run zstd = ok("copy", "--dest-compress-format", "zstd", "docker://" + image, "docker://" + other + "/lib/zstd:v1");
            String zstdDigest = zstd.out().strip();
            assertTrue(!zstdDigest.equals(digest) && zstd.err().contains("the layers were recompressed (zstd): the image is " + zstdDigest), zstd.err());
            JsonNode zstdManifest = JSON.readTree(skopeo("inspect", "--tls-verify=false", "--raw", "docker://" + other + "/lib/zstd:v1"));
            assertEquals(MediaType.OCI_LAYER_ZSTD, zstdManifest.path("layers").get(0).path("mediaType").asText());
            JsonNode sourceManifest = JSON.readTree(skopeo("inspect", "--tls-verify=false", "--raw", "docker://" + image));
            assertEquals(sourceManifest.path("config").path("digest"), zstdManifest.path("config").path("digest"), "the config, and so the DiffIDs, unchanged");
            String back = ok("copy", "--dest-compress-format", "gzip", "docker://" + other + "/lib/zstd:v1", "docker://" + other + "/lib/gzip-again:v1").out().strip();
            assertEquals(MediaType.OCI_LAYER_GZIP, JSON.readTree(skopeo("inspect", "--tls-verify=false", "--raw", "docker://" + other + "/lib/gzip-again:v1"))
                    .path("layers").get(0).path("mediaType").asText());
            for (String ref : List.of(other + "/lib/zstd:v1", other + "/lib/gzip-again:v1")) {
                assertEquals("recompressed\n", run("--rm", "--network", "none", ref, "echo", "recompressed").out(), ref);
            }
            assertTrue(!back.equals(zstdDigest));

            // Remote reads of both registries, as skopeo sees them.
            for (String host : List.of(strataHost(), other)) {
                String ref = host + "/lib/busybox:v1";
                assertEquals(digest + "\n", ok("digest", ref).out());
                assertEquals(skopeo("inspect", "--tls-verify=false", "--raw", "docker://" + ref), ok("inspect", "--raw", "docker://" + ref).out());
                assertEquals(JSON.readTree(skopeo("inspect", "--tls-verify=false", "--config", "--raw", "docker://" + ref)),
                        JSON.readTree(ok("inspect", "--config", "docker://" + ref).out()));
                JsonNode theirs = JSON.readTree(skopeo("inspect", "--tls-verify=false", "docker://" + ref));
                JsonNode ours = JSON.readTree(ok("inspect", "docker://" + ref).out());
                for (String field : List.of("Name", "Digest", "RepoTags", "Architecture", "Os", "Layers", "Env")) {
                    assertEquals(theirs.path(field), ours.path(field), "inspect's " + field + " on " + host);
                }
                assertTrue(ok("catalog", host).out().lines().toList().contains("lib/busybox"), "catalog of " + host);
            }
        }
    }

    /**
     * A 1 GiB layer copied from Strata to distribution: streamed through a client JVM whose heap is
     * 128 MiB and direct memory 64 MiB (the launcher's flags for client verbs), so it could not be
     * held; the destination has the same digest.
     */
    @Test
    void aGibibyteLayerStreamsThroughBoundedMemory() throws Exception {
        try (DistributionRegistry distribution = DistributionRegistry.start(Files.createDirectories(tmp.resolve("distribution")), null)) {
            String other = "127.0.0.1:" + distribution.port();
            Path big = tmp.resolve("big.bin");
            java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
            try (var out = new java.io.BufferedOutputStream(Files.newOutputStream(big), 1 << 20)) {
                java.util.SplittableRandom random = new java.util.SplittableRandom(11);
                byte[] buf = new byte[1 << 20];
                for (int i = 0; i < 1024; i++) {
                    for (int j = 0; j < buf.length; j += 8) {
                        long v = random.nextLong();
                        for (int k = 0; k < 8; k++) buf[j + k] = (byte) (v >>> (8 * k));
                    }
                    sha.update(buf);
                    out.write(buf);
                }
            }
            Digest layer = Digest.of(io.strata.oci.DigestAlgorithm.SHA256, sha.digest());
            RegistryClient client = new RegistryClient(strataHost(), true, Optional.empty(), 1);
            RepositoryName repo = new RepositoryName("lib/big");
            client.uploadBlob(repo, new io.strata.oci.Descriptor(MediaType.OCI_LAYER, layer, 1L << 30), RegistryClient.BlobSource.ofFile(big), 64L << 20);
            Files.delete(big);
            byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + layer + "\"]}}")
                    .getBytes(StandardCharsets.UTF_8);
            Digest configDigest = Digest.sha256(config);
            client.uploadBlob(repo, new io.strata.oci.Descriptor(MediaType.OCI_CONFIG, configDigest, config.length),
                    (offset, length) -> java.net.http.HttpRequest.BodyPublishers.ofByteArray(config, (int) offset, (int) length), 1 << 20);
            byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\"" + MediaType.OCI_CONFIG
                    + "\",\"digest\":\"" + configDigest + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":\"" + MediaType.OCI_LAYER
                    + "\",\"digest\":\"" + layer + "\",\"size\":" + (1L << 30) + "}]}").getBytes(StandardCharsets.UTF_8);
            client.putManifest(repo, "v1", MediaType.OCI_MANIFEST, manifest, Digest.sha256(manifest));

            Run copied = ok("copy", "docker://" + strataHost() + "/lib/big:v1", "docker://" + other + "/lib/big:v1");
            assertEquals(Digest.sha256(manifest) + "\n", copied.out());
            JsonNode there = JSON.readTree(skopeo("inspect", "--tls-verify=false", "--raw", "docker://" + other + "/lib/big:v1"));
            assertEquals(layer.toString(), there.path("layers").get(0).path("digest").asText());
            assertEquals(1L << 30, there.path("layers").get(0).path("size").asLong());
            // distribution verified the blob's digest when the copy finished it; its size as stored says it is whole.
            ExternalTool.Result head = ExternalTool.run(List.of("curl", "-sfI", "http://" + other + "/v2/lib/big/blobs/" + layer));
            assertTrue(head.out().toLowerCase().contains("content-length: " + (1L << 30)), head.out());
        }
    }

    @Test
    void tagsPageByPageAndDeleteByTagOrDigest() throws Exception {
        try (DistributionRegistry distribution = DistributionRegistry.start(Files.createDirectories(tmp.resolve("distribution")), null)) {
            String other = "127.0.0.1:" + distribution.port();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < 12; i++) expected.add("t" + (char) ('a' + i));
            for (String host : List.of(strataHost(), other)) {
                for (String tag : expected) ok("copy", "docker://" + image, "docker://" + host + "/paged/busybox:" + tag);
                // Pages of 5, as the registries' Link headers lead: every tag once, in order.
                RegistryClient client = new RegistryClient(host, true, Optional.empty(), 1);
                List<String> paged = client.allTags(new RepositoryName("paged/busybox"), 5);
                List<String> listed = ok("tags", "docker://" + host + "/paged/busybox").out().lines().toList();
                if (host.equals(strataHost())) {
                    assertEquals(expected, paged, "pages of 5 from Strata, in lexical order as the spec asks");
                    assertEquals(expected, listed);
                } else {
                    // distribution 2.8.2 lists tags in its storage's order (the spec asks for lexical order): the same tags, once each.
                    assertEquals(expected, paged.stream().sorted().toList(), "every tag once from distribution");
                    assertEquals(expected, listed.stream().sorted().toList());
                }
                JsonNode json = JSON.readTree(ok("tags", "--format", "json", host + "/paged/busybox").out());
                assertEquals(host + "/paged/busybox", json.path("Repository").asText());
                assertEquals(12, json.path("Tags").size());
            }
            // A tag alone: OCI 1.1 deletes it on Strata; distribution 2.8.2 cannot, and says what to do instead.
            ok("delete", "docker://" + strataHost() + "/paged/busybox:ta");
            assertTrue(!ok("tags", strataHost() + "/paged/busybox").out().lines().toList().contains("ta"));
            assertEquals(11, ok("tags", strataHost() + "/paged/busybox").out().lines().count(), "the other tags of the manifest stay");
            Run refused = strata("delete", "docker://" + other + "/paged/busybox:ta");
            assertEquals(1, refused.exit());
            assertTrue(refused.err().contains("does not delete a tag alone") && refused.err().contains("delete the manifest by its digest"), refused.err());
            // A digest: the manifest and every tag naming it go.
            String digest = ok("digest", other + "/paged/busybox:ta").out().strip();
            ok("delete", "docker://" + other + "/paged/busybox@" + digest);
            assertEquals("", ok("tags", other + "/paged/busybox").out());
        }
    }

    @Test
    void anIndexWholeOrOnePlatform() throws Exception {
        // An index of two platforms, put by the registry API: the busybox image for this host, and
        // the same blobs under a manifest that says arm64 in the index.
        RegistryClient client = new RegistryClient(strataHost(), true, Optional.empty(), 1);
        RepositoryName repo = new RepositoryName("lib/busybox");
        RegistryClient.Fetched amd = client.manifest(repo, "v1");
        String armText = new String(amd.content(), StandardCharsets.UTF_8).replaceFirst("\\{", "{\"annotations\":{\"org.example.arch\":\"arm64\"},");
        byte[] arm = armText.getBytes(StandardCharsets.UTF_8);
        Digest armDigest = Digest.sha256(arm);
        client.putManifest(repo, armDigest.toString(), amd.mediaType(), arm, armDigest);
        io.strata.oci.Platform host = io.strata.oci.Platform.host();
        String foreign = host.architecture().equals("arm64") ? "amd64" : "arm64";
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_INDEX + "\",\"manifests\":["
                + "{\"mediaType\":\"" + amd.mediaType() + "\",\"digest\":\"" + amd.digest() + "\",\"size\":" + amd.content().length
                + ",\"platform\":{\"architecture\":\"" + host.architecture() + "\",\"os\":\"linux\"}},"
                + "{\"mediaType\":\"" + amd.mediaType() + "\",\"digest\":\"" + armDigest + "\",\"size\":" + arm.length
                + ",\"platform\":{\"architecture\":\"" + foreign + "\",\"os\":\"linux\"}}]}").getBytes(StandardCharsets.UTF_8);
        client.putManifest(repo, "multi", MediaType.OCI_INDEX, index, Digest.sha256(index));
        String src = "docker://" + strataHost() + "/lib/busybox:multi";

        assertEquals(Digest.sha256(index) + "\n", ok("copy", "--all", src, "docker://" + strataHost() + "/copy/all:v1").out());
        assertEquals(new String(index, StandardCharsets.UTF_8),
                skopeo("inspect", "--tls-verify=false", "--raw", "docker://" + strataHost() + "/copy/all:v1"), "the index as it was");
        assertEquals(armDigest + "\n", ok("digest", "--platform", "linux/" + foreign, strataHost() + "/copy/all:v1").out(), "its children copied");
        assertEquals(amd.digest() + "\n", ok("copy", src, "docker://" + strataHost() + "/copy/one:v1").out(), "this host's image alone");
        assertEquals(armDigest + "\n", ok("copy", "--platform", "linux/" + foreign, src, "oci:" + tmp.resolve("arm") + ":v1").out());

        // Bad input: one line each, and no image at the destination.
        Run absent = strata("copy", "--platform", "linux/s390x", src, "docker://" + strataHost() + "/copy/none:v1");
        assertEquals(1, absent.exit());
        assertTrue(absent.err().contains("no linux/s390x image in docker://" + strataHost() + "/lib/busybox:multi"), absent.err());
        ExternalTool.Result none = ExternalTool.run(List.of("skopeo", "inspect", "--tls-verify=false", "--raw", "docker://" + strataHost() + "/copy/none:v1"));
        assertTrue(none.exit() != 0 && none.err().contains("repository copy/none is not known"), "nothing at the destination: " + none.err());
        Run unknown = strata("copy", "ftp://x/y", "oci:" + tmp.resolve("x"));
        assertEquals(1, unknown.exit());
        assertTrue(unknown.err().startsWith("strata: unknown transport ftp in ftp://x/y"), unknown.err());
        Run badRef = strata("copy", "docker://" + strataHost() + "/UPPER/case:v1", "oci:" + tmp.resolve("x"));
        assertEquals(1, badRef.exit());
        assertTrue(badRef.err().contains("invalid reference docker://" + strataHost() + "/UPPER/case:v1"), badRef.err());
        Run archiveOfIndex = strata("copy", "--all", src, "oci-archive:" + tmp.resolve("all.tar"));
        assertEquals(1, archiveOfIndex.exit());
        assertTrue(archiveOfIndex.err().contains("an archive holds one platform's image"), archiveOfIndex.err());
        assertTrue(!Files.exists(tmp.resolve("all.tar")), "no archive written");
    }

    @Test
    void syncMovesOnlyWhatIsMissing() throws Exception {
        try (DistributionRegistry distribution = DistributionRegistry.start(Files.createDirectories(tmp.resolve("distribution")), null)) {
            String other = "127.0.0.1:" + distribution.port();
            // 30 tags of one image in a repository (its blobs mounted there once, the tags put by the API).
            ok("copy", "docker://" + image, "docker://" + strataHost() + "/mirror/busybox:t00");
            RegistryClient client = new RegistryClient(strataHost(), true, Optional.empty(), 1);
            RepositoryName repo = new RepositoryName("mirror/busybox");
            RegistryClient.Fetched m = client.manifest(repo, "t00");
            for (int i = 1; i < 30; i++) client.putManifest(repo, String.format("t%02d", i), m.mediaType(), m.content(), m.digest());
            String src = "docker://" + strataHost() + "/mirror/busybox";

            Run dry = ok("sync", "--dry-run", src, "docker://" + other + "/mirrored");
            assertTrue(dry.out().contains("would copy 30, up to date 0"), dry.out());
            ExternalTool.Result nothing = ExternalTool.run(List.of("skopeo", "list-tags", "--tls-verify=false", "docker://" + other + "/mirrored/busybox"));
            assertTrue(nothing.exit() != 0, "a dry run copies nothing: " + nothing.out());
            Run first = ok("sync", src, "docker://" + other + "/mirrored");
            assertTrue(first.out().contains("copied 30, up to date 0"), first.out());
            assertEquals(30, JSON.readTree(skopeo("list-tags", "--tls-verify=false", "docker://" + other + "/mirrored/busybox")).path("Tags").size());
            client.putManifest(repo, "t30", m.mediaType(), m.content(), m.digest());
            Run second = ok("sync", src, "docker://" + other + "/mirrored");
            assertTrue(second.out().contains("t30: copied") && second.out().contains("copied 1, up to date 30"), second.out());

            // To an OCI layout, a directory for the repository; --tags picks.
            Run layout = ok("sync", "--tags", "t0[0-4]", src, "oci:" + tmp.resolve("mirror"));
            assertTrue(layout.out().contains("copied 5, up to date 0"), layout.out());
            assertEquals(m.digest().toString(), skopeo("inspect", "--format", "{{.Digest}}", "oci:" + tmp.resolve("mirror/busybox") + ":t03").strip());

            // A tag that cannot be copied (an index without this host's platform): --keep-going copies the rest and says which failed.
            byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_INDEX + "\",\"manifests\":[{\"mediaType\":\""
                    + m.mediaType() + "\",\"digest\":\"" + m.digest() + "\",\"size\":" + m.content().length
                    + ",\"platform\":{\"architecture\":\"s390x\",\"os\":\"linux\"}}]}").getBytes(StandardCharsets.UTF_8);
            client.putManifest(repo, "t31", MediaType.OCI_INDEX, index, Digest.sha256(index));
            client.putManifest(repo, "t32", m.mediaType(), m.content(), m.digest());
            Run going = strata("sync", "--keep-going", src, "docker://" + other + "/mirrored");
            assertEquals(1, going.exit(), going.out() + going.err());
            assertTrue(going.out().contains("t32: copied") && going.out().contains("copied 1, up to date 31, failed 1"), going.out());
            assertTrue(going.err().contains("t31: no linux/"), going.err());
        }
    }

    /** Two images strata builds for amd64 and arm64 (busybox and a file saying which), pushed to the test registry. */
    private List<String> platformImages() throws Exception {
        List<String> refs = new ArrayList<>();
        String busybox = ExternalTool.ok("sh", "-c", "command -v busybox").trim();
        for (String arch : List.of("amd64", "arm64")) {
            Path ctx = Files.createDirectories(tmp.resolve("plat-" + arch));
            Files.createDirectories(ctx.resolve("rootfs/bin"));
            Files.copy(Path.of(busybox), ctx.resolve("rootfs/bin/busybox"));
            Files.writeString(ctx.resolve("rootfs/arch.txt"), arch + "\n");
            Files.writeString(ctx.resolve("Containerfile"), "FROM --platform=linux/" + arch + " scratch\nCOPY rootfs/ /\n");
            String ref = strataHost() + "/lib/plat:" + arch;
            ok("build", "--root", store, "-q", "-t", ref, ctx.toString());
            ok("push", "--root", store, "-q", ref);
            refs.add(ref);
        }
        return refs;
    }

    @Test
    void manifestListsMadeHereAndByPodman() throws Exception {
        ExternalTool.require("podman");
        List<String> images = platformImages();
        // Made by strata, read back by podman.
        ok("manifest", "create", "--root", store, "localhost/multi", images.get(0));
        ok("manifest", "add", "--root", store, "localhost/multi", "docker://" + images.get(1));
        String arm = ok("digest", images.get(1)).out().strip();
        ok("manifest", "annotate", "--root", store, "--annotation", "org.example.note=arm", "localhost/multi", arm);
        JsonNode list = JSON.readTree(ok("manifest", "inspect", "--root", store, "localhost/multi").out());
        assertEquals(2, list.path("manifests").size());
        assertEquals("arm64", list.path("manifests").get(1).path("platform").path("architecture").asText());
        assertEquals("arm", list.path("manifests").get(1).path("annotations").path("org.example.note").asText());
        String pushed = ok("manifest", "push", "--root", store, "localhost/multi", "docker://" + strataHost() + "/lib/multi:v1").out().strip();
        ExternalTool.Result theirs = podmanRun("manifest", "inspect", strataHost() + "/lib/multi:v1");
        assertEquals(0, theirs.exit(), theirs.err());
        JsonNode read = JSON.readTree(theirs.out());
        assertEquals(List.of("amd64", "arm64"), List.of(read.path("manifests").get(0).path("platform").path("architecture").asText(),
                read.path("manifests").get(1).path("platform").path("architecture").asText()));
        assertEquals(pushed + "\n", ok("digest", strataHost() + "/lib/multi:v1").out());

        // Made by podman, read by strata: inspected, pulled whole, each platform run from the one name.
        assertEquals(0, podmanRun("manifest", "create", "localhost/pm").exit());
        for (String image : images) {
            ExternalTool.Result added = podmanRun("manifest", "add", "--tls-verify=false", "localhost/pm", "docker://" + image);
            assertEquals(0, added.exit(), added.err());
        }
        ExternalTool.Result pushedByPodman = podmanRun("manifest", "push", "--all", "--tls-verify=false", "localhost/pm", "docker://" + strataHost() + "/lib/pm:v1");
        assertEquals(0, pushedByPodman.exit(), pushedByPodman.err());
        JsonNode index = JSON.readTree(ok("manifest", "inspect", "docker://" + strataHost() + "/lib/pm:v1").out());
        assertEquals(2, index.path("manifests").size());
        String fresh = tmp.resolve("all-platforms").toString();
        ok("pull", "--root", fresh, "--all-platforms", strataHost() + "/lib/pm:v1");
        for (String arch : List.of("amd64", "arm64")) {
            // busybox is this host's in both images: the arm64 one runs here too, and says what it is.
            Run ran = strata("run", "--root", fresh, "--rm", "--network", "none", "--platform", "linux/" + arch, strataHost() + "/lib/pm:v1",
                    "/bin/busybox", "cat", "/arch.txt");
            assertEquals(arch + "\n", ran.out(), ran.err());
        }
        Run absent = strata("run", "--root", fresh, "--rm", "--network", "none", "--platform", "linux/s390x", strataHost() + "/lib/pm:v1", "true");
        assertTrue(absent.exit() != 0 && absent.err().contains("no linux/s390x image in " + strataHost() + "/lib/pm:v1"), absent.err());

        ok("manifest", "rm", "--root", store, "localhost/multi");
        Run gone = strata("manifest", "inspect", "--root", store, "localhost/multi");
        assertEquals(1, gone.exit());
        assertTrue(gone.err().contains("no manifest list localhost/multi"), gone.err());
    }

    @Test
    void anArtifactIsNotPulledOrRunAsAnImage() throws Exception {
        RegistryClient client = new RegistryClient(strataHost(), true, Optional.empty(), 1);
        RepositoryName repo = new RepositoryName("lib/busybox");
        byte[] empty = "{}".getBytes(StandardCharsets.UTF_8);
        Digest emptyDigest = Digest.sha256(empty);
        client.uploadBlob(repo, new io.strata.oci.Descriptor(MediaType.OCI_EMPTY, emptyDigest, 2),
                (offset, length) -> java.net.http.HttpRequest.BodyPublishers.ofByteArray(empty, (int) offset, (int) length), 1 << 20);
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaType.OCI_MANIFEST + "\",\"artifactType\":\"application/vnd.example.sbom\","
                + "\"config\":{\"mediaType\":\"" + MediaType.OCI_EMPTY + "\",\"digest\":\"" + emptyDigest + "\",\"size\":2},"
                + "\"layers\":[{\"mediaType\":\"" + MediaType.OCI_EMPTY + "\",\"digest\":\"" + emptyDigest + "\",\"size\":2}]}").getBytes(StandardCharsets.UTF_8);
        client.putManifest(repo, "sbom", MediaType.OCI_MANIFEST, manifest, Digest.sha256(manifest));
        Run pulled = strata("pull", "--root", store, strataHost() + "/lib/busybox:sbom");
        assertEquals(1, pulled.exit());
        assertTrue(pulled.err().contains("is an artifact (application/vnd.example.sbom), not an image"), pulled.err());
        Run ran = strata("run", "--root", store, "--rm", strataHost() + "/lib/busybox:sbom");
        assertTrue(ran.exit() != 0 && ran.err().contains("is an artifact (application/vnd.example.sbom), not an image"), ran.err());
    }

    @Test
    void artifactsAndReferrersWithAndWithoutTheReferrersApi() throws Exception {
        try (DistributionRegistry distribution = DistributionRegistry.start(Files.createDirectories(tmp.resolve("distribution")), null)) {
            String other = "127.0.0.1:" + distribution.port();
            Path sbom = Files.writeString(tmp.resolve("sbom.json"), "{\"packages\":[\"busybox\"]}\n");
            Path sig = Files.writeString(tmp.resolve("image.sig"), "signed\n");
            for (String host : List.of(strataHost(), other)) {
                String image = host + "/lib/busybox:v1";
                if (!host.equals(strataHost())) ok("copy", "docker://" + this.image, "docker://" + image);
                String digest = ok("digest", image).out().strip();
                String sbomDigest = ok("artifact", "push", host + "/lib/busybox:sbom", "--artifact-type", "application/vnd.example.sbom+json",
                        "--annotation", "org.example.tool=strata", "--subject", image, sbom + ":application/spdx+json").out().strip();
                Run attached = ok("artifact", "attach", "--subject", image, "--artifact-type", "application/vnd.example.sig", sig.toString());
                String sigDigest = attached.out().strip();
                // A signature of the SBOM: a referrer of a referrer.
                String sbomSig = ok("artifact", "attach", "--subject", host + "/lib/busybox@" + sbomDigest, "--artifact-type",
                        "application/vnd.example.sig", sig.toString()).out().strip();
                boolean api = host.equals(strataHost());
                assertEquals(!api, attached.err().contains("has no referrers API: the referrer was added to the tag sha256-" + digest.substring(7)),
                        "distribution 2.8.2 has no referrers API, Strata has: " + attached.err());

                // The artifact as the registry holds it: artifactType, the empty config, the file as a titled layer, the subject.
                JsonNode manifest = JSON.readTree(ok("inspect", "--raw", "docker://" + host + "/lib/busybox:sbom").out());
                assertEquals("application/vnd.example.sbom+json", manifest.path("artifactType").asText());
                assertEquals(MediaType.OCI_EMPTY, manifest.path("config").path("mediaType").asText());
                assertEquals("sbom.json", manifest.path("layers").get(0).path("annotations").path("org.opencontainers.image.title").asText());
                assertEquals("application/spdx+json", manifest.path("layers").get(0).path("mediaType").asText());
                assertEquals(digest, manifest.path("subject").path("digest").asText());

                String tree = ok("discover", image).out();
                assertEquals(host + "/lib/busybox@" + digest + "\n", tree.lines().findFirst().orElseThrow() + "\n");
                assertTrue(tree.contains("application/vnd.example.sbom+json " + sbomDigest) && tree.contains("application/vnd.example.sig " + sigDigest)
                        && tree.lines().anyMatch(l -> l.matches("(│   |    )└── application/vnd.example.sig " + sbomSig)), "a tree of two referrers, one with its own, from " + host + " (Strata at " + strataHost() + "): " + tree);
                JsonNode json = JSON.readTree(ok("discover", "--format", "json", "--artifact-type", "application/vnd.example.sig", image).out());
                assertEquals(1, json.path("referrers").size(), "only the signature: " + json);
                assertEquals(sigDigest, json.path("referrers").get(0).path("digest").asText());

                Path out = tmp.resolve("pulled-" + (api ? "strata" : "distribution"));
                ok("artifact", "pull", "-o", out.toString(), host + "/lib/busybox:sbom");
                assertEquals(Files.readString(sbom), Files.readString(out.resolve("sbom.json")));
                Run notAnImage = strata("pull", "--root", store, host + "/lib/busybox:sbom");
                assertTrue(notAnImage.exit() != 0 && notAnImage.err().contains("is an artifact (application/vnd.example.sbom+json), not an image"),
                        notAnImage.err());
            }
            // copy --include-referrers: from Strata (the referrers API) to distribution (the fallback tag), the tree the same.
            ok("copy", "--include-referrers", "docker://" + strataHost() + "/lib/busybox:v1", "docker://" + other + "/lib/withrefs:v1");
            String source = ok("discover", strataHost() + "/lib/busybox:v1").out();
            String copiedTree = ok("discover", other + "/lib/withrefs:v1").out();
            assertEquals(source.lines().skip(1).sorted().toList(), copiedTree.lines().skip(1).sorted().toList(),
                    "the same referrers, each with its own: " + copiedTree);
            assertEquals(4, copiedTree.lines().count(), copiedTree);

            // An artifact naming a file with a path is refused, and writes nothing.
            RegistryClient client = new RegistryClient(strataHost(), true, Optional.empty(), 1);
            RepositoryName repo = new RepositoryName("lib/busybox");
            RegistryClient.Fetched sbomManifest = client.manifest(repo, "sbom");
            byte[] hostile = new String(sbomManifest.content(), StandardCharsets.UTF_8).replace("\"sbom.json\"", "\"../escaped.json\"").getBytes(StandardCharsets.UTF_8);
            client.putManifest(repo, "hostile", MediaType.OCI_MANIFEST, hostile, Digest.sha256(hostile));
            Path target = Files.createDirectories(tmp.resolve("hostile/out"));
            Run refused = strata("artifact", "pull", "-o", target.toString(), strataHost() + "/lib/busybox:hostile");
            assertEquals(1, refused.exit());
            assertTrue(refused.err().contains("names a file ../escaped.json: not a plain file name"), refused.err());
            assertTrue(!Files.exists(tmp.resolve("hostile/escaped.json")), "nothing written outside");
        }
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
        return n;
    }
}
