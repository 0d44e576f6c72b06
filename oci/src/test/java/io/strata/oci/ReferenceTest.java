package io.strata.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ReferenceTest {
    static final String D = "sha256:" + "ab".repeat(32);

    @ParameterizedTest
    @CsvSource({
            "alpine, docker.io, library/alpine, latest",
            "alpine:3.19, docker.io, library/alpine, 3.19",
            "user/app, docker.io, user/app, latest",
            "docker.io/alpine, docker.io, library/alpine, latest",
            "index.docker.io/library/alpine:1, docker.io, library/alpine, 1",
            "localhost/app, localhost, app, latest",
            "localhost:5000/a/b/c:v1, localhost:5000, a/b/c, v1",
            "127.0.0.1:5000/lib/app:v1, 127.0.0.1:5000, lib/app, v1",
            "ghcr.io/owner/img:tag_1, ghcr.io, owner/img, tag_1",
            "[::1]:5000/app:v1, [::1]:5000, app, v1"})
    void parses(String text, String registry, String repository, String tag) {
        Reference r = Reference.parse(text);
        assertEquals(registry, r.registry());
        assertEquals(repository, r.repository().value());
        assertEquals(tag, r.tag().value());
        assertNull(r.digest());
    }

    @Test
    void digestsAndApiHost() {
        Reference r = Reference.parse("example.com:443/app@" + D);
        assertEquals(D, r.digest().toString());
        assertNull(r.tag());
        assertEquals(D, r.manifestReference());
        Reference both = Reference.parse("app:v1@" + D);
        assertEquals("v1", both.tag().value());
        assertEquals(D, both.manifestReference());
        assertEquals("registry-1.docker.io", Reference.parse("alpine").apiHost());
        assertEquals("docker.io/library/alpine:latest", Reference.parse("alpine").toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "UPPER/app", "app:", "app@sha256:nope", "app:-bad", "host:99999999/app", "a//b", "/app",
            "app@", "-host.com/app", "a/../b", "host:99999/app", "host:0/app", "[::1]:70000/app"})
    void rejects(String text) {
        assertThrows(InvalidValueException.class, () -> Reference.parse(text));
    }

    @Test
    void aPortOutOfRangeIsNamed() {
        assertEquals("invalid image reference \"127.0.0.1:99999/x:v1\": invalid registry host \"127.0.0.1:99999\": port 99999 is not 1-65535",
                assertThrows(InvalidValueException.class, () -> Reference.parse("127.0.0.1:99999/x:v1")).getMessage());
        assertEquals("[::1]:65535", Reference.parse("[::1]:65535/app").registry());
        assertEquals("[::1]", Reference.parse("[::1]/app").registry());
    }
}
