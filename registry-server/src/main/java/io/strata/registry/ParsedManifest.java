package io.strata.registry;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.oci.Descriptor;
import io.strata.oci.InvalidValueException;
import io.strata.oci.MediaType;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the registry needs of a pushed manifest: its media type, the blobs it references (config
 * and layers), the manifests it lists (an index), its subject, artifact type and annotations.
 * {@link #parse} checks the structure the image spec and Docker's schema 2 require.
 */
record ParsedManifest(
        String mediaType,
        Descriptor config,
        List<Descriptor> layers,
        List<Descriptor> manifests,
        Descriptor subject,
        String artifactType,
        Map<String, String> annotations) {

    /** Strict: exactly one JSON value, duplicate keys refused (what clients parse back must be what was stored). */
    private static final ObjectMapper JSON = io.strata.oci.ImageJson.mapper();

    /** The artifactType the referrers API reports (spec: the manifest's own, else its config's media type). */
    String referrerArtifactType() {
        if (artifactType != null) return artifactType;
        return config == null ? null : config.mediaType();
    }

    /**
     * Parses {@code body}; {@code contentType} is the request's Content-Type (may be null, then the
     * body's own mediaType decides).
     */
    static ParsedManifest parse(byte[] body, String contentType) {
        if (body.length >= 3 && (body[0] & 0xff) == 0xef && (body[1] & 0xff) == 0xbb && (body[2] & 0xff) == 0xbf) {
            throw invalid("manifest starts with a byte order mark: send UTF-8 JSON without one");
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JacksonException e) {
            throw invalid("manifest is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw invalid("manifest is not valid JSON");
        }
        if (root == null || !root.isObject()) throw invalid("manifest must be a JSON object");
        if (root.path("schemaVersion").asInt(-1) != 2 || !root.path("schemaVersion").isIntegralNumber()) {
            throw invalid("schemaVersion must be 2");
        }
        String declared = text(root, "mediaType");
        String type = contentType == null ? null : contentType.split(";", 2)[0].trim();
        if (type != null && (type.isEmpty() || type.equals("application/json") || type.equals("application/octet-stream"))) {
            type = null; // clients that send a generic type rely on the body's mediaType
        }
        if (type == null) type = declared;
        if (type == null) throw invalid("manifest media type unknown: send Content-Type or a mediaType field");
        if (declared != null && !declared.equals(type)) {
            throw invalid("Content-Type " + type + " does not match the manifest's mediaType " + declared);
        }
        if (!MediaType.MANIFESTS.contains(type)) throw invalid("unsupported manifest media type " + type);
        if (type.equals(MediaType.DOCKER_MANIFEST) || type.equals(MediaType.DOCKER_MANIFEST_LIST)) {
            if (declared == null) throw invalid("Docker schema 2 manifests carry their mediaType");
        }

        String artifactType = text(root, "artifactType");
        if (artifactType != null) MediaType.requireValid(artifactType);
        Descriptor subject = root.has("subject") ? descriptor(root.get("subject"), "subject") : null;
        Map<String, String> annotations = annotations(root.get("annotations"));

        if (MediaType.INDEXES.contains(type)) {
            JsonNode list = root.get("manifests");
            if (list == null || !list.isArray()) throw invalid("an index needs a manifests array");
            List<Descriptor> manifests = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) manifests.add(descriptor(list.get(i), "manifests[" + i + "]"));
            return new ParsedManifest(type, null, List.of(), manifests, subject, artifactType, annotations);
        }
        if (root.has("manifests")) throw invalid("an image manifest has no manifests array");
        Descriptor config = descriptor(root.get("config"), "config");
        JsonNode list = root.get("layers");
        if (list == null || !list.isArray()) throw invalid("a manifest needs a layers array");
        List<Descriptor> layers = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) layers.add(descriptor(list.get(i), "layers[" + i + "]"));
        if (artifactType != null && type.equals(MediaType.DOCKER_MANIFEST)) {
            throw invalid("artifactType is an OCI manifest field");
        }
        return new ParsedManifest(type, config, layers, List.of(), subject, artifactType, annotations);
    }

    private static Descriptor descriptor(JsonNode node, String where) {
        if (node == null || !node.isObject()) throw invalid(where + " must be a descriptor object");
        if (!node.path("size").isIntegralNumber()) throw invalid(where + ".size must be an integer");
        if (!node.path("digest").isTextual()) throw invalid(where + ".digest must be a string");
        if (!node.path("mediaType").isTextual()) throw invalid(where + ".mediaType must be a string");
        try {
            return JSON.treeToValue(node, Descriptor.class);
        } catch (JacksonException | IllegalArgumentException e) {
            Throwable cause = e.getCause();
            String why = cause instanceof InvalidValueException iv ? iv.getMessage()
                    : e instanceof JacksonException je ? je.getOriginalMessage() : e.getMessage();
            throw invalid(where + ": " + why);
        }
    }

    private static Map<String, String> annotations(JsonNode node) {
        if (node == null || node.isNull()) return Map.of();
        if (!node.isObject()) throw invalid("annotations must be an object of strings");
        Map<String, String> out = new LinkedHashMap<>();
        for (var it = node.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().isTextual()) throw invalid("annotation " + e.getKey() + " must be a string");
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    private static String text(JsonNode root, String field) {
        JsonNode n = root.get(field);
        if (n == null || n.isNull()) return null;
        if (!n.isTextual()) throw invalid(field + " must be a string");
        return n.asText();
    }

    private static RegistryException invalid(String message) {
        return new RegistryException(ErrorCode.MANIFEST_INVALID, message);
    }
}
