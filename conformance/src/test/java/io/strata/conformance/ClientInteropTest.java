package io.strata.conformance;

import static io.strata.registry.ExternalTool.ok;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.oci.Digest;
import io.strata.registry.Daemon;
import io.strata.registry.ExternalTool;
import io.strata.registry.OciLayouts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real clients from Debian's packages against Strata. Every test checks digests and content, not
 * exit codes alone. A missing client fails in CI and is skipped, loudly, elsewhere.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Tag("interop")
@ExtendWith(ConformanceExtension.class)
class ClientInteropTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int LAYERS = 3;
    static final int FILE_SIZE = 300_000;
    static final long SEED = 99;

    RegistryTarget strata;
    String host;
    OciLayouts.Image image;
    Path layout;

    @TempDir
    Path tmp;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        strata = Targets.strata("filesystem");
        host = ((Targets.Embedded) strata).hostPort();
        layout = dir.resolve("layout");
        image = OciLayouts.write(layout, "v1", LAYERS, FILE_SIZE, SEED);
    }

    @AfterAll
    void stop() throws Exception {
        strata.close();
    }

    /** The source image in Strata under {@code repo}:v1, pushed by skopeo from the OCI layout. */
    private String pushed(String repo) throws Exception {
        ExternalTool.require("skopeo");
        ok("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":v1", "docker://" + host + "/" + repo + ":v1");
        return host + "/" + repo + ":v1";
    }

    private void assertFiles(Path rootfs) throws Exception {
        for (int i = 0; i < LAYERS; i++) {
            assertArrayEquals(OciLayouts.fileContent(i, FILE_SIZE, SEED), Files.readAllBytes(rootfs.resolve("layer" + i + "/file.bin")),
                    "layer " + i + " unpacked byte for byte");
        }
    }

    @Test
    @Tag("client-skopeo+umoci")
    void umociUnpacksAnImageCopiedOutOfStrata() throws Exception {
        ExternalTool.require("umoci");
        String ref = pushed("interop/umoci");
        Path out = tmp.resolve("out");
        ok("skopeo", "copy", "--quiet", "--src-tls-verify=false", "docker://" + ref, "oci:" + out + ":v1");
        assertEquals(image.manifest(), OciLayouts.manifestOf(out, "v1"));
        Path bundle = tmp.resolve("bundle");
        ok("umoci", "unpack", "--image", out + ":v1", bundle.toString());
        assertFiles(bundle.resolve("rootfs"));
        JsonNode config = JSON.readTree(bundle.resolve("config.json").toFile());
        assertTrue(config.path("ociVersion").asText().startsWith("1."), "umoci wrote a runtime bundle: " + config);
    }

    /** The config's diff_ids of an image in Strata, as skopeo reads them. */
    private List<String> diffIds(String ref) throws Exception {
        JsonNode config = JSON.readTree(ok("skopeo", "inspect", "--config", "--tls-verify=false", "docker://" + ref));
        List<String> out = new ArrayList<>();
        config.path("rootfs").path("diff_ids").forEach(d -> out.add(d.asText()));
        return out;
    }

    private String manifestDigest(String ref) throws Exception {
        return JSON.readTree(ok("skopeo", "inspect", "--tls-verify=false", "docker://" + ref)).path("Digest").asText();
    }

    @Test
    @Tag("client-containerd")
    void containerdPullsFromAndPushesToStrata() throws Exception {
        ExternalTool.require("containerd");
        ExternalTool.require("ctr");
        String ref = pushed("interop/containerd");
        try (Daemon containerd = Daemon.containerd(Files.createDirectories(tmp.resolve("containerd")))) {
            String address = "--address=" + containerd.socket();
            ok("ctr", address, "images", "pull", "--plain-http", ref);
            String listed = ok("ctr", address, "images", "ls");
            assertTrue(listed.lines().anyMatch(l -> l.startsWith(ref + " ") && l.contains(image.manifest().toString())),
                    "containerd holds the image under Strata's digest:\n" + listed);
            String content = ok("ctr", address, "content", "ls", "--quiet");
            for (Digest d : image.blobs()) assertTrue(content.contains(d.toString()), "containerd fetched " + d);

            String back = host + "/interop/from-containerd:v1";
            ok("ctr", address, "images", "tag", ref, back);
            ok("ctr", address, "images", "push", "--plain-http", back);
            assertEquals(image.manifest().toString(), manifestDigest(back), "pushed back byte for byte");
        }
    }

    @Test
    @Tag("client-podman")
    void podmanPullsFromAndPushesToStrata() throws Exception {
        ExternalTool.require("podman");
        String ref = pushed("interop/podman");
        Path dir = Files.createDirectories(tmp.resolve("podman"));
        List<String> podman = List.of("podman", "--root", dir.resolve("root").toString(), "--runroot",
                dir.resolve("run").toString(), "--storage-driver", "vfs");
        ok(concat(podman, "pull", "--quiet", "--tls-verify=false", ref));
        String digest = ok(concat(podman, "image", "inspect", "--format", "{{.Digest}}", ref)).trim();
        assertEquals(image.manifest().toString(), digest, "podman pulled Strata's manifest");
        String back = host + "/interop/from-podman:v1";
        ok(concat(podman, "tag", ref, back));
        ok(concat(podman, "push", "--quiet", "--tls-verify=false", back));
        // podman writes its own manifest; the layers it describes are the same.
        assertEquals(diffIds(ref), diffIds(back));
    }

    @Test
    @Tag("client-docker")
    void dockerPushesToAndPullsFromStrata() throws Exception {
        ExternalTool.require("dockerd");
        ExternalTool.require("docker");
        Path dir = Files.createDirectories(tmp.resolve("docker"));
        try (Daemon dockerd = Daemon.dockerd(dir)) {
            List<String> docker = List.of("docker", "--host", "unix://" + dockerd.socket());
            // A base image from a root filesystem tar: the three files of our layout's layers.
            Path rootfs = Files.createDirectories(dir.resolve("rootfs"));
            for (int i = 0; i < LAYERS; i++) {
                Files.createDirectories(rootfs.resolve("layer" + i));
                Files.write(rootfs.resolve("layer" + i + "/file.bin"), OciLayouts.fileContent(i, FILE_SIZE, SEED));
            }
            Path tar = dir.resolve("rootfs.tar");
            ok("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".");
            String ref = host + "/interop/docker:v1";
            ok(concat(docker, "import", tar.toString(), ref));
            String layers = ok(concat(docker, "image", "inspect", "--format", "{{json .RootFS.Layers}}", ref)).trim();
            ok(concat(docker, "push", ref));
            String pushedDigest = manifestDigest(ref);
            assertEquals(layers, JSON.writeValueAsString(diffIds(ref)), "Strata holds the layers docker pushed");

            ok(concat(docker, "rmi", "--force", ref));
            ok(concat(docker, "pull", ref));
            assertEquals(layers, ok(concat(docker, "image", "inspect", "--format", "{{json .RootFS.Layers}}", ref)).trim());
            String repoDigests = ok(concat(docker, "image", "inspect", "--format", "{{json .RepoDigests}}", ref));
            assertTrue(repoDigests.contains(pushedDigest), "docker pulled the manifest it pushed: " + repoDigests);
        }
    }

    private static String[] concat(List<String> base, String... more) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}
