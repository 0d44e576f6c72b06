package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.strata.oci.Digest;
import io.strata.registry.Daemon;
import io.strata.registry.ExternalTool;
import io.strata.registry.OciLayouts;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The published docker-compose.yml, run: the registry's image as jib builds it (on an empty base,
 * with a runtime made from this machine's JDK, since Docker Hub is out of reach), its S3 service
 * replaced by S3Proxy from Maven Central in a second local image, every service on the host's
 * network (dockerd runs here without a bridge). skopeo pushes an image through it and pulls it
 * back; the registry's own healthcheck must report it healthy, and the blobs must be in S3.
 */
class ComposeIT {
    private static final Path CLI = Path.of(System.getProperty("user.dir"));
    private static final Path REPO = CLI.getParent();
    private static final Path BUILT = CLI.resolve("target/compose");

    @TempDir
    Path dir;

    private List<String> docker;
    private List<String> compose;

    @Test
    void composeRunsTheRegistryOnS3AndRealClientsPushAndPull() throws Exception {
        ExternalTool.requireRoot();
        for (String tool : List.of("dockerd", "docker", "docker-compose", "skopeo", "busybox", "bash")) ExternalTool.require(tool);
        for (String built : List.of("registry-app.tar", "s3proxy.jar")) {
            assertTrue(Files.exists(BUILT.resolve(built)), BUILT.resolve(built) + " is made by the cli module's pre-integration-test phase");
        }
        // The compose file's ports, on the host's network.
        for (int port : List.of(5000, 9000)) {
            try (ServerSocket s = new ServerSocket(port)) {
                s.setReuseAddress(true);
            } catch (java.io.IOException e) {
                fail("port " + port + " is in use; ComposeIT runs docker-compose.yml, which listens there");
            }
        }
        Path rootfs = dir.resolve("rootfs.tar");
        ExternalTool.ok("bash", CLI.resolve("src/test/compose/rootfs.sh").toString(), System.getProperty("java.home"), rootfs.toString());

        Path dockerDir = Files.createDirectories(dir.resolve("docker"));
        try (Daemon dockerd = Daemon.dockerd(dockerDir)) {
            docker = List.of("docker", "--config", dockerDir.resolve("client").toString(), "--host", "unix://" + dockerd.socket());
            compose = List.of("docker-compose", "--host", "unix://" + dockerd.socket(), "--project-name", "stratatest",
                    "--file", composeFile().toString());
            buildImages(rootfs);
            try {
                run(compose, "up", "--detach");
                awaitHealthy("stratatest_registry_1");
                pushAndPull();
            } catch (AssertionError | Exception e) {
                throw new AssertionError(e.getMessage() + "\n--- docker-compose logs ---\n" + ExternalTool.run(cmd(compose, "logs", "--no-color")), e);
            } finally {
                ExternalTool.run(cmd(compose, "down", "--volumes"));
            }
        }
    }

    /** strata/registry:latest (the name docker-compose.yml runs) = jib's layers + the local runtime; and S3Proxy. */
    private void buildImages(Path rootfs) throws Exception {
        run(docker, "load", "--input", BUILT.resolve("registry-app.tar").toString());
        Path registry = Files.createDirectories(dir.resolve("registry-image"));
        Files.move(rootfs, registry.resolve("rootfs.tar"));
        Files.writeString(registry.resolve("Dockerfile"), "FROM strata/registry-app:test\nADD rootfs.tar /\n");
        run(docker, "build", "--network", "none", "--tag", "strata/registry:latest", registry.toString());

        Path s3proxy = Files.createDirectories(dir.resolve("s3proxy-image"));
        Files.move(registry.resolve("rootfs.tar"), s3proxy.resolve("rootfs.tar"));
        Files.copy(BUILT.resolve("s3proxy.jar"), s3proxy.resolve("s3proxy.jar"));
        // The credentials docker-compose.yml gives MinIO and the registry; a bucket is a directory of the volume.
        Files.writeString(s3proxy.resolve("s3proxy.conf"), """
                s3proxy.endpoint=http://0.0.0.0:9000
                s3proxy.authorization=aws-v2-or-v4
                s3proxy.identity=strata
                s3proxy.credential=strata-secret
                jclouds.provider=filesystem
                jclouds.identity=strata
                jclouds.credential=strata-secret
                jclouds.filesystem.basedir=/data
                """);
        Files.writeString(s3proxy.resolve("Dockerfile"), """
                FROM scratch
                ADD rootfs.tar /
                COPY s3proxy.jar s3proxy.conf /s3proxy/
                ENTRYPOINT ["sh", "-c", "mkdir -p /data/strata && exec java -jar /s3proxy/s3proxy.jar --properties /s3proxy/s3proxy.conf"]
                """);
        run(docker, "build", "--network", "none", "--tag", "strata-test/s3proxy:latest", s3proxy.toString());
    }

    /**
     * The published file with what must differ here: S3Proxy in MinIO's place, every service on the
     * host's network (so no port mappings, and MinIO's name is 127.0.0.1). Everything else (the
     * registry's image, environment, dependencies, healthcheck and volumes) is the file's own.
     */
    private Path composeFile() throws Exception {
        var yaml = new com.fasterxml.jackson.databind.ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) yaml.readTree(REPO.resolve("docker-compose.yml").toFile());
        var services = (com.fasterxml.jackson.databind.node.ObjectNode) tree.get("services");
        for (String name : List.of("minio", "minio-bucket", "registry")) {
            var service = (com.fasterxml.jackson.databind.node.ObjectNode) services.get(name);
            assertTrue(service != null, "docker-compose.yml has no service " + name);
            service.remove("ports");
            service.put("network_mode", "host");
        }
        var minio = (com.fasterxml.jackson.databind.node.ObjectNode) services.get("minio");
        minio.put("image", "strata-test/s3proxy:latest");
        minio.remove("command");
        minio.set("healthcheck", yaml.readTree("""
                test: ["CMD", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9000"]
                interval: 1s
                retries: 120
                """));
        var bucket = (com.fasterxml.jackson.databind.node.ObjectNode) services.get("minio-bucket");
        bucket.put("image", "strata-test/s3proxy:latest");
        bucket.putArray("entrypoint").add("true"); // S3Proxy's image makes the bucket's directory itself
        var env = (com.fasterxml.jackson.databind.node.ObjectNode) services.get("registry").get("environment");
        assertEquals("http://minio:9000", env.path("STRATA_STORAGE_S3_ENDPOINT").asText());
        env.put("STRATA_STORAGE_S3_ENDPOINT", "http://127.0.0.1:9000");
        Path f = dir.resolve("docker-compose.yml");
        yaml.writeValue(f.toFile(), tree);
        return f;
    }

    private void awaitHealthy(String container) throws Exception {
        String status = "";
        for (int i = 0; i < 240; i++) {
            status = ExternalTool.run(cmd(docker, "inspect", "--format", "{{.State.Health.Status}}", container)).out().trim();
            if (status.equals("healthy")) return;
            if (status.equals("unhealthy")) break; // its healthcheck ran and failed its retries
            Thread.sleep(500);
        }
        fail(container + " is not healthy: " + status + "\n" + ExternalTool.run(cmd(docker, "inspect", "--format",
                "{{json .State.Health}}", container)).out());
    }

    private void pushAndPull() throws Exception {
        Path layout = dir.resolve("layout");
        OciLayouts.Image image = OciLayouts.write(layout, "v1", 3, 200_000, 5);
        run(List.of("skopeo"), "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":v1", "docker://127.0.0.1:5000/lib/app:v1");
        Path back = dir.resolve("back");
        run(List.of("skopeo"), "copy", "--quiet", "--src-tls-verify=false", "docker://127.0.0.1:5000/lib/app:v1", "oci:" + back + ":v1");
        for (Digest b : image.blobs()) assertTrue(OciLayouts.hasBlob(back, b), "pulled back: " + b);
        assertEquals(image.manifest(), OciLayouts.manifestOf(back, "v1"));
        // The blobs are S3 objects: files of S3Proxy's bucket directory in its container.
        String stored = run(compose, "exec", "-T", "minio", "find", "/data/strata", "-type", "f");
        for (Digest b : image.blobs()) {
            assertTrue(stored.contains("blobs/sha256/" + b.encoded().substring(0, 2) + "/" + b.encoded()), b + " in S3:\n" + stored);
        }
    }

    private static List<String> cmd(List<String> base, String... args) {
        List<String> all = new ArrayList<>(base);
        all.addAll(List.of(args));
        return all;
    }

    private static String run(List<String> base, String... args) throws Exception {
        return ExternalTool.ok(cmd(base, args).toArray(String[]::new));
    }
}
