package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.client.ImageBuilder;
import io.strata.oci.ImageConfig;
import io.strata.oci.Manifest;
import io.strata.registry.DistributionRegistry;
import io.strata.registry.ExternalTool;
import io.strata.registry.OciLayouts;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client as a new user meets it: what each network failure says, TLS with a private CA, the
 * same --format and global options in every verb, image IDs, login's destination, and the server's
 * banner. Each test fails on the behaviour before issue 13's fixes.
 */
class ClientUxIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Cli cli() {
        return new Cli(tmp);
    }

    /** An address of this machine that is not loopback: docker's plain-HTTP fallback must not apply to it. */
    private static String externalAddress() throws Exception {
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!ni.isUp() || ni.isLoopback()) continue;
            for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress()) return a.getHostAddress();
            }
        }
        throw new AssertionError("this machine has no non-loopback IPv4 address; the HTTPS checks need one");
    }

    private static void copy(Path layout, String tag, String destination) throws Exception {
        ExternalTool.ok("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":" + tag, "docker://" + destination);
    }

    @Test
    void networkFailuresSayWhatHappenedWithoutRetrying() throws Exception {
        ExternalTool.require("skopeo");
        Cli cli = cli();
        Path store = tmp.resolve("store");
        Cli.Run refused = cli.run(null, "pull", "--no-unpack", "--root", store.toString(), "127.0.0.1:1/lib/app:v1");
        assertEquals(1, refused.exit());
        assertEquals("strata: cannot reach 127.0.0.1:1: connection refused", refused.err().strip());
        // Four retries would add 0.4 + 0.8 + 1.6 + 3.2 s of backoff alone: a refusal on the first try is final.
        assertTrue(refused.millis() < 6000, "no retries: " + refused.millis() + " ms");
        assertEquals("strata: cannot reach nosuchhost.invalid: no such host",
                cli.fails("pull", "--no-unpack", "--root", store.toString(), "nosuchhost.invalid/lib/app:v1"));
        assertFalse(Files.exists(store), "a failed pull creates no store");

        String ip = externalAddress();
        try (Cli.Server server = cli.serve(tmp.resolve("data"), "0.0.0.0", Map.of())) {
            String host = ip + ":" + server.port();
            OciLayouts.Image image = OciLayouts.write(tmp.resolve("layout"), "v1", 1, 1000, 21);
            copy(tmp.resolve("layout"), "v1", host + "/lib/app:v1");
            assertEquals("strata: " + host + " speaks plain HTTP, not HTTPS: use --insecure",
                    cli.fails("pull", "--no-unpack", "--root", store.toString(), host + "/lib/app:v1"));
            assertEquals(image.manifest().toString(),
                    cli.ok("pull", "--no-unpack", "--insecure", "--root", store.toString(), host + "/lib/app:v1").out().strip());
            // A loopback registry without TLS needs no flag (docker's rule for local registries).
            cli.ok("pull", "--no-unpack", "--root", store.toString(), "127.0.0.1:" + server.port() + "/lib/app:v1");
        }
    }

    @Test
    void tlsRegistryWithAPrivateCa() throws Exception {
        ExternalTool.require("openssl");
        ExternalTool.require("skopeo");
        String ip = externalAddress();
        Path pki = Files.createDirectories(tmp.resolve("pki"));
        ExternalTool.ok("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Strata Test CA",
                "-keyout", pki.resolve("ca.key").toString(), "-out", pki.resolve("ca.crt").toString());
        ExternalTool.ok("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=registry",
                "-keyout", pki.resolve("tls.key").toString(), "-out", pki.resolve("tls.csr").toString());
        Files.writeString(pki.resolve("san.cnf"), "subjectAltName=IP:" + ip + ",IP:127.0.0.1\n");
        ExternalTool.ok("openssl", "x509", "-req", "-days", "2", "-in", pki.resolve("tls.csr").toString(),
                "-CA", pki.resolve("ca.crt").toString(), "-CAkey", pki.resolve("ca.key").toString(), "-CAcreateserial",
                "-extfile", pki.resolve("san.cnf").toString(), "-out", pki.resolve("tls.crt").toString());
        Cli cli = cli();
        String store = tmp.resolve("store").toString();
        try (Cli.Server server = cli.serve(tmp.resolve("data"), "0.0.0.0",
                Map.of("STRATA_TLS_CERT", pki.resolve("tls.crt").toString(), "STRATA_TLS_KEY", pki.resolve("tls.key").toString()))) {
            assertTrue(Files.readString(server.log()).contains("listening on https://"), Files.readString(server.log()));
            String host = ip + ":" + server.port();
            OciLayouts.Image image = OciLayouts.write(tmp.resolve("layout"), "v1", 1, 1000, 22);
            copy(tmp.resolve("layout"), "v1", host + "/lib/app:v1");

            assertEquals("strata: TLS handshake with " + host + " failed: certificate not trusted (trust its CA with certs.d/"
                    + host + "/ca.crt, or --tls-verify=false)", cli.fails("pull", "--no-unpack", "--root", store, host + "/lib/app:v1"));
            assertEquals(image.manifest().toString(),
                    cli.ok("pull", "--no-unpack", "--tls-verify=false", "--root", store, host + "/lib/app:v1").out().strip());
            assertEquals("strata: " + host + " closed the connection without an answer: if it speaks HTTPS, drop --insecure",
                    cli.fails("pull", "--no-unpack", "--insecure", "--root", store, host + "/lib/app:v1"));

            // skopeo's --src-cert-dir and --dest-cert-dir: a directory of this registry's files, for copy alone.
            Path certDir = Files.createDirectories(tmp.resolve("cert-dir"));
            Files.copy(pki.resolve("ca.crt"), certDir.resolve("ca.crt"));
            assertTrue(cli.fails("copy", "docker://" + host + "/lib/app:v1", "docker://" + host + "/lib/cert-dir:v1").contains("certificate not trusted"));
            assertEquals(image.manifest().toString(), cli.ok("copy", "--src-cert-dir", certDir.toString(), "--dest-cert-dir", certDir.toString(),
                    "docker://" + host + "/lib/app:v1", "docker://" + host + "/lib/cert-dir:v1").out().strip());

            // The CA in strata's certs.d (docker's layout) makes it trusted, for pull and push alike.
            Path certs = Files.createDirectories(tmp.resolve("config/strata/certs.d").resolve(host));
            Files.copy(pki.resolve("ca.crt"), certs.resolve("ca.crt"));
            cli.ok("pull", "--no-unpack", "--root", store, host + "/lib/app:v1");
            cli.ok("push", "--root", store, host + "/lib/app:v1", host + "/lib/copy:v1");
            String pushed = ExternalTool.ok("skopeo", "inspect", "--cert-dir", certs.toString(), "docker://" + host + "/lib/copy:v1");
            assertEquals(image.manifest().toString(), JSON.readTree(pushed).path("Digest").asText());
            // Loopback: HTTPS is tried first; a certificate that cannot be verified is accepted there, as docker does.
            cli.env.put("XDG_CONFIG_HOME", tmp.resolve("other-config").toString());
            cli.ok("pull", "--no-unpack", "--root", tmp.resolve("store2").toString(), "127.0.0.1:" + server.port() + "/lib/app:v1");
        }
    }

    @Test
    void formatsQuietAndGlobalOptionsInEveryVerb() throws Exception {
        ExternalTool.require("skopeo");
        Cli cli = cli();
        try (Cli.Server server = cli.serve(tmp.resolve("data"), "127.0.0.1", Map.of())) {
            String host = "127.0.0.1:" + server.port();
            Path files = Files.createDirectories(tmp.resolve("files"));
            byte[] noise = new byte[5000]; // incompressible: the layer's size stays in kB once gzipped
            new java.util.Random(1).nextBytes(noise);
            Files.write(files.resolve("a"), noise);
            Files.writeString(files.resolve("b"), "y".repeat(10));
            String twoDaysAgo = Instant.now().minus(2, ChronoUnit.DAYS).truncatedTo(ChronoUnit.SECONDS).toString();
            Manifest m = new ImageBuilder()
                    .layer(ImageBuilder.gnuTar(files, tmp.resolve("1.tar"), List.of("a")))
                    .layer(ImageBuilder.gnuTar(files, tmp.resolve("2.tar"), List.of("b")))
                    .history(twoDaysAgo, List.of(
                            new ImageConfig.History(twoDaysAgo, null, "ADD a /", null, false),
                            new ImageConfig.History(twoDaysAgo, null, "ENV X=1", null, true),
                            new ImageConfig.History(twoDaysAgo, null, "RUN make b", "built", false)))
                    .write(tmp.resolve("layout"), "v1", ImageBuilder.Compression.GZIP);
            copy(tmp.resolve("layout"), "v1", host + "/lib/app:v1");
            String store = tmp.resolve("store").toString();
            String name = host + "/lib/app:v1";

            JsonNode pulled = JSON.readTree(cli.ok("--root", store, "--format", "json", "pull", "--no-unpack", name).out());
            String digest = pulled.path("digest").asText();
            assertTrue(digest.startsWith("sha256:"), pulled.toString());
            String id = digest.substring(7, 19);

            // Global options before the verb, and STRATA_ROOT.
            JsonNode images = JSON.readTree(cli.ok("--root", store, "--format", "json", "images").out());
            assertEquals(name, images.get(0).path("name").asText());
            assertEquals(id, images.get(0).path("id").asText());
            assertEquals(host + "/lib/app", images.get(0).path("repository").asText());
            assertEquals("v1", images.get(0).path("tag").asText());
            cli.env.put("STRATA_ROOT", store);
            assertEquals(id + "\n", cli.ok("images", "-q").out());
            assertEquals(id + "\n", cli.ok("-q", "images").out());
            assertEquals(host + "/lib/app v1 " + id + "\n", cli.ok("images", "--format", "{{.Repository}} {{.Tag}} {{.ID}}").out());
            List<String> table = cli.ok("images", "--format", "table {{.Repository}}\\t{{.Size}}").out().lines().toList();
            assertEquals(2, table.size(), table.toString());
            assertTrue(table.get(0).matches("REPOSITORY +SIZE"), table.get(0));
            String text = cli.ok("images").out();
            assertTrue(text.lines().findFirst().orElseThrow().matches("REPOSITORY +TAG +IMAGE ID +CREATED +SIZE"), text);
            assertTrue(text.contains("2 days ago"), text);

            // History: the table newest first with human sizes and times; JSON as the config has it, with the spec's names.
            List<String> history = cli.ok("history", name).out().lines().toList();
            assertEquals(4, history.size(), history.toString());
            assertTrue(history.get(1).contains("RUN make b") && history.get(1).contains("2 days ago") && history.get(1).contains("built"),
                    history.toString());
            assertTrue(history.get(2).contains("<missing>") && history.get(2).contains("ENV X=1") && history.get(2).contains(" 0B"),
                    history.toString());
            assertTrue(history.get(3).contains("ADD a /") && history.get(3).matches(".*\\d+(\\.\\d+)?kB.*"), history.get(3));
            JsonNode steps = JSON.readTree(cli.ok("history", "--format", "json", name).out());
            assertEquals("ADD a /", steps.get(0).path("created_by").asText());
            assertTrue(steps.get(1).path("empty_layer").asBoolean());
            assertEquals(m.layers().get(1).digest().toString(), steps.get(2).path("layer").asText());
            assertEquals(List.of(m.layers().get(1).digest().encoded().substring(0, 12), "<missing>",
                    m.layers().get(0).digest().encoded().substring(0, 12)), cli.ok("history", "-q", name).out().lines().toList());

            // inspect, by ID prefix, through templates that take Go's spelling too.
            assertEquals("amd64\n", cli.ok("inspect", "--format", "{{.config.architecture}}", id.substring(0, 8)).out());
            assertEquals("amd64\n", cli.ok("inspect", "--format", "{{.Architecture}}", digest).out(), "docker's member names");
            assertEquals("[/bin/sh]\n", cli.ok("inspect", "--format", "{{.Config.Cmd}}", digest).out(),
                    "a list printed as Go's templates print it");
            assertEquals(digest, JSON.readTree(cli.ok("inspect", name).out()).path("digest").asText());
            assertTrue(cli.fails("inspect", "--format", "{{.Nope}}", name).startsWith("strata: template: no field Nope"));

            assertEquals(digest + "\n", cli.ok("push", "--format", "{{.Digest}}", name, host + "/lib/pushed:v1").out());
            assertEquals(0, JSON.readTree(cli.ok("gc", "--format", "json").out()).path("removed").asInt());
            assertTrue(JSON.readTree(cli.ok("ps", "-a", "--format", "json").out()).isArray());
            assertTrue(JSON.readTree(cli.ok("snapshots", "--format", "json").out()).isArray());

            for (List<String> verb : List.of(List.of("images"), List.of("history", name), List.of("inspect", name), List.of("ps"),
                    List.of("snapshots"), List.of("gc"), List.of("pull", "--no-unpack", name))) {
                List<String> args = new java.util.ArrayList<>(verb);
                args.addAll(List.of("--format", "yaml"));
                assertEquals("strata: unknown --format yaml: use table, json or a template such as '{{.Digest}}'",
                        cli.fails(args.toArray(String[]::new)), verb.toString());
            }

            // rmi: several names at once; an ID that several names share needs -f.
            cli.ok("tag", name, "local/a:1");
            cli.ok("tag", name, "local/b:1");
            assertTrue(cli.fails("rmi", id).contains("has several names"));
            assertEquals("Untagged: docker.io/local/a:1\nUntagged: docker.io/local/b:1\n", cli.ok("rmi", "local/a:1", "local/b:1").out());
            cli.ok("tag", name, "local/c:1");
            assertEquals(2, cli.ok("rmi", "-f", id).out().lines().count());
            assertEquals("", cli.ok("images", "-q").out());
        }
    }

    @Test
    void anInterruptedPullOrPushSaysWhatItLeftAndTheNextOneFinishes() throws Exception {
        ExternalTool.require("skopeo");
        Cli cli = cli();
        try (Cli.Server server = cli.serve(tmp.resolve("data"), "127.0.0.1", Map.of())) {
            String ref = "127.0.0.1:" + server.port() + "/lib/big:v1";
            OciLayouts.Image image = OciLayouts.write(tmp.resolve("layout"), "v1", 1, 300_000_000, 25);
            copy(tmp.resolve("layout"), "v1", ref);
            Path store = tmp.resolve("store");
            Path err = tmp.resolve("pull.err");
            Process p = cli.start(err, "pull", "--no-unpack", "--root", store.toString(), ref);
            Path ingest = store.resolve("ingest");
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && !receiving(ingest)) Thread.sleep(5);
            assertTrue(receiving(ingest), "the download started");
            p.toHandle().destroy(); // SIGTERM, as ctrl-C's SIGINT: the JVM runs its shutdown hooks for both
            assertTrue(p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals(143, p.exitValue(), Files.readString(err));
            assertTrue(Files.readString(err).strip().matches("(?s).*\ninterrupted; [\\d.]+[kMG]?B kept, the next pull resumes"),
                    Files.readString(err));
            assertEquals(image.manifest().toString(), cli.ok("pull", "--no-unpack", "--root", store.toString(), ref).out().strip());

            // A push stopped mid-upload cancels its upload sessions: the registry holds none of its bytes.
            try (Cli.Server other = cli.serve(tmp.resolve("data2"), "127.0.0.1", Map.of())) {
                String to = "127.0.0.1:" + other.port() + "/lib/big:v1";
                Path uploads = tmp.resolve("data2/uploads");
                Process push = cli.start(err, "push", "--insecure", "--root", store.toString(), ref, to);
                deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
                while (System.nanoTime() < deadline && !uploading(uploads)) Thread.sleep(5);
                assertTrue(uploading(uploads), "the upload started");
                push.toHandle().destroy();
                assertTrue(push.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
                assertEquals(143, push.exitValue(), Files.readString(err));
                assertTrue(Files.readString(err).strip().endsWith("\ninterrupted; the uploads under way were cancelled, the next push sends what is missing"),
                        Files.readString(err));
                // The registry removes a session once the upload writing to it has ended: the interrupted
                // request's connection closes as the client goes, which can come a moment after the DELETE.
                deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(20);
                while (System.nanoTime() < deadline && uploading(uploads)) Thread.sleep(50);
                assertFalse(uploading(uploads), "no upload session left on the registry\n" + Files.readString(err) + "\n--- registry ---\n"
                        + Files.readString(other.log()));
                cli.ok("push", "--insecure", "--root", store.toString(), ref, to);
            }
        }
    }

    /** Whether a registry's upload sessions under {@code uploads} hold any bytes (read while the registry removes them). */
    private static boolean uploading(Path uploads) throws Exception {
        List<Path> sessions;
        try (var list = Files.list(uploads)) {
            sessions = list.toList();
        } catch (java.nio.file.NoSuchFileException none) {
            return false;
        }
        for (Path session : sessions) {
            try {
                if (Files.size(session.resolve("data")) > 0) return true;
            } catch (java.nio.file.NoSuchFileException removed) {
                // not (or no longer) there
            }
        }
        return false;
    }

    /** Whether a download has more than 1 MB in the store's ingest. */
    static boolean receiving(Path ingest) throws Exception {
        if (!Files.isDirectory(ingest)) return false;
        try (var s = Files.list(ingest)) {
            return s.anyMatch(f -> f.getFileName().toString().startsWith("sha256-") && f.toFile().length() > 1_000_000);
        }
    }

    @Test
    void anExplicitPlatformIsNotSwappedForAnother() throws Exception {
        ExternalTool.require("skopeo");
        Cli cli = cli();
        try (Cli.Server server = cli.serve(tmp.resolve("data"), "127.0.0.1", Map.of())) {
            String host = "127.0.0.1:" + server.port();
            OciLayouts.write(tmp.resolve("layout"), "v1", 1, 1000, 23);
            copy(tmp.resolve("layout"), "v1", host + "/lib/app:v1");
            String store = tmp.resolve("store").toString();
            assertEquals("strata: " + host + "/lib/app:v1 is an image for linux/amd64, not linux/arm64 (it is not a multi-platform index)",
                    cli.fails("pull", "--no-unpack", "--platform", "linux/arm64", "--root", store, host + "/lib/app:v1"));
            assertEquals("", cli.ok("images", "-q", "--root", store).out(), "nothing was named");
            cli.ok("pull", "--no-unpack", "--platform", "linux/amd64", "--root", store, host + "/lib/app:v1");
        }
    }

    @Test
    void loginWritesWhereDockerWouldAndUsesCredentialHelpers() throws Exception {
        ExternalTool.require("htpasswd");
        ExternalTool.require("skopeo");
        Path htpasswd = tmp.resolve("htpasswd");
        Files.writeString(htpasswd, ExternalTool.ok("htpasswd", "-Bbn", "alice", "s3cret"));
        Cli cli = cli();
        try (DistributionRegistry registry = DistributionRegistry.start(Files.createDirectories(tmp.resolve("dist")), htpasswd)) {
            String host = "127.0.0.1:" + registry.port();
            OciLayouts.Image image = OciLayouts.write(tmp.resolve("layout"), "v1", 1, 1000, 24);
            ExternalTool.ok("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--dest-creds", "alice:s3cret",
                    "oci:" + tmp.resolve("layout") + ":v1", "docker://" + host + "/private/app:v1");

            assertEquals("strata: -u USER is needed when standard input is not a terminal", cli.fails("login", host));

            // Docker's config.json is the only config there is: the credentials go there, and it says so.
            Path docker = Files.createDirectories(tmp.resolve("docker"));
            Files.writeString(docker.resolve("config.json"), "{\"auths\":{},\"psFormat\":\"table {{.ID}}\"}");
            Cli.Run login = cli.run("s3cret\n", "login", host, "-u", "alice", "--password-stdin");
            assertEquals(0, login.exit(), login.err());
            assertTrue(login.err().contains("credentials in " + docker.resolve("config.json")), login.err());
            JsonNode config = JSON.readTree(docker.resolve("config.json").toFile());
            assertTrue(config.path("auths").has(host), config.toString());
            assertEquals("table {{.ID}}", config.path("psFormat").asText(), "docker's other settings are kept");
            assertFalse(Files.exists(tmp.resolve("config/strata/config.json")));
            cli.ok("pull", "--no-unpack", "--root", tmp.resolve("s1").toString(), host + "/private/app:v1");
            cli.ok("logout", host);
            assertFalse(JSON.readTree(docker.resolve("config.json").toFile()).path("auths").has(host));

            // A credential helper named by credsStore: docker-credential-NAME on PATH, spoken to as docker does.
            Path bin = Files.createDirectories(tmp.resolve("bin"));
            Path helper = bin.resolve("docker-credential-filetest");
            Files.writeString(helper, """
                    #!/bin/sh
                    # A file-backed credential helper speaking docker's protocol (get, store, erase).
                    dir="$(dirname "$0")/../helper-store"; mkdir -p "$dir"
                    case "$1" in
                      store) cat > "$dir/last"; server=$(sed 's/.*"ServerURL":"\\([^"]*\\)".*/\\1/' "$dir/last");
                             mv "$dir/last" "$dir/$(printf %s "$server" | tr -c 'a-zA-Z0-9' _)" ;;
                      get) read server; f="$dir/$(printf %s "$server" | tr -c 'a-zA-Z0-9' _)";
                           [ -f "$f" ] || { echo "credentials not found in native keychain"; exit 1; }; cat "$f" ;;
                      erase) read server; rm -f "$dir/$(printf %s "$server" | tr -c 'a-zA-Z0-9' _)" ;;
                    esac
                    """);
            Files.setPosixFilePermissions(helper, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.writeString(docker.resolve("config.json"), "{\"auths\":{},\"credsStore\":\"filetest\"}");
            cli.env.put("PATH", bin + ":" + System.getenv("PATH"));
            login = cli.run("s3cret\n", "login", host, "-u", "alice", "--password-stdin");
            assertEquals(0, login.exit(), login.err());
            assertTrue(login.err().contains("credentials in docker-credential-filetest"), login.err());
            assertFalse(Files.readString(docker.resolve("config.json")).contains("s3cret"), "the helper holds the secret");
            assertEquals(image.manifest().toString(),
                    cli.ok("pull", "--no-unpack", "--root", tmp.resolve("s2").toString(), host + "/private/app:v1").out().strip());
        }
    }

    @Test
    void serveSaysWhatItServesAndCanRefuseDeletes() throws Exception {
        Cli cli = cli();
        try (Cli.Server server = cli.serve(tmp.resolve("data"), "127.0.0.1", Map.of("STRATA_STORAGE_DELETE_ENABLED", "false"))) {
            String log = Files.readString(server.log());
            assertTrue(log.matches("(?s)strata \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(Java .*"), log);
            assertTrue(log.contains("listening on http://127.0.0.1:" + server.port() + " (filesystem storage at "
                    + tmp.resolve("data") + "; auth: none; deletes disabled)"), log);
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                            + "/v2/lib/app/manifests/sha256:" + "0".repeat(64))).DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(405, r.statusCode());
            assertEquals("UNSUPPORTED", JSON.readTree(r.body()).path("errors").get(0).path("code").asText());
            String busy = cli.fails("serve", "--listen", "127.0.0.1:" + server.port(), "--root", tmp.resolve("data2").toString());
            assertEquals("strata: cannot listen on 127.0.0.1:" + server.port() + ": the port is in use (--listen HOST:PORT)", busy);
        }
        // Storage that cannot be opened: one line, and the command ends (its shutdown hook waited a minute
        // for a start that had failed, then said "shutdown: TimeoutException").
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        long t0 = System.nanoTime();
        assertEquals("strata: " + file.resolve("data") + ": not a directory",
                cli.fails("serve", "--listen", "127.0.0.1:0", "--root", file.resolve("data").toString()));
        assertTrue(System.nanoTime() - t0 < java.util.concurrent.TimeUnit.SECONDS.toNanos(40), "it did not wait for a registry that never started");
        // Structured logs: after the version line, one JSON object a line, the message as printed.
        try (Cli.Server server = cli.serve(tmp.resolve("data3"), "127.0.0.1", Map.of("STRATA_LOG_FORMAT", "json"))) {
            HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v2/")).build(),
                    HttpResponse.BodyHandlers.discarding());
            Thread.sleep(500);
            List<String> lines = Files.readAllLines(server.log()).stream().skip(1).toList();
            assertTrue(lines.size() >= 2, lines.toString());
            for (String line : lines) {
                JsonNode event = JSON.readTree(line);
                assertFalse(event.path("level").asText().isEmpty(), line);
                assertFalse(event.path("formattedMessage").asText().contains("{}"), line);
            }
            assertTrue(lines.stream().anyMatch(l -> l.contains("method=GET path=\\/v2\\/ status=200")), lines.toString());
        }
    }

    @Test
    void registryGcRunsBesideTheServer() throws Exception {
        ExternalTool.require("skopeo");
        Cli cli = cli();
        Path data = tmp.resolve("data");
        try (Cli.Server server = cli.serve(data, "127.0.0.1", Map.of())) {
            String host = "127.0.0.1:" + server.port();
            OciLayouts.Image image = OciLayouts.write(tmp.resolve("layout"), "v1", 2, 20_000, 26);
            copy(tmp.resolve("layout"), "v1", host + "/lib/app:v1");
            HttpResponse<String> deleted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + host
                    + "/v2/lib/app/manifests/" + image.manifest())).DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(202, deleted.statusCode());
            String dry = cli.ok("registry", "gc", "--root", data.toString(), "--grace", "0s", "--dry-run").out();
            assertTrue(dry.contains("would remove blob " + image.manifest()), dry);
            assertTrue(dry.lines().toList().getLast().matches("would remove 4 blobs \\([\\d.]+kB\\), 3 links, 0 manifests"), dry);
            String run = cli.ok("registry", "gc", "--root", data.toString(), "--grace", "0s").out();
            assertTrue(run.lines().toList().getLast().startsWith("removed 4 blobs"), run);
            assertTrue(cli.ok("registry", "gc", "--root", data.toString()).out().strip().startsWith("removed 0 blobs"));
            HttpResponse<String> gone = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://" + host
                    + "/v2/lib/app/blobs/" + image.blobs().getFirst())).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(404, gone.statusCode(), "the running server no longer serves it");
        }
    }

    @Test
    void completionAndManPages() throws Exception {
        ExternalTool.require("asciidoctor");
        Cli cli = cli();
        String script = cli.ok("completion").out();
        assertTrue(script.contains("complete -F") && script.contains("pull") && script.contains("--tls-verify"), script.substring(0, 200));
        cli.ok("man", tmp.resolve("man").toString());
        for (String page : List.of("strata.1", "strata-pull.1", "strata-images.1")) {
            String roff = Files.readString(tmp.resolve("man/man1").resolve(page));
            assertTrue(roff.contains(".TH \"STRATA"), page + ": " + roff.substring(0, Math.min(300, roff.length())));
        }
        assertTrue(Files.readString(tmp.resolve("man/man1/strata-pull.1")).contains("tls\\-verify"));
    }
}
