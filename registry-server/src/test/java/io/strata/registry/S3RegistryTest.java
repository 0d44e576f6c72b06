package io.strata.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.storage.S3ProxyFixture;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The API contract on S3 (S3Proxy in this JVM); each test has its own prefix in the bucket. */
public class S3RegistryTest extends RegistryApiContract {
    static final S3ProxyFixture s3 = S3ProxyFixture.shared();
    private final String prefix = "r-" + UUID.randomUUID() + "/";



    @Override
    protected String storageYaml() {
        return s3StorageYaml(s3, prefix);
    }

    /** The registry's storage section for the S3 server, under {@code prefix}, with 5 MiB parts. */
    public static String s3StorageYaml(S3ProxyFixture s3, String prefix) {
        return "storage:\n  driver: s3\n  s3:\n    bucket: " + S3ProxyFixture.BUCKET + "\n    endpoint: " + s3.endpoint()
                + "\n    pathStyle: true\n    accessKey: " + S3ProxyFixture.ACCESS_KEY + "\n    secretKey: "
                + S3ProxyFixture.SECRET_KEY + "\n    prefix: " + prefix + "\n    partSize: 5242880\n";
    }

    @Test
    void advertisesTheMinimumChunkLength() {
        var r = http.send("POST", "/v2/app/blobs/uploads/", (byte[]) null);
        assertEquals(202, r.status());
        assertEquals("5242880", r.header("OCI-Chunk-Min-Length"));
    }
}
