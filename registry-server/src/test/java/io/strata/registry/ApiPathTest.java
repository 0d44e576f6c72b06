package io.strata.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.strata.registry.ApiPath.Endpoint;
import org.junit.jupiter.api.Test;

/** The one reading of a request path: a name holding the API's words is read from the path's end. */
class ApiPathTest {
    private static void reads(String path, Endpoint endpoint, String name, String param) {
        assertEquals(new ApiPath(endpoint, name, param), ApiPath.parse(path), path);
    }

    @Test
    void everyEndpointIsToldApartByItsLastSegments() {
        String d = "sha256:" + "a".repeat(64);
        reads("/v2/", Endpoint.BASE, null, null);
        reads("/v2", Endpoint.BASE, null, null);
        reads("/v2/_catalog", Endpoint.CATALOG, null, null);
        reads("/v2/a/blobs/uploads/", Endpoint.UPLOADS, "a", null);
        reads("/v2/a/blobs/uploads/u1", Endpoint.UPLOAD, "a", "u1");
        reads("/v2/a/blobs/" + d, Endpoint.BLOB, "a", d);
        reads("/v2/a/manifests/v1", Endpoint.MANIFEST, "a", "v1");
        reads("/v2/a/tags/list", Endpoint.TAGS, "a", null);
        reads("/v2/a/referrers/" + d, Endpoint.REFERRERS, "a", d);
    }

    @Test
    void theApiWordsInANameAreTheName() {
        reads("/v2/shared/app/blobs/uploads/x/manifests/v1", Endpoint.MANIFEST, "shared/app/blobs/uploads/x", "v1");
        reads("/v2/shared/app/blobs/uploads/x/blobs/uploads/", Endpoint.UPLOADS, "shared/app/blobs/uploads/x", null);
        reads("/v2/shared/app/blobs/uploads/x/blobs/uploads/u", Endpoint.UPLOAD, "shared/app/blobs/uploads/x", "u");
        reads("/v2/a/manifests/v1/tags/list", Endpoint.TAGS, "a/manifests/v1", null);
        reads("/v2/a/tags/list/referrers/x", Endpoint.REFERRERS, "a/tags/list", "x");
        reads("/v2/blobs/blobs/x", Endpoint.BLOB, "blobs", "x");
        reads("/v2/x/blobs/uploads", Endpoint.BLOB, "x", "uploads");
        reads("/v2/a/uploads/blobs/uploads/u", Endpoint.UPLOAD, "a/uploads", "u");
    }

    @Test
    void pathsThatNameNoEndpointAreNull() {
        for (String p : new String[] {"/v2/a", "/v2/a/tags", "/v2/a/tags/x", "/v2/tags/list", "/v2/blobs/uploads/", "/v2/a/uploads/u",
                "/v2/a/manifests/", "/v2/a/foo/bar", "/healthz", "/v2x/a/manifests/v1", "/v2/manifests/v1"}) {
            assertNull(ApiPath.parse(p), p);
        }
    }
}
