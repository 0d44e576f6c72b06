package io.strata.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.strata.storage.driver.S3Driver;
import io.strata.storage.driver.StorageDriver;
import java.io.IOException;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The contract against a real S3 server (S3Proxy in this JVM); each test has its own key prefix. */
class S3StorageTest extends StorageContract {
    static final S3ProxyFixture s3 = S3ProxyFixture.shared();
    private final String prefix = "t-" + UUID.randomUUID() + "/";



    /** Copy parts of 5 MiB, so blobs over 5 MiB take the multipart-copy path used beyond S3's 5 GiB CopyObject limit. */
    @Override
    protected StorageDriver newDriver() throws IOException {
        return new S3Driver(s3.options(prefix, S3Driver.MIN_PART_SIZE));
    }

    private int multipartUploads() {
        try (var client = s3.client()) {
            return client.listMultipartUploads(b -> b.bucket(S3ProxyFixture.BUCKET).prefix(prefix)).uploads().size();
        }
    }

    @Test
    void expiryAbortsMultipartUploads() {
        byte[] content = TestData.random(60, 11 * 1024 * 1024);
        var u = storage.uploads().start();
        storage.uploads().append(u.id(), 0, TestData.stream(content, 0, content.length));
        assertEquals(1, multipartUploads());
        clock.advance(Duration.ofHours(2));
        assertEquals(1, storage.uploads().purgeExpired(Duration.ofHours(1)));
        assertEquals(0, multipartUploads());
    }

    @Test
    void commitLeavesNoMultipartUploadOrPendingObjects() throws IOException {
        byte[] content = TestData.random(61, 7 * 1024 * 1024);
        var u = storage.uploads().start();
        storage.uploads().append(u.id(), 0, TestData.stream(content, 0, 1024));
        storage.uploads().append(u.id(), 1024, TestData.stream(content, 1024, content.length));
        var info = storage.uploads().commit(u.id(), TestData.sha256(content), OptionalLong.empty());
        assertArrayEquals(content, TestData.readAll(storage.blobs().open(info.digest())));
        assertEquals(0, multipartUploads());
        try (var keys = storage.driver().list(Keys.UPLOADS)) {
            assertEquals(0, keys.count());
        }
    }

    @Test
    void partSizesGrowSoTenThousandPartsReachFiveTebibytes() throws IOException {
        try (S3Driver driver = new S3Driver(s3.options(prefix, 0))) {
            long five = S3Driver.MIN_PART_SIZE;
            assertEquals(five, driver.partSize(1));
            assertEquals(five, driver.partSize(500));
            assertEquals(2 * five, driver.partSize(501));
            assertEquals(4 * five, driver.partSize(1001));
            assertEquals(5L << 30, driver.partSize(10_000));
            long total = 0;
            for (int n = 1; n <= 10_000; n++) total += driver.partSize(n);
            assertEquals(true, total >= 5L * 1024 * 1024 * 1024 * 1024, "10,000 parts hold " + total + " bytes");
        }
    }
}
