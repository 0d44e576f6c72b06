package io.strata.storage;

import io.strata.oci.Digest;

/**
 * What storage refuses, one subtype per case a caller must tell apart. The registry maps each to
 * the distribution spec's error code; I/O failures of the backend stay {@link java.io.UncheckedIOException}.
 */
public sealed class StorageException extends RuntimeException {
    StorageException(String message) {
        super(message);
    }

    /** No blob with this digest (globally, or linked into the repository asked for). */
    public static final class BlobUnknown extends StorageException {
        public BlobUnknown(Digest digest) {
            super("blob unknown: " + digest);
        }
    }

    /** No upload session with this id, or it expired. */
    public static final class UploadUnknown extends StorageException {
        public UploadUnknown(String id) {
            super("upload unknown: " + id);
        }
    }

    /** Another request holds the upload (a chunk still arriving) longer than a lock wait lasts. */
    public static final class UploadBusy extends StorageException {
        public UploadBusy(String dir) {
            super("the upload is busy with another request (" + dir + "); retry shortly");
        }
    }

    /** A chunk was sent for an offset other than the upload's current size. */
    public static final class OffsetMismatch extends StorageException {
        private final long currentSize;

        public OffsetMismatch(long requested, long currentSize) {
            super("chunk starts at " + requested + " but the upload holds " + currentSize + " bytes");
            this.currentSize = currentSize;
        }

        public long currentSize() {
            return currentSize;
        }
    }

    /** The bytes received do not hash to the digest the client named. */
    public static final class DigestMismatch extends StorageException {
        public DigestMismatch(Digest expected, Digest actual) {
            super("digest mismatch: expected " + expected + ", content is " + actual);
        }
    }

    /** The bytes received are not as many as the client said. */
    public static final class SizeMismatch extends StorageException {
        public SizeMismatch(long expected, long actual) {
            super("size mismatch: expected " + expected + " bytes, received " + actual);
        }
    }

    /** No manifest for this tag or digest in the repository. */
    public static final class ManifestUnknown extends StorageException {
        public ManifestUnknown(String repository, String reference) {
            super("manifest unknown: " + repository + ":" + reference);
        }
    }
}
