package io.strata.builder;

import io.strata.oci.Digest;
import io.strata.oci.DigestAlgorithm;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

/**
 * ADD of a URL: the file fetched over HTTP(S) into a directory, streamed (never whole in memory),
 * checked against --checksum when one is given, named as the URL's last path segment, 0600 and
 * dated by Last-Modified, as docker's ADD makes it.
 */
final class Downloads {
    private static final HttpClient CLIENT = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL)
            .connectTimeout(Duration.ofSeconds(30)).build();

    private Downloads() {}

    /** Fetches {@code url} into {@code dir}; answers the file's name. {@code where} begins every error. */
    static String fetch(String url, Path dir, String checksum, String where) throws IOException, InterruptedException {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + "not a URL: " + url);
        }
        Digest expected = null;
        if (checksum != null) {
            try {
                expected = Digest.parse(checksum);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + "--checksum is ALGORITHM:HEX (sha256:…), was " + checksum);
            }
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        String name = path.substring(path.lastIndexOf('/') + 1);
        if (name.isEmpty() || name.equals(".") || name.equals("..")) name = "download";
        Path file = dir.resolve(name);
        HttpResponse<InputStream> response = CLIENT.send(HttpRequest.newBuilder(uri).timeout(Duration.ofMinutes(10)).GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
        MessageDigest digest = (expected == null ? DigestAlgorithm.SHA256 : expected.algorithm()).newStreamingDigest();
        try (InputStream in = response.body(); OutputStream out = Files.newOutputStream(file)) {
            if (response.statusCode() != 200) throw new IOException(where + url + " answered " + response.statusCode());
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                digest.update(buf, 0, n);
                out.write(buf, 0, n);
            }
        }
        if (expected != null) {
            Digest got = Digest.of(expected.algorithm(), digest.digest());
            if (!got.equals(expected)) throw new IllegalArgumentException(where + url + " has digest " + got + ", not the --checksum " + expected);
        }
        io.strata.snapshots.Native.chmod(file, 0600);
        response.headers().firstValue("Last-Modified").ifPresent(date -> {
            try {
                Files.setLastModifiedTime(file, FileTime.from(ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant()));
            } catch (RuntimeException | IOException ignored) {
                // a date it cannot read: the file keeps the time it was written
            }
        });
        return name;
    }
}
