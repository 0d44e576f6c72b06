package io.strata.registry;

import io.vertx.core.http.HttpServerRequest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * RFC 9110's conditional requests (section 13) on what the registry serves by digest. A blob or
 * manifest has one validator, a strong ETag (the quoted digest), and never changes under it; a tag
 * names another ETag once it moves. No Last-Modified is sent, so a date never validates.
 */
final class Conditional {
    private Conditional() {}

    /**
     * The 304 a GET or HEAD answers when its If-None-Match names the ETag in {@code headers} (weak
     * comparison) or is {@code *}: a cache revalidating what it holds, or a client polling a tag.
     * The 304 carries the validator and caching headers of the 200 it stands for, no content ones.
     */
    static Optional<Reply> notModified(HttpServerRequest request, Map<String, String> headers) {
        String header = request.getHeader("If-None-Match");
        if (header == null || !lists(header, headers.get("ETag"))) return Optional.empty();
        Map<String, String> kept = new LinkedHashMap<>(headers);
        kept.keySet().removeAll(java.util.List.of("Content-Type", "Content-Length", "Accept-Ranges"));
        return Optional.of(new Reply.Empty(304, kept));
    }

    /**
     * Whether the request's Range is to be served: without If-Range, or when If-Range is the ETag
     * (strong comparison). Otherwise the client holds something else and gets the whole (RFC 9110
     * 13.1.5: the server MUST ignore the Range).
     */
    static boolean rangeApplies(HttpServerRequest request, String etag) {
        String header = request.getHeader("If-Range");
        return header == null || header.strip().equals(etag);
    }

    /** Whether the If-None-Match list holds {@code etag}, a weak tag counting as its strong one, or is {@code *}. */
    private static boolean lists(String header, String etag) {
        for (String tag : header.split(",")) {
            tag = tag.strip();
            if (tag.equals("*")) return true;
            if (tag.startsWith("W/")) tag = tag.substring(2);
            if (tag.equals(etag)) return true;
        }
        return false;
    }
}
