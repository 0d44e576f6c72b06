package io.strata.client;

import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.DigestAlgorithm;
import io.strata.oci.Index;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import io.strata.oci.Reference;
import io.strata.remote.Bounded;
import io.strata.remote.RegistryClient;
import io.strata.remote.RegistryException;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * OCI 1.1 artifacts, as oras pushes and pulls them: files as layers named by the
 * {@code org.opencontainers.image.title} annotation, the empty config when there is none, an
 * {@code artifactType}, and a {@code subject} that makes the artifact a referrer of an image. A
 * registry without the referrers API is served by the spec's fallback, the tag
 * {@code <alg>-<hex>} of the subject's digest holding an index of its referrers, kept up to date
 * by the client that pushes one (and read the same way by discover).
 */
public final class Artifacts {
    public static final String TITLE = "org.opencontainers.image.title";
    /** The empty JSON object image-spec 1.1 gives as the config of an artifact that has none. */
    static final byte[] EMPTY = "{}".getBytes(StandardCharsets.US_ASCII);

    private Artifacts() {}

    /** A file to push and its media type. */
    public record File(Path path, String mediaType) {}

    /** What a push made: the manifest, and whether the registry indexed the subject itself (else the fallback tag was updated). */
    public record Pushed(Descriptor manifest, boolean referrersApi) {}

    /**
     * Pushes {@code files} as an artifact of {@code artifactType} to {@code ref}'s repository under
     * {@code tag} (null: by its digest alone, as an attached referrer is), referring to
     * {@code subject} when given. Blobs first, the manifest last; the fallback referrers tag after it.
     */
    public static Pushed push(RegistryClient client, Reference ref, String tag, List<File> files, String artifactType, Map<String, String> annotations,
                              Optional<Descriptor> subject, long chunkSize) throws IOException {
        MediaType.requireValid(artifactType);
        List<Descriptor> layers = new ArrayList<>();
        java.util.Set<String> titles = new java.util.HashSet<>();
        for (File f : files) {
            if (!Files.isRegularFile(f.path())) throw new IllegalArgumentException("no file " + f.path());
            String title = f.path().getFileName().toString();
            if (!titles.add(title)) throw new IllegalArgumentException("two files named " + title + ": an artifact's files are named by their last component");
            Descriptor d = new Descriptor(MediaType.requireValid(f.mediaType()), digest(f.path()), Files.size(f.path()), null, Map.of(TITLE, title), null, null);
            uploadFile(client, ref, d, f.path(), chunkSize);
            layers.add(d);
        }
        Descriptor config = new Descriptor(MediaType.OCI_EMPTY, Digest.sha256(EMPTY), EMPTY.length);
        if (!client.hasBlob(ref.repository(), config.digest())) {
            client.uploadBlob(ref.repository(), config, (offset, length) -> HttpRequest.BodyPublishers.ofByteArray(EMPTY, (int) offset, (int) length), chunkSize);
        }
        if (layers.isEmpty()) layers.add(config); // image-spec 1.1: an artifact without files has the empty descriptor as its one layer
        Map<String, String> notes = new LinkedHashMap<>(annotations);
        notes.putIfAbsent("org.opencontainers.image.created", java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString());
        Manifest m = new Manifest(2, MediaType.OCI_MANIFEST, artifactType, config, layers, subject.orElse(null), notes);
        byte[] bytes = m.toJson();
        Descriptor d = new Descriptor(MediaType.OCI_MANIFEST, Digest.sha256(bytes), bytes.length, null, notes, artifactType, null);
        String reference = tag != null ? tag : d.digest().toString();
        boolean api = client.putManifest(ref.repository(), reference, MediaType.OCI_MANIFEST, bytes, d.digest());
        if (subject.isPresent() && !api) addToFallbackTag(client, ref, subject.get().digest(), d);
        return new Pushed(d, api || subject.isEmpty());
    }

    /** The referrers tag schema: the subject's digest as a tag, {@code sha256-<hex>}. */
    static String fallbackTag(Digest subject) {
        return subject.algorithm().id() + "-" + subject.encoded();
    }

    /** Adds {@code referrer} to the fallback tag's index (made when missing), as the spec says a client without the API does. */
    public static void addToFallbackTag(RegistryClient client, Reference ref, Digest subject, Descriptor referrer) throws IOException {
        String tag = fallbackTag(subject);
        List<Descriptor> entries = new ArrayList<>();
        try {
            RegistryClient.Fetched current = client.manifest(ref.repository(), tag);
            for (Descriptor e : Index.parse(current.content()).manifests()) if (!e.digest().equals(referrer.digest())) entries.add(e);
        } catch (RegistryException e) {
            if (e.status() != 404) throw e;
        }
        entries.add(referrer);
        Index index = new Index(2, MediaType.OCI_INDEX, null, entries, null, null);
        byte[] bytes = index.toJson(false);
        client.putManifest(ref.repository(), tag, MediaType.OCI_INDEX, bytes, Digest.sha256(bytes));
    }

    /**
     * What refers to {@code subject} (filtered by {@code artifactType} when given): the referrers
     * API's answer, else the fallback tag's index, else nothing.
     */
    public static List<Descriptor> referrers(RegistryClient client, Reference ref, Digest subject, String artifactType) throws IOException {
        Optional<byte[]> api = client.referrers(ref.repository(), subject, artifactType);
        List<Descriptor> all;
        if (api.isPresent()) {
            all = Index.parse(api.get()).manifests();
        } else {
            try {
                all = Index.parse(client.manifest(ref.repository(), fallbackTag(subject)).content()).manifests();
            } catch (RegistryException e) {
                if (e.status() != 404) throw e;
                all = List.of();
            }
        }
        // A registry may ignore the filter (it then says so in OCI-Filters-Applied); filtered here either way.
        return artifactType == null ? all : all.stream().filter(d -> artifactType.equals(d.artifactType())).toList();
    }

    /**
     * Pulls an artifact's files into {@code dir}: each layer named by its title (a plain name, never
     * a path), streamed, verified, and put in place whole. Answers the files written.
     */
    public static List<Path> pull(RegistryClient client, Reference ref, Path dir) throws IOException {
        RegistryClient.Fetched fetched = client.manifest(ref.repository(), ref.digest() != null ? ref.digest().toString() : ref.tag().value());
        if (MediaType.INDEXES.contains(fetched.mediaType())) throw new IllegalArgumentException(ref + " is an index, not an artifact");
        Manifest m = Manifest.parse(fetched.content());
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        for (Descriptor layer : m.layers()) {
            String title = layer.annotations().get(TITLE);
            if (title == null) continue; // unnamed content (the empty descriptor among them): nothing to name a file by
            if (title.isEmpty() || title.equals(".") || title.equals("..") || title.contains("/") || title.contains("\0")) {
                throw new IOException("the artifact names a file " + title + ": not a plain file name, refused");
            }
            Path target = dir.resolve(title);
            Path partial = dir.resolve("." + title + ".partial-" + ProcessHandle.current().pid());
            MessageDigest hash = layer.digest().algorithm().newStreamingDigest();
            try (InputStream in = new Bounded(client.getBlob(ref.repository(), layer.digest(), 0).body(), layer.size() + 1);
                 var out = Files.newOutputStream(partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                byte[] buf = new byte[1 << 16];
                long total = 0;
                for (int n; (n = in.read(buf)) > 0; ) {
                    total += n;
                    if (total > layer.size()) throw new IOException(layer.digest() + " is longer than its " + layer.size() + " bytes");
                    hash.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
                if (total != layer.size()) throw new IOException(layer.digest() + " ended after " + total + " of its " + layer.size() + " bytes");
                Digest actual = Digest.of(layer.digest().algorithm(), hash.digest());
                if (!actual.equals(layer.digest())) throw new IOException(title + " has digest " + actual + ", not " + layer.digest());
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(partial);
                throw e;
            }
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            written.add(target);
        }
        return written;
    }

    private static void uploadFile(RegistryClient client, Reference ref, Descriptor d, Path file, long chunkSize) throws IOException {
        if (client.hasBlob(ref.repository(), d.digest())) return;
        client.uploadBlob(ref.repository(), d, RegistryClient.BlobSource.ofFile(file), chunkSize);
    }

    private static Digest digest(Path file) throws IOException {
        MessageDigest hash = DigestAlgorithm.SHA256.newStreamingDigest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) hash.update(buf, 0, n);
        }
        return Digest.of(DigestAlgorithm.SHA256, hash.digest());
    }
}
