package io.strata.registry;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A request body as a blocking InputStream for storage code on a virtual thread. Flow control is by
 * credit: the event loop delivers at most {@link #CREDIT} buffers ahead of the reader, so memory per
 * request stays bounded whatever the body's size.
 */
final class RequestBody extends InputStream {
    private static final int CREDIT = 8;
    private static final Object END = new Object();
    /** A client that sends nothing for this long has gone away. */
    private static final long STALL_SECONDS = 120;

    private final HttpServerRequest request;
    private final Context context;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();
    private Buffer current;
    private int position;
    private boolean ended;
    private long received;

    /** Must be created on the request's event loop, before it delivers any data. */
    RequestBody(HttpServerRequest request, Context context) {
        this.request = request;
        this.context = context;
        if (request.isEnded()) {
            queue.add(END);
            return;
        }
        request.pause();
        request.handler(queue::add);
        request.endHandler(v -> queue.add(END));
        request.exceptionHandler(queue::add);
        request.fetch(CREDIT);
    }

    long received() {
        return received;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        while (current == null || position == current.length()) {
            if (ended) return -1;
            Object next;
            try {
                next = queue.poll(STALL_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while reading the request body");
            }
            if (next == null) throw new IOException("client sent nothing for " + STALL_SECONDS + " s");
            if (next == END) {
                ended = true;
                return -1;
            }
            if (next instanceof Throwable t) throw new IOException("request body failed: " + t.getMessage(), t);
            current = (Buffer) next;
            position = 0;
            context.runOnContext(v -> request.fetch(1));
        }
        int n = Math.min(len, current.length() - position);
        current.getBytes(position, position + n, b, off);
        position += n;
        received += n;
        return n;
    }

    /** Reads the rest, to at most {@code limit} bytes; more is an error (the caller maps it to 413). */
    byte[] readBounded(int limit) throws IOException {
        byte[] all = readNBytes(limit + 1);
        if (all.length > limit) throw new BodyTooLarge(limit);
        return all;
    }

    static final class BodyTooLarge extends IOException {
        BodyTooLarge(int limit) {
            super("body larger than " + limit + " bytes");
        }
    }
}
