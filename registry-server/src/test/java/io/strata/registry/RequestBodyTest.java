package io.strata.registry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The request body as the storage code reads it, from a real Vert.x server and a raw socket client:
 * every byte in order at every size around the hand-over thresholds, a body that trickles in below
 * them, memory bounded while the reader does not read, and a client that leaves mid-body.
 */
class RequestBodyTest {
    private Vertx vertx;
    private HttpServer server;
    /** What the next request's handler does with its body, on a virtual thread. */
    private final AtomicReference<BodyReader> reader = new AtomicReference<>();
    private final AtomicReference<RequestBody> lastBody = new AtomicReference<>();
    private volatile CompletableFuture<Object> outcome;

    interface BodyReader {
        Object read(RequestBody body) throws Exception;
    }

    @BeforeEach
    void start() throws Exception {
        outcome = new CompletableFuture<>();
        vertx = Vertx.vertx();
        var executor = Executors.newVirtualThreadPerTaskExecutor();
        server = vertx.createHttpServer().requestHandler(req -> {
            RequestBody body = new RequestBody(req, vertx.getOrCreateContext());
            lastBody.set(body);
            executor.submit(() -> {
                try {
                    Object result = reader.get().read(body);
                    outcome.complete(result);
                    vertx.runOnContext(v -> req.response().end("ok"));
                } catch (Throwable t) {
                    outcome.complete(t);
                    vertx.runOnContext(v -> req.response().setStatusCode(500).end());
                }
            });
        }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static byte[] random(int size) {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        return b;
    }

    /** Reads the whole body in reads of {@code chunk} bytes (as the filesystem driver does). */
    private static BodyReader readAll(int chunk) {
        return body -> {
            var out = new java.io.ByteArrayOutputStream();
            byte[] buf = new byte[chunk];
            int n;
            while ((n = body.readNBytes(buf, 0, buf.length)) > 0) out.write(buf, 0, n);
            return out.toByteArray();
        };
    }

    private Socket post(long length) throws IOException {
        Socket s = new Socket("127.0.0.1", server.actualPort());
        s.getOutputStream().write(("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + "\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        return s;
    }

    private Object result() throws Exception {
        return outcome.get(60, TimeUnit.SECONDS);
    }

    @Test
    void everyByteArrivesInOrderAtEverySizeAroundTheThresholds() throws Exception {
        int[] sizes = {0, 1, RequestBody.WAKE_BYTES - 1, RequestBody.WAKE_BYTES, RequestBody.WAKE_BYTES + 1,
                RequestBody.LIMIT_BYTES + 12345, 24 << 20};
        for (int size : sizes) {
            stop();
            start();
            byte[] sent = random(size);
            reader.set(readAll(256 * 1024));
            try (Socket s = post(size)) {
                s.getOutputStream().write(sent);
                Object got = result();
                assertInstanceOf(byte[].class, got, () -> "size " + size + ": " + got);
                assertArrayEquals(sent, (byte[]) got, "size " + size);
                assertEquals(size, lastBody.get().received());
            }
        }
    }

    @Test
    void aBodyThatTricklesInBelowTheWakeThresholdIsReadAsItEnds() throws Exception {
        byte[] sent = random(10_000);
        reader.set(readAll(256 * 1024));
        try (Socket s = post(sent.length)) {
            OutputStream out = s.getOutputStream();
            for (int i = 0; i < sent.length; i += 1000) {
                out.write(sent, i, 1000);
                out.flush();
                Thread.sleep(20);
            }
            assertArrayEquals(sent, (byte[]) result());
        }
    }

    @Test
    void aReaderThatDoesNotReadHoldsAtMostTheLimitInMemory() throws Exception {
        int size = 64 << 20;
        byte[] sent = random(size);
        CompletableFuture<Void> go = new CompletableFuture<>();
        AtomicReference<Long> queuedWhileStalled = new AtomicReference<>();
        reader.set(body -> {
            go.get(60, TimeUnit.SECONDS);
            queuedWhileStalled.set(body.queued());
            return readAll(256 * 1024).read(body);
        });
        try (Socket s = post(size)) {
            var writer = CompletableFuture.runAsync(() -> {
                try {
                    s.getOutputStream().write(sent);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Thread.sleep(1500); // the event loop reads what the socket gives until it stops at the limit
            assertTrue(!writer.isDone(), "the server stopped reading, so the client cannot have sent 64 MiB");
            go.complete(null);
            assertArrayEquals(sent, (byte[]) result());
            writer.get(30, TimeUnit.SECONDS);
        }
        long held = queuedWhileStalled.get();
        assertTrue(held >= RequestBody.LIMIT_BYTES && held < RequestBody.LIMIT_BYTES + (1 << 20),
                "held " + held + " bytes while the reader stalled");
    }

    /**
     * A body cut short is an error, never a clean end (an upload would store a short blob), and what
     * was returned before it is what was sent. (Vert.x drops what it still held for a paused request
     * when the connection closes, so not every byte sent need come first; the upload fails anyway.)
     */
    @Test
    void aClientThatLeavesMidBodyFailsTheReadAfterAPrefixOfTheBytesItSent() throws Exception {
        byte[] sent = random(3 << 20);
        var before = new java.io.ByteArrayOutputStream();
        reader.set(body -> {
            byte[] buf = new byte[64 * 1024];
            try {
                int n;
                while ((n = body.read(buf)) > 0) before.write(buf, 0, n);
                return "ended after " + before.size();
            } catch (IOException e) {
                return e;
            }
        });
        try (Socket s = post(sent.length * 2L)) {
            s.getOutputStream().write(sent);
            s.getOutputStream().flush();
            Thread.sleep(300);
        } // closed with half the declared body sent
        Object got = result();
        assertInstanceOf(IOException.class, got, () -> "expected the read to fail, got " + got);
        byte[] prefix = before.toByteArray();
        assertTrue(prefix.length > 0, "the bytes before the failure were returned");
        assertArrayEquals(java.util.Arrays.copyOf(sent, prefix.length), prefix);
    }

    @Test
    void theBytesHashAsSent() throws Exception {
        byte[] sent = random(5 << 20);
        reader.set(body -> {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[7919]; // odd reads: the buffer boundaries never line up
            int n;
            while ((n = body.read(buf, 0, buf.length)) > 0) md.update(buf, 0, n);
            return md.digest();
        });
        try (Socket s = post(sent.length)) {
            s.getOutputStream().write(sent);
            assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(sent), (byte[]) result());
            InputStream in = s.getInputStream();
            assertTrue(new String(in.readNBytes(12), StandardCharsets.ISO_8859_1).startsWith("HTTP/1.1 200"));
        }
    }
}
