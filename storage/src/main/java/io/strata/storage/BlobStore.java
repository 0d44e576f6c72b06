package io.strata.storage;

import static io.strata.storage.Io.io;

import io.strata.oci.Digest;
import io.strata.storage.driver.StorageDriver;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;

/** Blobs by digest, one copy each whatever links to them. Blobs arrive through {@link Uploads}. */
public final class BlobStore {
    private final StorageDriver driver;

    BlobStore(StorageDriver driver) {
        this.driver = driver;
    }

    public record BlobInfo(Digest digest, long size) {}

    /** A byte range of a blob: {@code length} bytes from {@code offset}. */
    public record Range(long offset, long length) {
        public Range {
            if (offset < 0 || length < 0) throw new IllegalArgumentException("negative range");
        }
    }

    public Optional<BlobInfo> stat(Digest digest) {
        OptionalLong size = io(() -> driver.size(Keys.blob(digest)));
        return size.isPresent() ? Optional.of(new BlobInfo(digest, size.getAsLong())) : Optional.empty();
    }

    /** The whole blob. */
    public InputStream open(Digest digest) {
        BlobInfo info = stat(digest).orElseThrow(() -> new StorageException.BlobUnknown(digest));
        return open(digest, new Range(0, info.size()));
    }

    /** Part of the blob; the range must lie within it (callers validate client ranges first). */
    public InputStream open(Digest digest, Range range) {
        BlobInfo info = stat(digest).orElseThrow(() -> new StorageException.BlobUnknown(digest));
        if (range.offset() + range.length() > info.size()) {
            throw new IllegalArgumentException("range " + range + " beyond blob of " + info.size() + " bytes");
        }
        return io(() -> driver.read(Keys.blob(digest), range.offset(), range.length()));
    }

    /** The blob as a local file, when the backend keeps one (for zero-copy sends). */
    public Optional<Path> file(Digest digest) {
        return driver.localFile(Keys.blob(digest));
    }

    /** Stores small content held in memory (manifests); the digest is computed here, so it is verified. */
    public BlobInfo put(byte[] content) {
        Digest d = Digest.sha256(content);
        // Pushing the same manifest again is common; a stat spares the write (and its fsync).
        if (stat(d).isEmpty()) io(() -> driver.putIfAbsent(Keys.blob(d), content));
        return new BlobInfo(d, content.length);
    }

    /** Reads small content (manifests) whole. */
    public Optional<byte[]> read(Digest digest) {
        return io(() -> driver.get(Keys.blob(digest)));
    }

    public boolean delete(Digest digest) {
        return io(() -> driver.delete(Keys.blob(digest)));
    }

    /** Every stored blob, in no particular order (for garbage collection). */
    public Stream<Digest> walk() {
        return io(() -> driver.list(Keys.BLOBS)).map(Keys::blobDigest).filter(Objects::nonNull);
    }
}
