package io.strata.registry;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.Map;

/** What a handler answers; {@link Dispatch} writes it on the request's event loop. */
sealed interface Reply {
    int status();

    Map<String, String> headers();

    /** Headers only (e.g. 202 with Location, or any answer to HEAD). */
    record Empty(int status, Map<String, String> headers) implements Reply {}

    /** A small body held in memory (JSON, manifests). */
    record Bytes(int status, Map<String, String> headers, byte[] body) implements Reply {}

    /** A region of a local file, sent with sendfile. */
    record FileRegion(int status, Map<String, String> headers, Path file, long offset, long length) implements Reply {}

    /** A body read from a stream (blobs on S3), copied with backpressure. */
    record Streamed(int status, Map<String, String> headers, InputStream body, long length) implements Reply {}
}
