package io.strata.registry;

import static io.strata.registry.ExternalTool.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.oci.Digest;
import io.strata.storage.S3ProxyFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/** skopeo (Debian's package), a real registry client, against Strata on both drivers. */
class SkopeoInteropTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final S3ProxyFixture s3 = S3ProxyFixture.shared();

    @TempDir
    Path tmp;



    @BeforeEach
    void needSkopeo() {
        ExternalTool.require("skopeo");
    }

    private Registry start(String driver) throws Exception {
        String storage = driver.equals("filesystem")
                ? "storage:\n  filesystem:\n    root: " + tmp.resolve("data") + "\n"
                : S3RegistryTest.s3StorageYaml(s3, "skopeo-" + UUID.randomUUID() + "/");
        Path file = tmp.resolve("strata.yml");
        Files.writeString(file, "listen: 127.0.0.1:0\nlog:\n  access: false\n" + storage);
        return Registry.start(RegistryConfig.load(file, Map.of()));
    }

    @ParameterizedTest
    @ValueSource(strings = {"filesystem", "s3"})
    void pushCopyInspectListDelete(String driver) throws Exception {
        try (Registry registry = start(driver)) {
            String host = "127.0.0.1:" + registry.port();
            Path layout = tmp.resolve("layout");
            // Three layers, one over 5 MiB so S3 takes the multipart path.
            var image = OciLayouts.write(layout, "v1", 3, 6 * 1024 * 1024, 7);
            String tls = "--dest-tls-verify=false";

            ok("skopeo", "copy", "--quiet", tls, "oci:" + layout + ":v1", "docker://" + host + "/lib/app:v1");
            String raw = ok("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + host + "/lib/app:v1");
            assertEquals(image.manifest(), Digest.sha256(raw.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                    "the registry serves the manifest byte for byte");

            JsonNode inspect = JSON.readTree(ok("skopeo", "inspect", "--tls-verify=false", "docker://" + host + "/lib/app:v1"));
            assertEquals(image.manifest().toString(), inspect.path("Digest").asText());
            assertEquals(3, inspect.path("Layers").size());

            // Out again, into a fresh layout: same manifest, every blob present and intact.
            Path back = tmp.resolve("back");
            ok("skopeo", "copy", "--quiet", "--src-tls-verify=false", "docker://" + host + "/lib/app:v1", "oci:" + back + ":v1");
            assertEquals(image.manifest(), OciLayouts.manifestOf(back, "v1"));
            for (Digest d : image.blobs()) assertTrue(OciLayouts.hasBlob(back, d), "blob " + d + " came back whole");

            // Registry to registry, across repositories (skopeo mounts or re-uploads).
            ok("skopeo", "copy", "--quiet", "--src-tls-verify=false", tls,
                    "docker://" + host + "/lib/app:v1", "docker://" + host + "/other/copy:v2");
            JsonNode copied = JSON.readTree(ok("skopeo", "inspect", "--tls-verify=false", "docker://" + host + "/other/copy:v2"));
            assertEquals(image.manifest().toString(), copied.path("Digest").asText());

            ok("skopeo", "copy", "--quiet", tls, "oci:" + layout + ":v1", "docker://" + host + "/lib/app:latest");
            JsonNode tags = JSON.readTree(ok("skopeo", "list-tags", "--tls-verify=false", "docker://" + host + "/lib/app"));
            assertEquals(List.of("latest", "v1"), List.of(tags.path("Tags").get(0).asText(), tags.path("Tags").get(1).asText()));

            ok("skopeo", "delete", "--tls-verify=false", "docker://" + host + "/other/copy@" + image.manifest());
            var gone = ExternalTool.run(List.of("skopeo", "inspect", "--tls-verify=false", "docker://" + host + "/other/copy:v2"));
            assertNotEquals(0, gone.exit(), "deleted manifest is gone: " + gone.out());
            ok("skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + host + "/lib/app:v1");
        }
    }
}
