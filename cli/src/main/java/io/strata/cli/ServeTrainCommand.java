package io.strata.cli;

import io.strata.oci.Digest;
import io.strata.registry.Registry;
import io.strata.registry.RegistryConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import picocli.CommandLine.Command;

/**
 * The training run of the registry's AOT cache (not for users): starts the registry as {@code serve}
 * does, on loopback with filesystem storage in a temporary directory, and sends it what clients
 * send most (uploads in chunks and in one request, manifests, HEADs, blob and range GETs, listings,
 * refusals), a few at a time. The cache then holds the classes this loads and their method profiles
 * (JEP 515), so a registry just started compiles its upload path sooner: its first push is the one
 * that paid for the warm-up (bench/push-vs-distribution.sh).
 */
@Command(name = "aot-train-serve", hidden = true)
final class ServeTrainCommand implements Callable<Integer> {
    private static final String MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json";
    /** Enough bytes for the upload path to be compiled with profiles, as a real push is. */
    private static final int CHUNK = 8 << 20;
    private static final int CHUNKS = 8;
    private static final int CLIENTS = 4;
    private static final int READS = 500;

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("strata-aot-serve");
        try {
            RegistryConfig cfg = RegistryConfig.load(null, Map.of()).withFlags("127.0.0.1:0", dir.resolve("data").toString());
            Logging.setLevel("warn");
            Logging.setFormat(cfg.log().format());
            try (Registry registry = Registry.start(cfg);
                    var clients = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<?>> work = new ArrayList<>();
                for (int i = 0; i < CLIENTS; i++) {
                    String repo = "train/app" + i;
                    int seed = i;
                    work.add(clients.submit(() -> traffic(registry.port(), repo, seed)));
                }
                for (Future<?> f : work) f.get();
            }
        } finally {
            io.strata.snapshots.OverlaySnapshotter.deleteTree(dir);
        }
        return 0;
    }

    /** One client's session: push an image, then read it the ways pulls do. */
    private static Void traffic(int port, String repo, int seed) throws Exception {
        try (Connection c = new Connection(port)) {
            c.expect("GET", "/v2/", 200);
            // A layer uploaded in chunks, never held whole: the same bytes are generated twice.
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            long size = (long) CHUNK * CHUNKS;
            try (InputStream in = layer(seed, 0, size)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) > 0; ) sha.update(buf, 0, n);
            }
            String layer = "sha256:" + java.util.HexFormat.of().formatHex(sha.digest());
            String location = c.expect("POST", "/v2/" + repo + "/blobs/uploads/", 202).location();
            for (int i = 0; i < CHUNKS; i++) {
                long from = (long) i * CHUNK;
                location = c.send("PATCH", location, 202, Map.of("Content-Type", "application/octet-stream",
                        "Content-Range", from + "-" + (from + CHUNK - 1)), layer(seed, from, CHUNK), CHUNK).location();
            }
            c.expect("PUT", location + (location.contains("?") ? "&" : "?") + "digest=" + layer, 201);

            byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                    + layer + "\"]}}").getBytes(StandardCharsets.UTF_8);
            String configDigest = Digest.sha256(config).toString();
            c.send("POST", "/v2/" + repo + "/blobs/uploads/?digest=" + configDigest, 201,
                    Map.of("Content-Type", "application/octet-stream"), new ByteArrayInputStream(config), config.length);
            byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MANIFEST_TYPE + "\",\"config\":{\"mediaType\":"
                    + "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" + configDigest + "\",\"size\":" + config.length
                    + "},\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar\",\"digest\":\"" + layer
                    + "\",\"size\":" + size + "}]}").getBytes(StandardCharsets.UTF_8);
            c.send("PUT", "/v2/" + repo + "/manifests/v1", 201, Map.of("Content-Type", MANIFEST_TYPE),
                    new ByteArrayInputStream(manifest), manifest.length);
            String manifestDigest = Digest.sha256(manifest).toString();

            // Reads, as many as a busy registry answers in its first seconds.
            Map<String, String> accept = Map.of("Accept", MANIFEST_TYPE);
            for (int i = 0; i < READS; i++) {
                c.send("HEAD", "/v2/" + repo + "/manifests/v1", 200, accept, null, 0);
                c.send("GET", "/v2/" + repo + "/manifests/" + (i % 2 == 0 ? "v1" : manifestDigest), 200, accept, null, 0);
                c.expect("GET", "/v2/" + repo + "/blobs/" + configDigest, 200);
                c.expect("HEAD", "/v2/" + repo + "/blobs/" + layer, 200);
            }
            c.expect("GET", "/v2/" + repo + "/blobs/" + layer, 200);
            c.send("GET", "/v2/" + repo + "/blobs/" + layer, 206, Map.of("Range", "bytes=1024-2047"), null, 0);
            c.expect("GET", "/v2/" + repo + "/tags/list", 200);
            c.expect("GET", "/v2/" + repo + "/referrers/" + manifestDigest, 200);
            c.expect("GET", "/v2/_catalog", 200);
            // Refusals: an unknown blob and manifest, a digest that is not one.
            c.expect("GET", "/v2/" + repo + "/blobs/sha256:" + "0".repeat(64), 404);
            c.expect("GET", "/v2/" + repo + "/manifests/v2", 404);
            c.send("POST", "/v2/" + repo + "/blobs/uploads/?digest=sha256:nothex", 400, Map.of(),
                    new ByteArrayInputStream(config), config.length);
        }
        return null;
    }

    /**
     * One keep-alive HTTP/1.1 connection, enough of a client for this traffic: a few classes over
     * a socket, where the JDK's HTTP client would put a thousand of its own into the cache, all of
     * them loaded at every start of the registry.
     */
    private static final class Connection implements AutoCloseable {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Connection(int port) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), port);
            in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
            out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
        }

        record Response(int status, String location) {}

        Response expect(String method, String target, int status) throws IOException {
            return send(method, target, status, Map.of(), null, 0);
        }

        /** Sends a request with {@code body} of {@code length} bytes (none when null), reads the response through. */
        Response send(String method, String target, int status, Map<String, String> headers, InputStream body, long length)
                throws IOException {
            StringBuilder head = new StringBuilder(method).append(' ').append(target).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
            headers.forEach((k, v) -> head.append(k).append(": ").append(v).append("\r\n"));
            if (body != null || method.equals("PUT") || method.equals("POST")) head.append("Content-Length: ").append(length).append("\r\n");
            out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) {
                try (body) {
                    body.transferTo(out);
                }
            }
            out.flush();
            String statusLine = line();
            int code = Integer.parseInt(statusLine.split(" ")[1]);
            long contentLength = 0;
            String location = null;
            for (String h; !(h = line()).isEmpty(); ) {
                int colon = h.indexOf(':');
                String name = h.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT);
                String value = h.substring(colon + 1).trim();
                if (name.equals("content-length")) contentLength = Long.parseLong(value);
                else if (name.equals("location")) location = value;
                else if (name.equals("transfer-encoding")) throw new IOException(target + ": unexpected " + h);
            }
            if (!method.equals("HEAD")) in.skipNBytes(contentLength);
            if (code != status) throw new IOException(method + " " + target + ": " + code + ", expected " + status);
            return new Response(code, location);
        }

        private String line() throws IOException {
            StringBuilder b = new StringBuilder();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c < 0) throw new java.io.EOFException("the registry closed the connection");
                if (c != '\r') b.append((char) c);
            }
            return b.toString();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /**
     * {@code length} bytes of a layer from {@code from} on: a random 1 MiB block from {@code seed},
     * each repetition XORed with its number so that no two MiB are the same.
     */
    private static InputStream layer(int seed, long from, long length) {
        byte[] block = new byte[1 << 20];
        new java.util.SplittableRandom(seed).nextBytes(block);
        return new InputStream() {
            private long position = from;
            private final long end = from + length;

            @Override
            public int read() {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (position == end) return -1;
                int at = (int) (position & (block.length - 1));
                int n = (int) Math.min(Math.min(len, end - position), block.length - at);
                byte mix = (byte) (position >>> 20);
                for (int i = 0; i < n; i++) b[off + i] = (byte) (block[at + i] ^ mix);
                position += n;
                return n;
            }
        };
    }
}
