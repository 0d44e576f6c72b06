package io.strata.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The streaming readers of the image model: what databind read before, and the refusals at each edge. */
class ImageJsonTest {
    private static final Digest A = Digest.sha256("a".getBytes(StandardCharsets.UTF_8));
    private static final Digest B = Digest.sha256("b".getBytes(StandardCharsets.UTF_8));

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String manifestWith(String member) {
        return "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" + MediaType.OCI_CONFIG + "\",\"digest\":\"" + A
                + "\",\"size\":2}" + member + "}";
    }

    @Test
    void everyFieldReadsBackAsDatabindWroteIt() throws Exception {
        Platform platform = new Platform("arm64", "linux", "10.0", List.of("sse4"), "v8");
        Descriptor layer = new Descriptor(MediaType.OCI_LAYER_GZIP, B, 7, List.of("https://example.com/b"),
                Map.of("k", "v"), "application/vnd.example", platform);
        Manifest m = new Manifest(2, MediaType.OCI_MANIFEST, "application/vnd.example",
                new Descriptor(MediaType.OCI_CONFIG, A, 2), List.of(layer, new Descriptor(MediaType.OCI_LAYER, A, 0)),
                new Descriptor(MediaType.OCI_MANIFEST, B, 3), Map.of("org.opencontainers.image.created", "now"));
        assertEquals(m, Manifest.parse(m.toJson()));
        assertEquals(m, ImageJson.mapper().readValue(m.toJson(), Manifest.class), "databind reads the same");

        Index index = new Index(2, MediaType.OCI_INDEX, null, List.of(layer.withAnnotations(Map.of())), null, Map.of("a", "b"));
        assertEquals(index, Index.parse(ImageJson.write(index)));

        ImageConfig config = new ImageConfig("2024-01-01T00:00:00Z", "me", "amd64", "linux", "6.1", "v2",
                new ImageConfig.Config("1000:1000", Map.of("80/tcp", Map.of()), List.of("PATH=/bin", "A=b c"),
                        List.of("/bin/sh", "-c"), List.of("echo hi"), Map.of("/data", Map.of()), "/work",
                        Map.of("maintainer", "x"), "SIGTERM"),
                new ImageConfig.RootFs("layers", List.of(A, B)),
                List.of(new ImageConfig.History("2024", "me", "RUN x", "c", true), new ImageConfig.History(null, null, "ENV", null, false)));
        assertEquals(config, ImageConfig.parse(config.toJson()));
        assertEquals(config, ImageJson.mapper().readValue(config.toJson(), ImageConfig.class), "databind reads the same");
    }

    @Test
    void indexIsWrittenAsDatabindWritesIt() throws Exception {
        Descriptor full = new Descriptor(MediaType.OCI_MANIFEST, A, 1234, List.of("https://x/y"),
                Map.of("org.opencontainers.image.ref.name", "app:v1"), "application/vnd.example",
                new Platform("arm64", "linux", "10", List.of("f"), "v8"));
        Index index = new Index(2, MediaType.OCI_INDEX, "application/vnd.example", List.of(full, new Descriptor(MediaType.OCI_MANIFEST, B, 0)),
                new Descriptor(MediaType.OCI_MANIFEST, B, 3), Map.of("a", "b"));
        assertEquals(new String(ImageJson.write(index), StandardCharsets.UTF_8), new String(index.toJson(false), StandardCharsets.UTF_8));
        assertEquals(ImageJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(index),
                new String(index.toJson(true), StandardCharsets.UTF_8));
        assertEquals(index, Index.parse(index.toJson(true)));
        // The one difference: an empty manifests array is written (the spec requires it; databind leaves it out).
        Index empty = new Index(2, null, null, List.of(), null, null);
        assertEquals("{\"schemaVersion\":2,\"manifests\":[]}", new String(empty.toJson(false), StandardCharsets.UTF_8));
        assertEquals(empty, Index.parse(empty.toJson(false)));
    }

    @Test
    void unknownMembersAndNullsAreSkipped() throws Exception {
        // A Docker config as docker build writes it: members the model does not hold, nested ones too.
        String json = """
                {"architecture":"amd64","os":"linux","docker_version":"24.0","container":"abc",
                 "container_config":{"Cmd":["/bin/sh","-c","#(nop)"],"Healthcheck":{"Test":["CMD","true"],"Interval":1.5e9},
                   "OnBuild":null,"Tty":false,"Image":"sha256:x"},
                 "config":{"Env":["PATH=/usr/bin"],"Cmd":null,"Entrypoint":["/init"],"ArgsEscaped":true,"ExposedPorts":{"53/udp":{}},
                   "Labels":{"a":"b"},"Shell":["sh"],"StopSignal":null},
                 "rootfs":{"type":"layers","diff_ids":["%s"],"extra":[1,2,{"x":[]}]},
                 "history":[{"created":"t","created_by":"ADD x","empty_layer":null,"future":{"y":1}}],
                 "created":null}
                """.formatted(A);
        ImageConfig c = ImageConfig.parse(utf8(json));
        assertEquals(List.of("/init"), c.config().entrypoint());
        assertNull(c.config().cmd());
        assertEquals(Map.of("53/udp", Map.of()), c.config().exposedPorts());
        assertEquals(List.of(A), c.rootfs().diffIds());
        assertEquals(List.of(new ImageConfig.History("t", null, "ADD x", null, false)), c.history());
        assertNull(c.created());

        Manifest m = Manifest.parse(utf8(manifestWith(",\"layers\":null,\"annotations\":null,\"unknown\":{\"deep\":[[{}]]}")));
        assertEquals(List.of(), m.layers());
        assertEquals(Map.of(), m.annotations());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // what the document adds to a valid manifest | what the error says
            ",\"layers\":[],\"layers\":[]                 | Duplicate field 'layers'",
            ",\"layers\":{}                              | \"layers\" must be an array, found an object",
            ",\"layers\":[null]                          | \"layers\" holds a null",
            ",\"layers\":[\"sha256:x\"]                  | \"layers\" must be an object, found a string",
            ",\"annotations\":{\"a\":1}                  | \"a\" must be a string, found an integer",
            ",\"annotations\":{\"a\":null}               | \"annotations\" holds a null for \"a\"",
            ",\"annotations\":[]                         | \"annotations\" must be an object, found an array",
            ",\"mediaType\":5                            | \"mediaType\" must be a string, found an integer",
            ",\"mediaType\":\"" + MediaType.OCI_INDEX + "\" | is an index, not a manifest",
            ",\"subject\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:xyz\",\"size\":1} | digest encoding \"xyz\"",
            ",\"subject\":{\"mediaType\":\"a/b\",\"digest\":\"" + "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb" + "\",\"size\":-1} | size is negative",
            ",\"subject\":{\"mediaType\":\"a/b\",\"size\":1} | has no digest",
            ",\"subject\":{\"mediaType\":\"a/b\",\"digest\":\"" + "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb" + "\",\"size\":1e3} | \"size\" must be an integer, found a fraction",
            ",\"subject\":{\"mediaType\":\"a/b\",\"digest\":\"" + "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb" + "\",\"size\":99999999999999999999} | out of range",
    })
    void badManifestsAreRefusedWithTheReason(String member, String reason) {
        IOException e = assertThrows(IOException.class, () -> Manifest.parse(utf8(manifestWith(member))));
        assertTrue(e.getMessage().startsWith("invalid manifest: "), e.getMessage());
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "''                                             | invalid manifest: no content",
            "'   '                                          | invalid manifest: no content",
            "null                                           | manifest is null",
            "[]                                             | the document must be an object, found an array",
            "'\"x\"'                                        | the document must be an object, found a string",
            "{\"schemaVersion\":\"2\"}                      | \"schemaVersion\" must be an integer, found a string",
            "{\"schemaVersion\":2.0}                        | \"schemaVersion\" must be an integer, found a fraction",
            "{\"schemaVersion\":4294967298}                 | \"schemaVersion\" is out of range",
            "{\"schemaVersion\":1}                          | schemaVersion must be 2, was 1",
            "{\"schemaVersion\":2}                          | a manifest needs a config descriptor",
            "{\"schemaVersion\":2,                          | invalid manifest: ",
    })
    void badDocumentsAreRefused(String document, String reason) {
        IOException e = assertThrows(IOException.class, () -> Manifest.parse(utf8(document)));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void onlyOneValueIsRead() throws Exception {
        Manifest.parse(utf8(manifestWith("") + " \n"));
        IOException second = assertThrows(IOException.class, () -> Manifest.parse(utf8(manifestWith("") + " {}")));
        assertEquals("invalid manifest: content after the JSON value", second.getMessage());
        IOException garbage = assertThrows(IOException.class, () -> Manifest.parse(utf8(manifestWith("") + "x")));
        assertTrue(garbage.getMessage().startsWith("invalid manifest: Unrecognized token"), garbage.getMessage());
    }

    @Test
    void configAndIndexRefuseWhatTheirRecordsRefuse() {
        IOException noRootfs = assertThrows(IOException.class, () -> ImageConfig.parse(utf8("{\"os\":\"linux\"}")));
        assertEquals("invalid image config: an image config needs rootfs", noRootfs.getMessage());
        IOException badDiffId = assertThrows(IOException.class,
                () -> ImageConfig.parse(utf8("{\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"md5:00\"]}}")));
        assertTrue(badDiffId.getMessage().startsWith("invalid image config: "), badDiffId.getMessage());
        IOException badEnv = assertThrows(IOException.class,
                () -> ImageConfig.parse(utf8("{\"rootfs\":{\"type\":\"layers\"},\"config\":{\"Env\":\"A=b\"}}")));
        assertEquals("invalid image config: \"Env\" must be an array, found a string", badEnv.getMessage());
        IOException noManifests = assertThrows(IOException.class, () -> Index.parse(utf8("{\"schemaVersion\":2}")));
        assertEquals("invalid index: an index needs a manifests array", noManifests.getMessage());
    }

    @Test
    void aTreeReadUntypedIsWrittenAsDatabindWritesIt() throws Exception {
        String doc = "{\"schemaVersion\":2,\"size\":12345678901,\"ratio\":0.25,\"big\":123456789012345678901234567890,"
                + "\"on\":true,\"off\":false,\"none\":null,\"empty\":{},\"list\":[],\"names\":[\"caf\u00e9\",\"a\\\"b\",\"tab\\t\"],"
                + "\"nested\":{\"layers\":[{\"digest\":\"sha256:00\",\"size\":1},{}],\"deep\":[[1,[2]],{\"x\":{}}]}}";
        Object tree = ImageJson.read(doc.getBytes(StandardCharsets.UTF_8), "document", JsonIn::any);
        Object databinds = ImageJson.plain().readValue(doc, Object.class);
        assertEquals(databinds, tree, "read as databind reads it untyped");
        for (boolean pretty : new boolean[] {true, false}) {
            String expected = pretty ? ImageJson.plain().writerWithDefaultPrettyPrinter().writeValueAsString(databinds)
                    : ImageJson.plain().writeValueAsString(databinds);
            assertEquals(expected, new String(JsonOut.tree(pretty, tree), StandardCharsets.UTF_8), "pretty " + pretty);
        }
        assertTrue(JsonOut.isTree(tree));
        assertFalse(JsonOut.isTree(Map.of("when", java.time.Instant.EPOCH)), "a value that is not JSON's is left to databind");
        assertFalse(JsonOut.isTree(Map.of(1, "a")), "keys are strings");
        assertThrows(IllegalArgumentException.class, () -> JsonOut.tree(true, List.of(new Object())));
    }
}
