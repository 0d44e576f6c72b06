package io.strata.storage.driver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.storage.Keys;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Objects are S3 keys under an optional prefix in one bucket.
 *
 * <p>Upload bytes go into a multipart upload at {@code uploads/<id>/data}. S3 wants every part but
 * the last to be at least 5 MiB, and chunks can be any size, so the bytes of a chunk that do not
 * fill a part are stored as small "pending" objects and joined into the next part. Each part is
 * spooled to a local file first (memory stays flat, and the SDK can retry from the file). Part
 * sizes double every 1,000 parts so that S3's 10,000-part limit is never reached before its
 * 5 TiB object limit.
 *
 * <p>There is no cross-process lock on S3. Two writers racing on one upload cannot produce a blob
 * whose bytes differ from its digest: pending objects have unique keys, and the state records each
 * part's ETag, so completing the upload fails if a part was overwritten by the other writer.
 */
public final class S3Driver implements StorageDriver {
    /** S3's minimum part size (all parts but the last). */
    public static final long MIN_PART_SIZE = 5L * 1024 * 1024;
    private static final long MAX_PART_SIZE = 5L * 1024 * 1024 * 1024;
    private static final int PARTS_PER_SIZE_STEP = 500;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final S3Client s3;
    private final String bucket;
    private final String prefix;
    private final long partSize;
    private final long copyPartSize;
    private final Path spoolDir;
    private final ConcurrentHashMap<String, ReentrantLock> uploadLocks = new ConcurrentHashMap<>();

    /** Driver options; {@code copyPartSize} is the largest single CopyObject (S3 allows 5 GiB). */
    public record Options(
            String bucket,
            String region,
            URI endpoint,
            boolean pathStyle,
            String accessKey,
            String secretKey,
            String prefix,
            long partSize,
            long copyPartSize,
            Path spoolDir) {
        public Options {
            if (bucket == null || bucket.isBlank()) throw new IllegalArgumentException("S3 storage needs a bucket");
            if (region == null || region.isBlank()) region = "us-east-1";
            if (prefix == null) prefix = "";
            if (!prefix.isEmpty()) {
                Keys.requireSafe(prefix);
                if (!prefix.endsWith("/")) prefix = prefix + "/";
            }
            if (partSize == 0) partSize = 16L * 1024 * 1024;
            if (partSize < MIN_PART_SIZE || partSize > MAX_PART_SIZE) {
                throw new IllegalArgumentException("S3 part size must be between 5 MiB and 5 GiB, was " + partSize);
            }
            if (copyPartSize == 0) copyPartSize = MAX_PART_SIZE;
            if (copyPartSize < MIN_PART_SIZE || copyPartSize > MAX_PART_SIZE) {
                throw new IllegalArgumentException("S3 copy part size must be between 5 MiB and 5 GiB, was " + copyPartSize);
            }
            if (spoolDir == null) spoolDir = Path.of(System.getProperty("java.io.tmpdir"), "strata-spool");
        }
    }

    public S3Driver(Options o) throws IOException {
        var builder = S3Client.builder()
                .httpClientBuilder(UrlConnectionHttpClient.builder())
                .region(Region.of(o.region()))
                .forcePathStyle(o.pathStyle());
        if (o.endpoint() != null) builder.endpointOverride(o.endpoint());
        builder.credentialsProvider(o.accessKey() != null && !o.accessKey().isEmpty()
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(o.accessKey(), o.secretKey()))
                : DefaultCredentialsProvider.builder().build());
        this.s3 = builder.build();
        this.bucket = o.bucket();
        this.prefix = o.prefix();
        this.partSize = o.partSize();
        this.copyPartSize = o.copyPartSize();
        this.spoolDir = Files.createDirectories(o.spoolDir());
    }

    private String k(String key) {
        return prefix + Keys.requireSafe(key);
    }

    private static boolean notFound(S3Exception e) {
        return e.statusCode() == 404;
    }

    @Override
    public Optional<byte[]> get(String key) {
        try {
            return Optional.of(s3.getObjectAsBytes(b -> b.bucket(bucket).key(k(key))).asByteArray());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (notFound(e)) return Optional.empty();
            throw e;
        }
    }

    @Override
    public void put(String key, byte[] value) {
        s3.putObject(b -> b.bucket(bucket).key(k(key)), RequestBody.fromBytes(value));
    }

    @Override
    public boolean putIfAbsent(String key, byte[] value) {
        try {
            s3.putObject(b -> b.bucket(bucket).key(k(key)).ifNoneMatch("*"), RequestBody.fromBytes(value));
            return true;
        } catch (S3Exception e) {
            // 412: the key exists; 409: a concurrent conditional write to it is in flight. The SDK may
            // also have retried a write whose first attempt landed, so same bytes count as written.
            if (e.statusCode() == 412 || e.statusCode() == 409) {
                return get(key).map(existing -> java.util.Arrays.equals(existing, value)).orElse(false);
            }
            throw e;
        }
    }

    @Override
    public OptionalLong size(String key) {
        try {
            return OptionalLong.of(s3.headObject(b -> b.bucket(bucket).key(k(key))).contentLength());
        } catch (NoSuchKeyException e) {
            return OptionalLong.empty();
        } catch (S3Exception e) {
            if (notFound(e)) return OptionalLong.empty();
            throw e;
        }
    }

    @Override
    public Optional<java.time.Instant> modified(String key) {
        try {
            return Optional.of(s3.headObject(b -> b.bucket(bucket).key(k(key))).lastModified());
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (notFound(e)) return Optional.empty();
            throw e;
        }
    }

    @Override
    public InputStream read(String key, long offset, long length) throws IOException {
        if (length == 0) return InputStream.nullInputStream();
        try {
            ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(bucket).key(k(key))
                    .range("bytes=" + offset + "-" + (offset + length - 1)));
            return new BoundedInputStream(in, length);
        } catch (NoSuchKeyException e) {
            throw new java.nio.file.NoSuchFileException(key);
        }
    }

    @Override
    public Optional<Path> localFile(String key) {
        return Optional.empty();
    }

    @Override
    public boolean delete(String key) {
        boolean existed = size(key).isPresent();
        s3.deleteObject(b -> b.bucket(bucket).key(k(key)));
        return existed;
    }

    @Override
    public void deleteAll(String keyPrefix) {
        List<ObjectIdentifier> batch = new ArrayList<>();
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(k(keyPrefix))).contents()) {
            batch.add(ObjectIdentifier.builder().key(o.key()).build());
            if (batch.size() == 1000) deleteBatch(batch);
        }
        if (!batch.isEmpty()) deleteBatch(batch);
    }

    private void deleteBatch(List<ObjectIdentifier> batch) {
        List<ObjectIdentifier> ids = List.copyOf(batch);
        s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(ids).quiet(true)));
        batch.clear();
    }

    @Override
    public Stream<String> list(String keyPrefix) {
        String full = k(keyPrefix);
        return s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(full)).contents().stream()
                .map(o -> o.key().substring(prefix.length()));
    }

    @Override
    public void move(String from, String to) {
        long size = size(from).orElseThrow(() -> new IllegalStateException("move of a missing object: " + from));
        if (size <= copyPartSize) {
            s3.copyObject(b -> b.sourceBucket(bucket).sourceKey(k(from)).destinationBucket(bucket).destinationKey(k(to)));
        } else {
            multipartCopy(k(from), k(to), size);
        }
        s3.deleteObject(b -> b.bucket(bucket).key(k(from)));
    }

    /** CopyObject stops at 5 GiB; larger objects are copied part by part, inside S3. */
    private void multipartCopy(String from, String to, long size) {
        String id = s3.createMultipartUpload(b -> b.bucket(bucket).key(to)).uploadId();
        try {
            List<CompletedPart> parts = new ArrayList<>();
            int n = 1;
            for (long start = 0; start < size; start += copyPartSize, n++) {
                long end = Math.min(size, start + copyPartSize) - 1;
                int partNumber = n;
                String range = "bytes=" + start + "-" + end;
                String etag = s3.uploadPartCopy(b -> b.sourceBucket(bucket).sourceKey(from)
                                .destinationBucket(bucket).destinationKey(to)
                                .uploadId(id).partNumber(partNumber).copySourceRange(range))
                        .copyPartResult().eTag();
                parts.add(CompletedPart.builder().partNumber(partNumber).eTag(etag).build());
            }
            s3.completeMultipartUpload(b -> b.bucket(bucket).key(to).uploadId(id)
                    .multipartUpload(m -> m.parts(parts)));
        } catch (RuntimeException e) {
            abortQuietly(to, id);
            throw e;
        }
    }

    @Override
    public Closeable lock(String uploadDir) throws IOException {
        ReentrantLock local = uploadLocks.computeIfAbsent(uploadDir, key -> new ReentrantLock());
        StorageDriver.acquire(local, uploadDir);
        return () -> {
            local.unlock();
            if (!local.hasQueuedThreads()) uploadLocks.remove(uploadDir, local);
        };
    }

    // ---- uploads -------------------------------------------------------------------------------

    /** What an upload holds in S3 besides its state: the multipart upload, its parts, the pending objects. */
    record UploadParts(String multipartId, List<Part> parts, List<Pending> pending) {
        UploadParts {
            parts = parts == null ? new ArrayList<>() : new ArrayList<>(parts);
            pending = pending == null ? new ArrayList<>() : new ArrayList<>(pending);
        }

        long pendingSize() {
            return pending.stream().mapToLong(Pending::size).sum();
        }
    }

    record Part(int number, String etag, long size) {}

    record Pending(String key, long size) {}

    private static UploadParts parts(JsonNode state) {
        return state == null || state.isNull()
                ? new UploadParts(null, null, null)
                : JSON.convertValue(state, UploadParts.class);
    }

    /** Part n (1-based) has this size: doubling every 500 parts, capped at S3's 5 GiB. */
    public long partSize(int partNumber) {
        int step = (partNumber - 1) / PARTS_PER_SIZE_STEP;
        return Math.min(MAX_PART_SIZE, partSize << Math.min(step, 20));
    }

    @Override
    public OptionalLong minimumChunk() {
        return OptionalLong.of(partSize);
    }

    @Override
    public UploadWriter writer(String uploadDir, JsonNode state, long size) {
        return new UploadWriter() {
            private UploadParts parts = parts(state);
            private long held = size;

            @Override
            public long size() {
                return held;
            }

            @Override
            public void append(InputStream data) throws IOException {
                CountingInputStream in = new CountingInputStream(data);
                parts = S3Driver.this.append(uploadDir, parts, in);
                held += in.count;
            }

            @Override
            public JsonNode state() {
                return JSON.valueToTree(parts);
            }

            @Override
            public String commit() throws IOException {
                return seal(uploadDir, parts, held);
            }

            @Override
            public void cancel() {
                if (parts.multipartId() != null) abortQuietly(k(uploadDir + "data"), parts.multipartId());
            }
        };
    }

    /** Counts what the parts consumed. */
    private static final class CountingInputStream extends java.io.FilterInputStream {
        long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) count++;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) count += n;
            return n;
        }
    }

    private UploadParts append(String uploadDir, UploadParts u, InputStream data) throws IOException {
        String dataKey = k(uploadDir + "data");
        while (true) {
            int number = u.parts().size() + 1;
            if (number > 10_000) throw new IOException("upload exceeds S3's 10,000 parts");
            long pendingSize = u.pendingSize();
            long target = partSize(number);
            Path spool = Files.createTempFile(spoolDir, "part-", ".spool");
            try {
                long got;
                try (OutputStream out = Files.newOutputStream(spool, StandardOpenOption.WRITE)) {
                    got = copy(data, out, target - pendingSize);
                }
                if (got == target - pendingSize) {
                    // A full part: the pending objects, then this chunk's bytes.
                    Path part = Files.createTempFile(spoolDir, "part-", ".spool");
                    try {
                        try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.WRITE)) {
                            for (Pending p : u.pending()) {
                                try (InputStream in = s3.getObject(b -> b.bucket(bucket).key(k(p.key())))) {
                                    in.transferTo(out);
                                }
                            }
                            Files.copy(spool, out);
                        }
                        String multipartId = u.multipartId() != null ? u.multipartId()
                                : s3.createMultipartUpload(b -> b.bucket(bucket).key(dataKey)).uploadId();
                        String etag = s3.uploadPart(b -> b.bucket(bucket).key(dataKey).uploadId(multipartId)
                                .partNumber(number).contentLength(target), RequestBody.fromFile(part)).eTag();
                        List<Part> parts = new ArrayList<>(u.parts());
                        parts.add(new Part(number, etag, target));
                        // Consumed pending objects stay until the upload ends: the stored state still names
                        // them until the caller writes the one we return.
                        u = new UploadParts(multipartId, parts, List.of());
                    } finally {
                        Files.deleteIfExists(part);
                    }
                } else {
                    if (got > 0) {
                        String key = uploadDir + "pending/" + UUID.randomUUID();
                        s3.putObject(b -> b.bucket(bucket).key(k(key)).contentLength(got), RequestBody.fromFile(spool));
                        List<Pending> pending = new ArrayList<>(u.pending());
                        pending.add(new Pending(key, got));
                        u = new UploadParts(u.multipartId(), u.parts(), pending);
                    }
                    return u;
                }
            } finally {
                Files.deleteIfExists(spool);
            }
        }
    }

    /** Copies up to {@code limit} bytes; returns how many were copied (fewer only at end of input). */
    private static long copy(InputStream in, OutputStream out, long limit) throws IOException {
        byte[] buf = new byte[64 * 1024];
        long total = 0;
        while (total < limit) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, limit - total));
            if (n == -1) break;
            out.write(buf, 0, n);
            total += n;
        }
        return total;
    }

    private String seal(String uploadDir, UploadParts u, long size) throws IOException {
        String dataKey = k(uploadDir + "data");
        // Sealed before, and what came after failed (the copy into place): the object is there already.
        if (size(uploadDir + "data").orElse(-1) == size) return uploadDir + "data";
        long recorded = u.parts().stream().mapToLong(Part::size).sum() + u.pendingSize();
        if (recorded != size) throw new IOException("upload parts hold " + recorded + " bytes, state says " + size);
        Path spool = Files.createTempFile(spoolDir, "last-", ".spool");
        try {
            try (OutputStream out = Files.newOutputStream(spool, StandardOpenOption.WRITE)) {
                for (Pending p : u.pending()) {
                    try (InputStream in = s3.getObject(b -> b.bucket(bucket).key(k(p.key())))) {
                        in.transferTo(out);
                    }
                }
            }
            long last = u.pendingSize();
            if (u.multipartId() == null) {
                s3.putObject(b -> b.bucket(bucket).key(dataKey).contentLength(last), RequestBody.fromFile(spool));
            } else {
                List<CompletedPart> completed = new ArrayList<>();
                for (Part p : u.parts()) {
                    completed.add(CompletedPart.builder().partNumber(p.number()).eTag(p.etag()).build());
                }
                if (last > 0) {
                    int number = u.parts().size() + 1;
                    String etag = s3.uploadPart(b -> b.bucket(bucket).key(dataKey).uploadId(u.multipartId())
                            .partNumber(number).contentLength(last), RequestBody.fromFile(spool)).eTag();
                    completed.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
                }
                completed.sort(Comparator.comparingInt(CompletedPart::partNumber));
                // Fails (InvalidPart) if a racing writer replaced a part we recorded: nothing becomes visible.
                s3.completeMultipartUpload(b -> b.bucket(bucket).key(dataKey).uploadId(u.multipartId())
                        .multipartUpload(m -> m.parts(completed)));
            }
        } finally {
            Files.deleteIfExists(spool);
        }
        return uploadDir + "data";
    }

    private void abortQuietly(String fullKey, String multipartId) {
        try {
            s3.abortMultipartUpload(b -> b.bucket(bucket).key(fullKey).uploadId(multipartId));
        } catch (NoSuchUploadException e) {
            // already completed or aborted
        } catch (S3Exception e) {
            if (!notFound(e)) throw e;
        }
    }

    /** Aborts multipart uploads under the uploads prefix started before the cutoff, e.g. by a crashed instance. */
    @Override
    public void purgeStale(String uploadsPrefix, long cutoffMillis) {
        for (MultipartUpload m : s3.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(k(uploadsPrefix))).uploads()) {
            if (m.initiated().toEpochMilli() < cutoffMillis) abortQuietly(m.key(), m.uploadId());
        }
    }

    @Override
    public void close() {
        s3.close();
    }
}
