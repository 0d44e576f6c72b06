package io.strata.storage;

import io.strata.oci.Digest;
import io.strata.oci.DigestAlgorithm;
import io.strata.storage.driver.FilesystemDriver;
import io.strata.storage.driver.S3Driver;
import io.strata.storage.driver.StorageDriver;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.OptionalLong;
import java.util.Random;

/**
 * Runs in a child JVM for {@link LargeBlobTest} and {@link CrashTest}.
 * {@code big STORE SIZE} streams a generated blob of SIZE bytes in and out;
 * {@code churn STORE} uploads blobs until killed, printing "COMMITTED digest" after each commit returns.
 * STORE is {@code fs:DIR} or {@code s3:ENDPOINT|PREFIX}.
 */
public final class StorageTool {
    public static void main(String[] args) throws Exception {
        try (Storage storage = new Storage(driver(args[1]), Clock.systemUTC())) {
            switch (args[0]) {
                case "big" -> big(storage, Long.parseLong(args[2]));
                case "churn" -> churn(storage);
                default -> throw new IllegalArgumentException(args[0]);
            }
        }
    }

    static StorageDriver driver(String spec) throws Exception {
        if (spec.startsWith("fs:")) return new FilesystemDriver(Path.of(spec.substring(3)));
        String[] s3 = spec.substring(3).split("\\|");
        return new S3Driver(new S3Driver.Options(S3ProxyFixture.BUCKET, "us-east-1", URI.create(s3[0]), true,
                S3ProxyFixture.ACCESS_KEY, S3ProxyFixture.SECRET_KEY, s3[1], 0, 0, null));
    }

    /** Deterministic bytes: a random 64 KiB block, each copy stamped with its index so no two blocks match. */
    static final class Generated extends InputStream {
        private final byte[] block = new byte[64 * 1024];
        private final long size;
        private long position;
        private final MessageDigest tee;

        Generated(long size, MessageDigest tee) {
            new Random(42).nextBytes(block);
            this.size = size;
            this.tee = tee;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (position >= size) return -1;
            int inBlock = (int) (position % block.length);
            long index = position / block.length;
            int n = (int) Math.min(Math.min(len, block.length - inBlock), size - position);
            System.arraycopy(block, inBlock, b, off, n);
            for (int i = 0; i < n; i++) {
                int at = inBlock + i;
                if (at < 8) b[off + i] = (byte) (index >>> (8 * at));
            }
            tee.update(b, off, n);
            position += n;
            return n;
        }
    }

    /** A bounded slice of a stream that leaves the rest unread. */
    static InputStream slice(InputStream in, long length) {
        return new InputStream() {
            long left = length;

            @Override
            public int read() throws java.io.IOException {
                if (left <= 0) return -1;
                int b = in.read();
                if (b >= 0) left--;
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws java.io.IOException {
                if (left <= 0) return -1;
                int n = in.read(b, off, (int) Math.min(len, left));
                if (n > 0) left -= n;
                return n;
            }
        };
    }

    static void big(Storage storage, long size) throws Exception {
        MessageDigest expected = DigestAlgorithm.SHA256.newMessageDigest();
        Generated source = new Generated(size, expected);
        var u = storage.uploads().start();
        // Three chunks of odd sizes: offsets beyond 2^31 and S3 parts that do not line up with chunks.
        long[] ends = {size / 3 + 7, 2 * (size / 3) + 13, size};
        long offset = 0;
        for (long end : ends) {
            offset = storage.uploads().append(u.id(), offset, slice(source, end - offset)).offset();
        }
        Digest digest = Digest.of(DigestAlgorithm.SHA256, expected.digest());
        var info = storage.uploads().commit(u.id(), digest, OptionalLong.of(size));
        MessageDigest back = DigestAlgorithm.SHA256.newMessageDigest();
        long read = 0;
        try (InputStream in = storage.blobs().open(info.digest())) {
            byte[] buf = new byte[256 * 1024];
            int n;
            while ((n = in.read(buf)) != -1) {
                back.update(buf, 0, n);
                read += n;
            }
        }
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        System.out.println("OK " + info.digest() + " " + info.size() + " " + read + " "
                + Digest.of(DigestAlgorithm.SHA256, back.digest()) + " maxHeap=" + Runtime.getRuntime().maxMemory()
                + " heapUsed=" + heap);
    }

    static void churn(Storage storage) throws Exception {
        Random random = new Random();
        OutputStream out = System.out;
        while (true) {
            byte[] content = new byte[random.nextInt(3 * 1024 * 1024)];
            random.nextBytes(content);
            var u = storage.uploads().start();
            int cut = content.length == 0 ? 0 : random.nextInt(content.length);
            storage.uploads().append(u.id(), 0, TestData.stream(content, 0, cut));
            storage.uploads().append(u.id(), cut, TestData.stream(content, cut, content.length));
            var info = storage.uploads().commit(u.id(), Digest.sha256(content), OptionalLong.of(content.length));
            out.write(("COMMITTED " + info.digest() + "\n").getBytes());
            out.flush();
        }
    }
}
