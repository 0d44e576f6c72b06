package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.registry.DistributionRegistry;
import io.strata.registry.ExternalTool;
import io.strata.registry.OciLayouts;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client verbs of ./strata as a user runs them, against ./strata serve and distribution. */
class ClientCliIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Cli cli() {
        return new Cli(tmp);
    }

    private Cli.Run strata(String stdin, String... args) throws Exception {
        return cli().run(stdin, args);
    }

    private Cli.Run ok(String... args) throws Exception {
        return cli().ok(args);
    }

    @Test
    void pullImagesHistoryTagPushRmiGc() throws Exception {
        ExternalTool.require("skopeo");
        try (Cli.Server server = cli().serve(tmp.resolve("data"), "127.0.0.1", java.util.Map.of())) {
            String host = "127.0.0.1:" + server.port();
            Path layout = tmp.resolve("layout");
            OciLayouts.Image image = OciLayouts.write(layout, "v1", 2, 50_000, 5);
            ExternalTool.ok("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":v1", "docker://" + host + "/lib/app:v1");
            String store = tmp.resolve("store").toString();

            Cli.Run pull = ok("pull", "--root", store, host + "/lib/app:v1");
            assertEquals(image.manifest().toString(), pull.out().trim(), "pull prints the digest");
            Cli.Run again = ok("pull", "--root", store, host + "/lib/app:v1");
            assertEquals(2, again.err().lines().filter(l -> l.endsWith("Already exists")).count(), "both layers: " + again.err());

            JsonNode images = JSON.readTree(ok("images", "--root", store, "--format", "json").out());
            assertEquals(host + "/lib/app:v1", images.get(0).path("name").asText());
            assertEquals(image.manifest().toString(), images.get(0).path("digest").asText());
            JsonNode inspect = JSON.readTree(ok("inspect", "--root", store, host + "/lib/app:v1").out());
            assertEquals("amd64", inspect.path("config").path("architecture").asText());
            JsonNode history = JSON.readTree(ok("history", "--root", store, "--format", "json", host + "/lib/app:v1").out());
            assertEquals(2, history.size());

            ok("tag", "--root", store, host + "/lib/app:v1", host + "/other/app:v2");
            Cli.Run push = ok("push", "--root", store, host + "/other/app:v2");
            assertEquals(image.manifest().toString(), push.out().trim());
            assertTrue(push.err().contains("Mounted from lib/app"), "same registry: mounted, not uploaded\n" + push.err());
            String pushed = ExternalTool.ok("skopeo", "inspect", "--tls-verify=false", "docker://" + host + "/other/app:v2");
            assertEquals(image.manifest().toString(), JSON.readTree(pushed).path("Digest").asText());

            ok("rmi", "--root", store, host + "/lib/app:v1");
            assertEquals("removed 0 blobs, 0 bytes, 0 snapshots", ok("gc", "--root", store, "--grace", "0").out().trim(),
                    "the other name still uses every blob");
            ok("rmi", "--root", store, host + "/other/app:v2");
            assertEquals("removed 4 blobs", ok("gc", "--root", store, "--grace", "0").out().trim().replaceAll(",.*", ""));

            Cli.Run missing = strata(null, "pull", "--root", store, host + "/lib/none:v1");
            assertEquals(1, missing.exit());
            assertEquals(1, missing.err().lines().filter(l -> l.startsWith("strata: ")).count(), missing.err());
        }
    }

    @Test
    void loginChecksCredentialsAndLogoutForgetsThem() throws Exception {
        ExternalTool.require("htpasswd");
        Path htpasswd = tmp.resolve("htpasswd");
        Files.writeString(htpasswd, ExternalTool.ok("htpasswd", "-Bbn", "alice", "s3cret"));
        try (DistributionRegistry registry = DistributionRegistry.start(Files.createDirectories(tmp.resolve("dist")), htpasswd)) {
            String host = "127.0.0.1:" + registry.port();
            Cli.Run wrong = strata("nope\n", "login", host, "-u", "alice", "--password-stdin");
            assertEquals(1, wrong.exit(), "wrong password refused");
            assertTrue(wrong.err().contains("unauthorized"), wrong.err());
            Cli.Run right = strata("s3cret\n", "login", host, "-u", "alice", "--password-stdin");
            assertEquals(0, right.exit(), right.err());
            Path file = tmp.resolve("config/strata/config.json");
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
            assertTrue(JSON.readTree(file.toFile()).path("auths").has(host));

            // The stored credentials are used: push to the protected registry with skopeo's help, then pull.
            Path layout = tmp.resolve("layout");
            OciLayouts.Image image = OciLayouts.write(layout, "v1", 1, 1000, 6);
            ExternalTool.ok("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--dest-creds", "alice:s3cret",
                    "oci:" + layout + ":v1", "docker://" + host + "/private/app:v1");
            Cli.Run pull = ok("pull", "--root", tmp.resolve("store").toString(), host + "/private/app:v1");
            assertEquals(image.manifest().toString(), pull.out().trim());

            ok("logout", host);
            assertTrue(!JSON.readTree(file.toFile()).path("auths").has(host));
            Cli.Run denied = strata(null, "pull", "--root", tmp.resolve("store2").toString(), host + "/private/app:v1");
            assertEquals(1, denied.exit());
            assertTrue(denied.err().contains("strata login"), denied.err());
        }
    }

    @Test
    void verbsThatOnlyReadCreateNothing() throws Exception {
        Path missing = tmp.resolve("no-store");
        for (String verb : List.of("images", "snapshots", "ps")) {
            Cli.Run r = strata(null, verb, "--root", missing.toString());
            assertEquals(0, r.exit(), verb + ": " + r.err());
            assertTrue(!Files.exists(missing), verb + " created the store");
        }
        // A layout another tool wrote is read, and left exactly as it was.
        Path layout = tmp.resolve("layout");
        OciLayouts.write(layout, "v1", 1, 1000, 3);
        List<String> before;
        try (var walk = Files.walk(layout)) {
            before = walk.map(Path::toString).sorted().toList();
        }
        ok("images", "--root", layout.toString());
        ok("inspect", "--root", layout.toString(), "v1");
        ok("history", "--root", layout.toString(), "v1");
        ok("snapshots", "--root", layout.toString());
        try (var walk = Files.walk(layout)) {
            assertEquals(before, walk.map(Path::toString).sorted().toList(), "nothing was added to the layout");
        }
    }
}
