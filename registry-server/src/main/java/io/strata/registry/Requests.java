package io.strata.registry;

import io.strata.oci.RepositoryName;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/** Reads and validates what a request names, before anything touches storage. */
final class Requests {
    private Requests() {}

    static RepositoryName name(RoutingContext ctx) {
        return RepositoryName.of(ApiPath.of(ctx).name());
    }

    /** A query parameter that may appear at most once; null when absent. */
    static String query(RoutingContext ctx, String key) {
        List<String> values = ctx.queryParam(key);
        if (values.size() > 1) {
            throw new RegistryException(ErrorCode.UNSUPPORTED, 400, "query parameter " + key + " given more than once",
                    null, java.util.Map.of());
        }
        return values.isEmpty() ? null : values.getFirst();
    }

    /** The Content-Length header, or -1 when the body is chunked. */
    static long contentLength(RoutingContext ctx) {
        String v = ctx.request().getHeader("Content-Length");
        if (v == null) return -1;
        try {
            long n = Long.parseLong(v.trim());
            if (n < 0) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new RegistryException(ErrorCode.SIZE_INVALID, "invalid Content-Length " + v);
        }
    }
}
