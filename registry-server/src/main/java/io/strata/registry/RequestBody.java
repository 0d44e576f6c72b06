package io.strata.registry;

import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A request body as a blocking InputStream for storage code on a virtual thread.
 *
 * <p>Every hand-over between the event loop and the reader costs system calls (waking a parked
 * virtual thread, waking the event loop's selector), and a network buffer is a few KiB: handed over
 * one by one, those calls cost a push more CPU than its bytes did. So the reader, when it finds
 * nothing queued, sleeps until {@link #WAKE_BYTES} have arrived (or the body ended), then takes
 * whatever is queued without waiting; the event loop stops reading from the socket when
 * {@link #LIMIT_BYTES} wait for the reader, and is told to go on, once, when half of that is taken.
 * Memory per request stays bounded whatever the body's size.
 */
final class RequestBody extends InputStream {
    static final int WAKE_BYTES = 128 * 1024;
    static final int LIMIT_BYTES = 512 * 1024;
    /** A client that sends nothing for this long has gone away. */
    private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(120);

    private final HttpServerRequest request;
    private final Context context;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    // Guarded by lock: what the event loop delivered and the reader has not taken.
    private final ArrayDeque<Buffer> buffers = new ArrayDeque<>();
    private long queued;
    private boolean end;
    private Throwable failure;
    private boolean waiting;
    private boolean paused;
    private boolean resumeAsked;
    private long lastArrival = System.nanoTime();
    // The reader's own.
    private Buffer current;
    private int position;
    private long received;

    /** Must be created on the request's event loop, before it delivers any data. */
    RequestBody(HttpServerRequest request, Context context) {
        this.request = request;
        this.context = context;
        if (request.isEnded()) {
            end = true;
            return;
        }
        request.handler(this::arrive);
        request.endHandler(v -> finish(null));
        request.exceptionHandler(this::finish);
        request.resume();
    }

    /** On the event loop. */
    private void arrive(Buffer buffer) {
        lock.lock();
        try {
            buffers.add(buffer);
            queued += buffer.length();
            lastArrival = System.nanoTime();
            if (waiting && queued >= WAKE_BYTES) arrived.signal();
            if (queued >= LIMIT_BYTES && !paused) {
                paused = true;
                request.pause();
            }
        } finally {
            lock.unlock();
        }
    }

    /** On the event loop: the body ended, or failed with {@code t}. */
    private void finish(Throwable t) {
        if (t != null && RequestGuard.malformedBody(request, t)) t = new MalformedBody(t);
        lock.lock();
        try {
            if (t == null) end = true;
            else if (failure == null) failure = t;
            arrived.signal();
        } finally {
            lock.unlock();
        }
    }

    /** On the event loop, asked by the reader. */
    private void resumeIfDrained() {
        lock.lock();
        try {
            resumeAsked = false;
            if (paused && queued < LIMIT_BYTES) {
                paused = false;
                request.resume();
            }
        } finally {
            lock.unlock();
        }
    }

    long received() {
        return received;
    }

    /** Bytes delivered and not yet taken by the reader. */
    long queued() {
        lock.lock();
        try {
            return queued;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
    }

    /** Waits only when nothing at all is queued; otherwise returns what has arrived, up to {@code len}. */
    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        int copied = 0;
        while (copied < len) {
            if (current == null || position == current.length()) {
                current = take(copied == 0);
                position = 0;
                if (current == null) break;
            }
            int n = Math.min(len - copied, current.length() - position);
            current.getBytes(position, position + n, b, off + copied);
            position += n;
            copied += n;
        }
        received += copied;
        return copied == 0 ? -1 : copied;
    }

    /**
     * The next buffer; null at the end of the body, or when {@code wait} is false and nothing is
     * queued. A failure is thrown once the bytes before it are taken.
     */
    private Buffer take(boolean wait) throws IOException {
        lock.lock();
        try {
            if (buffers.isEmpty()) {
                if (failure instanceof MalformedBody m) throw m;
                if (failure != null) throw new IOException("request body failed: " + failure.getMessage(), failure);
                if (end || !wait) return null;
                waiting = true;
                try {
                    while (queued < WAKE_BYTES && !end && failure == null) {
                        long left = lastArrival + STALL_NANOS - System.nanoTime();
                        if (left <= 0) throw new IOException("client sent nothing for " + TimeUnit.NANOSECONDS.toSeconds(STALL_NANOS) + " s");
                        arrived.awaitNanos(left);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while reading the request body");
                } finally {
                    waiting = false;
                }
                if (buffers.isEmpty()) return take(false);
            }
            Buffer next = buffers.poll();
            queued -= next.length();
            if (paused && !resumeAsked && queued < LIMIT_BYTES / 2) {
                resumeAsked = true;
                context.runOnContext(v -> resumeIfDrained());
            }
            return next;
        } finally {
            lock.unlock();
        }
    }

    /** Reads the rest, to at most {@code limit} bytes; more is an error (the caller maps it to 413). */
    byte[] readBounded(int limit) throws IOException {
        byte[] all = readNBytes(limit + 1);
        if (all.length > limit) throw new BodyTooLarge(limit);
        return all;
    }

    /** The HTTP decoder could not read the body: answered 400 already ({@link RequestGuard#malformedBody}). */
    static final class MalformedBody extends IOException {
        MalformedBody(Throwable cause) {
            super("malformed request body: " + cause.getMessage(), cause);
        }
    }

    static final class BodyTooLarge extends IOException {
        BodyTooLarge(int limit) {
            super("body larger than " + limit + " bytes");
        }
    }
}
