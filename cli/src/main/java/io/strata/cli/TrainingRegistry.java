package io.strata.cli;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What the AOT training run pulls from: one image over plain HTTP on loopback, answered from memory
 * (GET and HEAD of {@code /v2/}, the image's manifest by tag or digest, its blobs, a tag list of v1). Not a registry:
 * the real one would put Vert.x and Netty into the cache every client verb maps at start, for a
 * pull that only needs the client's side to be trained.
 */
final class TrainingRegistry implements AutoCloseable {
    private final ServerSocket server;
    private final String repository;
    private final Map<String, byte[]> blobs;
    private final byte[] manifest;
    private final String manifestDigest;
    private final String manifestType;

    /** Serves {@code manifest} as {@code repository:any tag} and by its digest, and {@code blobs} by digest. */
    TrainingRegistry(String repository, byte[] manifest, String manifestDigest, String manifestType, Map<String, byte[]> blobs)
            throws IOException {
        this.repository = repository;
        this.manifest = manifest;
        this.manifestDigest = manifestDigest;
        this.manifestType = manifestType;
        this.blobs = blobs;
        this.server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread.ofPlatform().daemon().name("training-registry").start(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                Thread.ofPlatform().daemon().start(() -> serve(s));
            } catch (IOException closed) {
                return;
            }
        }
    }

    private void serve(Socket socket) {
        try (socket) {
            InputStream in = new BufferedInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            for (String request = line(in); request != null && !request.isEmpty(); request = line(in)) {
                long bodyLength = 0;
                for (String h = line(in); h != null && !h.isEmpty(); h = line(in)) {
                    if (h.regionMatches(true, 0, "content-length:", 0, 15)) bodyLength = Long.parseLong(h.substring(15).trim());
                }
                in.skipNBytes(bodyLength);
                String[] parts = request.split(" ");
                if (parts.length < 2) return;
                answer(out, parts[0].equals("HEAD"), parts[1]);
                if (request.endsWith("HTTP/1.0")) return; // no keep-alive: the client reads to the end
            }
        } catch (IOException | RuntimeException gone) {
            // the client closed the connection
        }
    }

    private void answer(OutputStream out, boolean head, String path) throws IOException {
        String prefix = "/v2/" + repository + "/";
        if (path.equals("/v2/")) {
            respond(out, head, 200, "application/json", null, "{}".getBytes(StandardCharsets.UTF_8));
        } else if (path.startsWith(prefix + "tags/list")) {
            respond(out, head, 200, "application/json", null,
                    ("{\"name\":\"" + repository + "\",\"tags\":[\"v1\"]}").getBytes(StandardCharsets.UTF_8));
        } else if (path.startsWith(prefix + "manifests/")) {
            String reference = path.substring((prefix + "manifests/").length());
            if (reference.startsWith("sha256:") && !reference.equals(manifestDigest)) notFound(out, head);
            else respond(out, head, 200, manifestType, manifestDigest, manifest);
        } else if (path.startsWith(prefix + "blobs/") && blobs.containsKey(path.substring((prefix + "blobs/").length()))) {
            String digest = path.substring((prefix + "blobs/").length());
            respond(out, head, 200, "application/octet-stream", digest, blobs.get(digest));
        } else {
            notFound(out, head);
        }
    }

    private static void notFound(OutputStream out, boolean head) throws IOException {
        respond(out, head, 404, "application/json", null,
                "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"not here\"}]}".getBytes(StandardCharsets.UTF_8));
    }

    private static void respond(OutputStream out, boolean head, int status, String type, String digest, byte[] body) throws IOException {
        StringBuilder h = new StringBuilder("HTTP/1.1 ").append(status).append(status == 200 ? " OK" : " Not Found").append("\r\n")
                .append("Content-Type: ").append(type).append("\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n")
                .append("Docker-Distribution-API-Version: registry/2.0\r\n");
        if (digest != null) h.append("Docker-Content-Digest: ").append(digest).append("\r\n");
        out.write(h.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
        if (!head) out.write(body);
        out.flush();
    }

    /** A CRLF-ended line without its end; null at the end of the stream. */
    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int c = in.read(); ; c = in.read()) {
            if (c == -1) return b.isEmpty() ? null : b.toString();
            if (c == '\n') return b.toString();
            if (c != '\r') b.append((char) c);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
