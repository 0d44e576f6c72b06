package io.strata.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** Every grammar rule the specs give for names, tags, digests and media types. */
class ValidationTest {
    static final String HEX64 = "a".repeat(64);

    @ParameterizedTest
    @ValueSource(strings = {"a", "library/alpine", "a/b/c", "a.b", "a_b", "a__b", "a-b", "a---b", "0", "a1/b2.c3_d4__e5-f6",
            "registry/with.many/paths-in_it"})
    void validNames(String name) {
        assertEquals(name, RepositoryName.of(name).value());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "A", "Library/alpine", "/a", "a/", "a//b", "..", "a/../b", "./a", "a/./b", "%2e%2e",
            "a%2fb", ".a", "_a", "-a", "a.", "a_", "a-", "a...b", "a___b", "a._b", "a b", "a\0b", "a\\b", "a:b", "a@b",
            "ä", "a\nb"})
    void invalidNames(String name) {
        var e = assertThrows(InvalidValueException.class, () -> RepositoryName.of(name));
        assertEquals(InvalidValueException.Kind.NAME, e.kind());
    }

    @Test
    void nameLengthLimit() {
        String max = "a/".repeat(127) + "a";
        assertEquals(255, max.length());
        RepositoryName.of(max);
        assertThrows(InvalidValueException.class, () -> RepositoryName.of(max + "b"));
        assertThrows(InvalidValueException.class, () -> RepositoryName.of(null));
    }

    @ParameterizedTest
    @ValueSource(strings = {"latest", "v1.0.0", "_", "A", "1", "a-b_c.d", "V_1-rc.2"})
    void validTags(String tag) {
        assertEquals(tag, Tag.of(tag).value());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "..", ".a", "-a", "a/b", "a:b", "a@b", "a b", "%2e", "a\0", "é"})
    void invalidTags(String tag) {
        var e = assertThrows(InvalidValueException.class, () -> Tag.of(tag));
        assertEquals(InvalidValueException.Kind.TAG, e.kind());
    }

    @Test
    void tagLengthLimit() {
        Tag.of("a".repeat(128));
        assertThrows(InvalidValueException.class, () -> Tag.of("a".repeat(129)));
    }

    @Test
    void validDigests() {
        assertEquals("sha256:" + HEX64, Digest.parse("sha256:" + HEX64).toString());
        Digest d512 = Digest.parse("sha512:" + "0".repeat(128));
        assertEquals(DigestAlgorithm.SHA512, d512.algorithm());
        assertEquals("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                Digest.sha256(new byte[0]).toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "sha256", "sha256:", ":abc", "sha256:" + "A", "sha256:abc",
            "sha256:ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789",
            "sha256:" + "a" + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "sha512:aaaa", "md5:d41d8cd98f00b204e9800998ecf8427e", "sha256:../../etc/passwd",
            "sha256:%2e%2e", "SHA256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "sha256:gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg", "sha256 :x"})
    void invalidDigests(String digest) {
        var e = assertThrows(InvalidValueException.class, () -> Digest.parse(digest));
        assertEquals(InvalidValueException.Kind.DIGEST, e.kind());
    }

    @Test
    void digestWithNulOrHugeInputIsRefused() {
        assertThrows(InvalidValueException.class, () -> Digest.parse("sha256:" + "a".repeat(63) + "\0"));
        assertThrows(InvalidValueException.class, () -> Digest.parse("sha256:" + "a".repeat(100_000)));
        assertThrows(InvalidValueException.class, () -> Digest.parse(null));
    }

    @Test
    void messagesQuoteInputSafely() {
        var e = assertThrows(InvalidValueException.class, () -> Tag.of("a\nb" + "x".repeat(500)));
        assertEquals(false, e.getMessage().contains("\n"));
        assertEquals(true, e.getMessage().length() < 300);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "application", "application/", "/json", "application/json; charset=utf-8", "a/b/c",
            "application/vnd.oci.image.manifest.v1+json\n"})
    void invalidMediaTypes(String mediaType) {
        assertThrows(InvalidValueException.class, () -> MediaType.requireValid(mediaType));
    }

    @Test
    void descriptorJsonRoundTrip() throws Exception {
        ObjectMapper json = new ObjectMapper();
        var d = new Descriptor(MediaType.OCI_EMPTY, Digest.sha256("{}".getBytes()), 0, null,
                Map.of("k", "v"), "application/vnd.example", null);
        String text = json.writeValueAsString(d);
        assertEquals(true, text.contains("\"size\":0"), text);
        assertEquals(false, text.contains("urls"), text);
        assertEquals(d, json.readValue(text, Descriptor.class));
        assertThrows(Exception.class, () -> json.readValue(
                "{\"mediaType\":\"a/b\",\"digest\":\"sha256:xyz\",\"size\":1}", Descriptor.class));
        assertThrows(Exception.class, () -> json.readValue(
                "{\"mediaType\":\"a/b\",\"digest\":\"sha256:" + HEX64 + "\",\"size\":-1}", Descriptor.class));
    }
}
