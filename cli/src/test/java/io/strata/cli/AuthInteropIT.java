package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.registry.Daemon;
import io.strata.registry.ExternalTool;
import io.strata.registry.OciLayouts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A private Strata registry as real clients meet it, in htpasswd mode and in token mode with the
 * built-in issuer: strata, skopeo, podman, docker and containerd's ctr log in (or pass credentials),
 * push and pull; without credentials they are refused; and no password or token reaches the log.
 */
class AuthInteropIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static String[] concat(List<String> base, String... more) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private Cli.Server serve(Cli cli, String mode) throws Exception {
        Path htpasswd = tmp.resolve("htpasswd");
        Files.writeString(htpasswd, ExternalTool.ok("htpasswd", "-Bbn", "alice", "s3cret"));
        Path policy = tmp.resolve("access.yml");
        Files.writeString(policy, """
                rules:
                  - repositories: ["**"]
                    users: [alice]
                    actions: [pull, push, delete]
                  - catalog: true
                    users: [alice]
                """);
        // Configured through the environment, as a container would be.
        Map<String, String> env = new java.util.HashMap<>(Map.of("STRATA_AUTH_MODE", mode,
                "STRATA_AUTH_HTPASSWD_PATH", htpasswd.toString(), "STRATA_AUTH_POLICY", policy.toString()));
        if (mode.equals("token")) {
            Path key = tmp.resolve("issuer.pem");
            ExternalTool.ok("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key.toString());
            env.put("STRATA_AUTH_ISSUER_ENABLED", "true");
            env.put("STRATA_AUTH_ISSUER_PRIVATEKEY", key.toString());
        }
        return cli.serve(tmp.resolve("data"), "127.0.0.1", env);
    }

    @ParameterizedTest
    @ValueSource(strings = {"htpasswd", "token"})
    void realClientsLogInPushAndPull(String mode) throws Exception {
        for (String tool : List.of("htpasswd", "openssl", "skopeo", "podman", "dockerd", "docker", "containerd", "ctr")) {
            ExternalTool.require(tool);
        }
        Cli cli = new Cli(tmp);
        try (Cli.Server server = serve(cli, mode)) {
            String host = "127.0.0.1:" + server.port();
            OciLayouts.Image image = OciLayouts.write(tmp.resolve("layout"), "v1", 2, 20_000, 31);
            String ref = host + "/team/app:v1";

            // skopeo: refused without credentials, then with --creds.
            var anonymous = ExternalTool.run(List.of("skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                    "oci:" + tmp.resolve("layout") + ":v1", "docker://" + ref));
            assertNotEquals(0, anonymous.exit(), "an anonymous push is refused");
            assertTrue(anonymous.err().contains("401") || anonymous.err().toLowerCase().contains("unauthorized")
                    || anonymous.err().toLowerCase().contains("authentication required"), anonymous.err());
            ExternalTool.ok("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "--dest-creds", "alice:s3cret",
                    "oci:" + tmp.resolve("layout") + ":v1", "docker://" + ref);
            String inspected = ExternalTool.ok("skopeo", "inspect", "--tls-verify=false", "--creds", "alice:s3cret", "docker://" + ref);
            assertEquals(image.manifest().toString(), JSON.readTree(inspected).path("Digest").asText());

            // strata: login, pull, push under another name.
            String store = tmp.resolve("store").toString();
            assertEquals(1, cli.run(null, "pull", "--no-unpack", "--root", tmp.resolve("s0").toString(), ref).exit(), "no credentials yet");
            Cli.Run login = cli.run("s3cret\n", "login", host, "-u", "alice", "--password-stdin");
            assertEquals(0, login.exit(), login.err());
            assertEquals(image.manifest().toString(), cli.ok("pull", "--no-unpack", "--root", store, ref).out().strip());
            cli.ok("push", "--root", store, ref, host + "/team/from-strata:v1");

            // podman: login into its own auth file, push, pull.
            Path podmanDir = Files.createDirectories(tmp.resolve("podman"));
            List<String> podman = List.of("podman", "--root", podmanDir.resolve("root").toString(), "--runroot",
                    podmanDir.resolve("run").toString(), "--storage-driver", "vfs");
            String authfile = podmanDir.resolve("auth.json").toString();
            var podmanLogin = new ProcessBuilder(concat(podman, "login", "--authfile", authfile, "--tls-verify=false", "-u", "alice",
                    "--password-stdin", host)).redirectErrorStream(true).start();
            try (var in = podmanLogin.getOutputStream()) {
                in.write("s3cret\n".getBytes());
            }
            String said = new String(podmanLogin.getInputStream().readAllBytes());
            assertEquals(0, podmanLogin.waitFor(), said);
            ExternalTool.ok(concat(podman, "pull", "--quiet", "--authfile", authfile, "--tls-verify=false", ref));
            ExternalTool.ok(concat(podman, "tag", ref, host + "/team/from-podman:v1"));
            ExternalTool.ok(concat(podman, "push", "--quiet", "--authfile", authfile, "--tls-verify=false", host + "/team/from-podman:v1"));

            // containerd's ctr with --user.
            try (Daemon containerd = Daemon.containerd(Files.createDirectories(tmp.resolve("containerd")))) {
                String address = "--address=" + containerd.socket();
                var refused = ExternalTool.run(List.of("ctr", address, "images", "pull", "--plain-http", ref));
                assertNotEquals(0, refused.exit(), "ctr without --user is refused");
                ExternalTool.ok("ctr", address, "images", "pull", "--plain-http", "--user", "alice:s3cret", ref);
                ExternalTool.ok("ctr", address, "images", "tag", ref, host + "/team/from-ctr:v1");
                ExternalTool.ok("ctr", address, "images", "push", "--plain-http", "--user", "alice:s3cret", host + "/team/from-ctr:v1");
            }

            // docker: login, push an imported image, pull it back.
            Path dockerDir = Files.createDirectories(tmp.resolve("docker"));
            try (Daemon dockerd = Daemon.dockerd(dockerDir)) {
                List<String> docker = List.of("docker", "--config", dockerDir.resolve("client").toString(), "--host",
                        "unix://" + dockerd.socket());
                Path rootfs = Files.createDirectories(dockerDir.resolve("rootfs"));
                Files.writeString(rootfs.resolve("hello.txt"), "hello " + mode);
                Path tar = dockerDir.resolve("rootfs.tar");
                ExternalTool.ok("tar", "-C", rootfs.toString(), "-cf", tar.toString(), ".");
                String dockerRef = host + "/team/from-docker:v1";
                ExternalTool.ok(concat(docker, "import", tar.toString(), dockerRef));
                var refused = ExternalTool.run(List.of(concat(docker, "push", dockerRef)));
                assertNotEquals(0, refused.exit(), "docker push without login is refused");
                var dockerLogin = new ProcessBuilder(concat(docker, "login", "-u", "alice", "--password-stdin", host))
                        .redirectErrorStream(true).start();
                try (var in = dockerLogin.getOutputStream()) {
                    in.write("s3cret\n".getBytes());
                }
                String dockerSaid = new String(dockerLogin.getInputStream().readAllBytes());
                assertEquals(0, dockerLogin.waitFor(), dockerSaid);
                ExternalTool.ok(concat(docker, "push", dockerRef));
                ExternalTool.ok(concat(docker, "rmi", "--force", dockerRef));
                ExternalTool.ok(concat(docker, "pull", dockerRef));
            }

            // Everything the clients pushed is there, and readable with the credentials only.
            for (String repo : List.of("team/from-strata", "team/from-podman", "team/from-ctr", "team/from-docker")) {
                ExternalTool.ok("skopeo", "inspect", "--tls-verify=false", "--creds", "alice:s3cret", "docker://" + host + "/" + repo + ":v1");
            }
        }
        String log = Files.readString(serverLog());
        assertFalse(log.contains("s3cret"), "no password in the log");
        assertFalse(log.contains("Authorization") || log.contains("Bearer ey") || log.contains("Basic YWxp"), "no credentials in the log");
        assertTrue(log.contains("auth: " + mode), log.lines().limit(3).toList().toString());
    }

    private Path serverLog() throws Exception {
        try (var s = Files.list(tmp)) {
            return s.filter(p -> p.getFileName().toString().startsWith("server") && p.toString().endsWith(".log")).findFirst().orElseThrow();
        }
    }
}
