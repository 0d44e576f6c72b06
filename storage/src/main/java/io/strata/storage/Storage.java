package io.strata.storage;

import io.strata.storage.driver.FilesystemDriver;
import io.strata.storage.driver.S3Driver;
import io.strata.storage.driver.StorageDriver;
import java.io.Closeable;
import java.io.IOException;
import java.time.Clock;

/** A content store for registries: blobs, upload sessions and repositories over one driver. */
public final class Storage implements Closeable {
    private final StorageDriver driver;
    private final BlobStore blobs;
    private final Uploads uploads;
    private final Repositories repositories;
    private final GarbageCollector gc;

    public Storage(StorageDriver driver, Clock clock) {
        this.driver = driver;
        this.blobs = new BlobStore(driver);
        this.uploads = new Uploads(driver, blobs, clock);
        this.repositories = new Repositories(driver, blobs);
        this.gc = new GarbageCollector(driver, repositories, clock);
    }

    public GarbageCollector gc() {
        return gc;
    }

    /** Opens the store a configuration names. */
    public static Storage open(StorageConfig config) throws IOException {
        StorageDriver driver = switch (config) {
            case StorageConfig.Filesystem fs -> new FilesystemDriver(fs.root());
            case StorageConfig.S3 s3 -> new S3Driver(s3.options());
        };
        return new Storage(driver, Clock.systemUTC());
    }

    public BlobStore blobs() {
        return blobs;
    }

    public Uploads uploads() {
        return uploads;
    }

    public Repositories repositories() {
        return repositories;
    }

    public StorageDriver driver() {
        return driver;
    }

    @Override
    public void close() throws IOException {
        driver.close();
    }
}
