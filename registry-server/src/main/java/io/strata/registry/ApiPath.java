package io.strata.registry;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;

/**
 * The one reading of a request path of the distribution API: which endpoint, on which repository,
 * with which parameter (upload id, digest or reference). The router dispatches on it, the gate
 * authorizes by it and the metrics label by it, so no two of them can take a path for different
 * repositories.
 *
 * <p>A repository name may hold any of the API's words as components ({@code a/blobs/uploads/x} is
 * a valid name), so a path is read from its end: every endpoint is told apart by its last one to
 * three segments, and the name is everything before them. {@code /v2/a/blobs/uploads/x/manifests/v1}
 * is the manifest {@code v1} of repository {@code a/blobs/uploads/x}, for every reader alike.
 *
 * @param endpoint the endpoint
 * @param name the repository as written in the path (validated by the handlers), null for the base and the catalog
 * @param param the upload id, digest or reference as written, null where the endpoint has none
 */
public record ApiPath(Endpoint endpoint, String name, String param) {
    private static final String KEY = "strata.api-path";
    private static final String PREFIX = "/v2/";

    /** The endpoints, each with the metrics label and the methods it answers (OPTIONS aside). */
    public enum Endpoint {
        BASE("base", Set.of(HttpMethod.GET, HttpMethod.HEAD)),
        CATALOG("catalog", Set.of(HttpMethod.GET)),
        UPLOADS("upload", Set.of(HttpMethod.POST)),
        UPLOAD("upload", Set.of(HttpMethod.GET, HttpMethod.PATCH, HttpMethod.PUT, HttpMethod.DELETE)),
        BLOB("blob", Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.DELETE)),
        MANIFEST("manifest", Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.PUT, HttpMethod.DELETE)),
        TAGS("tags", Set.of(HttpMethod.GET)),
        REFERRERS("referrers", Set.of(HttpMethod.GET));

        private final String label;
        private final Set<HttpMethod> methods;

        Endpoint(String label, Set<HttpMethod> methods) {
            this.label = label;
            this.methods = methods;
        }

        /** The metrics' route label: the API's shape, never a repository name. */
        public String label() {
            return label;
        }

        public boolean takes(HttpMethod method) {
            return methods.contains(method);
        }

        /** The Allow header's value (RFC 9110): the methods taken, in a fixed order, and OPTIONS. */
        public String allow() {
            StringBuilder sb = new StringBuilder();
            for (HttpMethod m : new HttpMethod[] {HttpMethod.GET, HttpMethod.HEAD, HttpMethod.POST, HttpMethod.PATCH, HttpMethod.PUT,
                    HttpMethod.DELETE}) {
                if (methods.contains(m)) sb.append(m.name()).append(", ");
            }
            return sb.append("OPTIONS").toString();
        }
    }

    /** The endpoint a path names, or null when it names none (the router answers 404). */
    public static ApiPath parse(String path) {
        if (path.equals("/v2") || path.equals(PREFIX)) return new ApiPath(Endpoint.BASE, null, null);
        if (!path.startsWith(PREFIX)) return null;
        if (path.equals("/v2/_catalog")) return new ApiPath(Endpoint.CATALOG, null, null);
        String rest = path.substring(PREFIX.length());
        if (rest.endsWith("/blobs/uploads/")) return named(Endpoint.UPLOADS, rest.substring(0, rest.length() - "/blobs/uploads/".length()), null);
        if (rest.endsWith("/tags/list")) return named(Endpoint.TAGS, rest.substring(0, rest.length() - "/tags/list".length()), null);
        int last = rest.lastIndexOf('/');
        if (last < 0) return null;
        String param = rest.substring(last + 1);
        String head = rest.substring(0, last);
        int kindAt = head.lastIndexOf('/');
        if (param.isEmpty() || kindAt < 0) return null;
        String name = head.substring(0, kindAt);
        return switch (head.substring(kindAt + 1)) {
            case "blobs" -> named(Endpoint.BLOB, name, param);
            case "manifests" -> named(Endpoint.MANIFEST, name, param);
            case "referrers" -> named(Endpoint.REFERRERS, name, param);
            case "uploads" -> name.endsWith("/blobs") ? named(Endpoint.UPLOAD, name.substring(0, name.length() - "/blobs".length()), param) : null;
            default -> null;
        };
    }

    private static ApiPath named(Endpoint endpoint, String name, String param) {
        return name.isEmpty() ? null : new ApiPath(endpoint, name, param);
    }

    /** The request's endpoint, read once per request and kept on its context; null for a path that names none. */
    public static ApiPath of(RoutingContext ctx) {
        if (ctx.data().containsKey(KEY)) return ctx.get(KEY);
        ApiPath p = parse(ctx.request().path());
        ctx.put(KEY, p);
        return p;
    }

    /**
     * What a method on this endpoint does to its repository, as access is granted: pull for GET,
     * HEAD and OPTIONS (which reads nothing but the methods), delete for DELETE, push for the rest.
     */
    public String action(HttpMethod method) {
        if (method == HttpMethod.GET || method == HttpMethod.HEAD || method == HttpMethod.OPTIONS) return "pull";
        return method == HttpMethod.DELETE ? "delete" : "push";
    }
}
