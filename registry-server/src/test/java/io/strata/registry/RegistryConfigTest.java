package io.strata.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.storage.StorageConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryConfigTest {
    @TempDir
    Path dir;

    private Path yaml(String text) throws Exception {
        Path f = dir.resolve("c.yml");
        Files.writeString(f, text);
        return f;
    }

    @Test
    void defaultsServeANewcomer() {
        RegistryConfig c = RegistryConfig.defaults();
        assertEquals("0.0.0.0", c.host());
        assertEquals(5000, c.port());
        assertEquals(new StorageConfig.Filesystem(Path.of("./data")), c.storageConfig());
        assertEquals(Duration.ofHours(24), c.uploadExpiry());
        assertEquals(4 * 1024 * 1024, c.limits().manifestBytes());
    }

    @Test
    void fileThenEnvironmentThenFlags() throws Exception {
        Path f = yaml("""
                listen: 127.0.0.1:6000
                storage:
                  driver: s3
                  s3:
                    bucket: from-file
                    endpoint: http://127.0.0.1:9000
                uploads:
                  expiry: 2h
                """);
        RegistryConfig c = RegistryConfig.load(f, Map.of("STRATA_STORAGE_S3_BUCKET", "from-env",
                "STRATA_STORAGE_S3_PATHSTYLE", "true", "STRATA_UPLOADS_EXPIRY", "90m", "STRATA_UNRELATED", "x",
                "PATH", "/bin"));
        assertEquals(6000, c.port());
        var s3 = ((StorageConfig.S3) c.storageConfig()).options();
        assertEquals("from-env", s3.bucket());
        assertTrue(s3.pathStyle());
        assertEquals(Duration.ofMinutes(90), c.uploadExpiry());
        RegistryConfig flagged = c.withFlags("127.0.0.1:7000", dir.toString());
        assertEquals(7000, flagged.port());
        assertEquals(new StorageConfig.Filesystem(dir), flagged.storageConfig());
    }

    @Test
    void mistakesAreNamed() throws Exception {
        var unknown = assertThrows(IllegalArgumentException.class, () -> RegistryConfig.load(yaml("storage:\n  drvier: s3\n"), Map.of()));
        assertTrue(unknown.getMessage().contains("storage.drvier"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RegistryConfig.load(yaml("listen: nowhere\n"), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> RegistryConfig.load(yaml("listen: 1.2.3.4:70000\n"), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> RegistryConfig.load(yaml("storage:\n  driver: ftp\n"), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> RegistryConfig.load(yaml("uploads:\n  expiry: soon\n"), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> RegistryConfig.load(yaml("storage:\n  driver: s3\n"), Map.of()),
                "s3 without a bucket");
        assertThrows(IllegalArgumentException.class, () -> RegistryConfig.load(yaml("tls:\n  cert: /x.pem\n"), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> RegistryConfig.load(yaml("- a\n- b\n"), Map.of()));
        // Not YAML: one line that says where.
        Path f = yaml("listen: 127.0.0.1:5000\n  bad indent: x\n");
        assertEquals(f + ": not valid YAML at line 2, column 13: mapping values are not allowed here",
                assertThrows(IllegalArgumentException.class, () -> RegistryConfig.load(f, Map.of())).getMessage());
        Path g = yaml("listen: [\n");
        assertEquals(g + ": not valid YAML at line 2, column 1: expected the node content, but found '<stream end>'",
                assertThrows(IllegalArgumentException.class, () -> RegistryConfig.load(g, Map.of())).getMessage());
    }

    @Test
    void proxyUpstreamsAreChecked() throws Exception {
        RegistryConfig ok = RegistryConfig.load(yaml("""
                proxy:
                  upstreams:
                    - prefix: hub
                      url: https://registry-1.docker.io
                    - url: http://127.0.0.1:5001
                      username: u
                      password: p
                      tagTTL: "0"
                """), Map.of());
        assertEquals(2, ok.upstreams().size());
        assertEquals("", ok.upstreams().get(1).prefix());
        assertEquals(Duration.ofMinutes(5), RegistryConfig.tagTtl(ok.upstreams().get(0)));
        assertEquals(Duration.ZERO, RegistryConfig.tagTtl(ok.upstreams().get(1)));
        assertEquals(0, ok.proxyMaxBytes(), "no cap unless asked");
        assertEquals(50L << 30, RegistryConfig.load(yaml("proxy:\n  maxBytes: 50GiB\n"), Map.of()).proxyMaxBytes());
        assertEquals(500_000_000L, RegistryConfig.load(yaml("proxy:\n  maxBytes: 500MB\n"), Map.of()).proxyMaxBytes());
        var lots = assertThrows(IllegalArgumentException.class, () -> RegistryConfig.load(yaml("proxy:\n  maxBytes: lots\n"), Map.of()));
        assertTrue(lots.getMessage().contains("proxy.maxBytes"), lots.getMessage());
        for (String bad : List.of(
                "    - prefix: Hub\n      url: https://x.io\n",
                "    - prefix: hub\n      url: ftp://x.io\n",
                "    - prefix: hub\n      url: https://x.io/v2/\n",
                "    - prefix: hub\n      url: https://x.io\n    - prefix: hub\n      url: https://y.io\n",
                "    - prefix: hub\n      url: https://x.io\n      username: u\n",
                "    - prefix: hub\n      url: https://x.io\n      tagTTL: soon\n")) {
            var e = assertThrows(IllegalArgumentException.class, () -> RegistryConfig.load(yaml("proxy:\n  upstreams:\n" + bad), Map.of()), bad);
            assertTrue(e.getMessage().contains("proxy.upstreams"), e.getMessage());
        }
    }
}
