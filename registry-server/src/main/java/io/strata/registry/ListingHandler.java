package io.strata.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.MediaType;
import io.strata.oci.RepositoryName;
import io.strata.oci.Tag;
import io.strata.storage.Page;
import io.strata.storage.Storage;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** The listings: {@code /v2/<name>/tags/list}, {@code /v2/_catalog} and {@code /v2/<name>/referrers/<digest>}. */
final class ListingHandler {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The largest page served, whatever n asks (distribution caps its catalog the same way). */
    static final int MAX_PAGE = 10_000;

    private final Storage storage;

    ListingHandler(Storage storage) {
        this.storage = storage;
    }

    Reply tags(RoutingContext ctx, RequestBody body) throws IOException {
        RepositoryName name = Requests.name(ctx);
        Integer n = pageSize(ctx);
        String lastParam = Requests.query(ctx, "last");
        Tag last = lastParam == null ? null : Tag.of(lastParam);
        if (!storage.repositories().exists(name)) {
            throw new RegistryException(ErrorCode.NAME_UNKNOWN, "repository " + name + " is not known",
                    Map.of("name", name.value()));
        }
        Page<Tag> page = storage.repositories().tags(name, last, n);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", name.value());
        out.put("tags", page.items().stream().map(Tag::value).toList());
        return json(out, page, "/v2/" + name + "/tags/list", n, Tag::value);
    }

    Reply catalog(RoutingContext ctx, RequestBody body) throws IOException {
        Integer n = pageSize(ctx);
        String lastParam = Requests.query(ctx, "last");
        RepositoryName last = lastParam == null ? null : RepositoryName.of(lastParam);
        Page<RepositoryName> page = storage.repositories().catalog(last, n);
        // Only what the caller may pull; the next page still starts after the last name read.
        var access = io.strata.registry.auth.Gate.access(ctx);
        Map<String, Object> out = Map.of("repositories", page.items().stream().map(RepositoryName::value)
                .filter(r -> access.allows(r, "pull")).toList());
        return json(out, page, "/v2/_catalog", n, RepositoryName::value);
    }

    /** Always 200 (spec: the referrers API never answers 404), with an empty index when nothing refers. */
    Reply referrers(RoutingContext ctx, RequestBody body) throws IOException {
        RepositoryName name = Requests.name(ctx);
        Digest subject = Digest.parse(ApiPath.of(ctx).param());
        String artifactType = Requests.query(ctx, "artifactType");
        if (artifactType != null) MediaType.requireValid(artifactType);
        List<Descriptor> found = storage.repositories().referrers(name, subject,
                d -> artifactType == null || artifactType.equals(d.artifactType()));
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("schemaVersion", 2);
        index.put("mediaType", MediaType.OCI_INDEX);
        index.put("manifests", found);
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", MediaType.OCI_INDEX);
        if (artifactType != null) headers.put("OCI-Filters-Applied", "artifactType");
        return new Reply.Bytes(200, headers, JSON.writeValueAsBytes(index));
    }

    /** n: absent means everything (up to MAX_PAGE); otherwise a non-negative integer. */
    static Integer pageSize(RoutingContext ctx) {
        String n = Requests.query(ctx, "n");
        if (n == null) return MAX_PAGE;
        try {
            int value = Integer.parseInt(n);
            if (value < 0) throw new NumberFormatException();
            return Math.min(value, MAX_PAGE);
        } catch (NumberFormatException e) {
            throw new RegistryException(ErrorCode.PAGINATION_NUMBER_INVALID, "n must be a non-negative integer, was " + n,
                    Map.of("n", n));
        }
    }

    /** The body, with an RFC 5988 Link to the next page when there is one. */
    static <T> Reply json(Object out, Page<T> page, String path, int n, Function<T, String> text)
            throws IOException {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Type", "application/json");
        if (page.more() && !page.items().isEmpty()) {
            String last = text.apply(page.items().getLast());
            headers.put("Link", "<" + path + "?n=" + n + "&last=" + URLEncoder.encode(last, StandardCharsets.UTF_8)
                    + ">; rel=\"next\"");
        }
        return new Reply.Bytes(200, headers, JSON.writeValueAsBytes(out));
    }
}
