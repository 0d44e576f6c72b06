package io.strata.storage;

import io.strata.storage.driver.S3Driver;
import java.nio.file.Path;

/** Which backend holds the content, and how to reach it. */
public sealed interface StorageConfig {
    /** Files under a root directory (the default: {@code ./data}). */
    record Filesystem(Path root) implements StorageConfig {}

    /** A bucket on S3 or any S3-compatible service. */
    record S3(S3Driver.Options options) implements StorageConfig {}
}
