package io.strata.storage.driver;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;

/**
 * The bytes of one upload while they are written (distribution's FileWriter): appended chunk by
 * chunk, then committed into one readable object, or cancelled. What the backend must remember
 * between requests is {@link #state()}, which the caller stores with the upload's offset and hash in
 * one write: any instance can continue the upload, and the three always agree.
 */
public interface UploadWriter {
    /** Bytes held so far. */
    long size();

    /** Appends {@code data}, read to its end. Bytes past a failed append are ignored by the next one. */
    void append(InputStream data) throws IOException;

    /** The backend's own record of the upload (null when it keeps none), stored by the caller. */
    JsonNode state();

    /**
     * Makes the bytes one readable object and returns its key. Repeatable: when what follows a
     * commit fails (moving the object into place), committing again gives the same object.
     */
    String commit() throws IOException;

    /** Releases what the upload holds beyond its keys (e.g. an S3 multipart upload). */
    void cancel() throws IOException;
}
