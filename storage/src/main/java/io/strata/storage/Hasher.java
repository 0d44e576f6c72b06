package io.strata.storage;

import io.strata.oci.Digest;
import io.strata.oci.DigestAlgorithm;
import io.strata.oci.NativeSha256;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;

/**
 * A running SHA-256 or SHA-512 whose state can be saved after any byte and restored in another
 * process, so that an upload started on one registry instance continues on another.
 *
 * <p>SHA-256 runs in the system's libcrypto where there is one ({@link NativeSha256}, SHA-NI from
 * the first byte, its state a struct we hold); otherwise, and for SHA-512, in the JDK's own digest,
 * which is as fast only once the optimising compiler has given it its SHA-NI intrinsic: until then
 * a registry just started hashed its first pushes several times slower. The JDK gives no API to
 * export its digest's state, so we read and write its fields (the chaining words, the byte count
 * and the partial block); the JVM must be started with {@code --add-opens
 * java.base/java.security=ALL-UNNAMED --add-opens java.base/sun.security.provider=ALL-UNNAMED},
 * which the launcher and the build do. {@link #selfTest()} runs at class load and fails loudly if
 * the runtime changed shape.
 *
 * <p>The saved form is the algorithm's logical state, independent of the implementation (instances
 * with and without libcrypto resume each other's uploads): {@code id:count:words:partial}, base64 parts.
 */
public final class Hasher {
    private static final VarHandle SPI;
    private static final VarHandle BUFFER;
    private static final VarHandle BUF_OFS;
    private static final VarHandle BYTES_PROCESSED;
    private static final VarHandle STATE_256;
    private static final VarHandle STATE_512;

    static {
        try {
            Class<?> delegate = Class.forName("java.security.MessageDigest$Delegate");
            Class<?> base = Class.forName("sun.security.provider.DigestBase");
            Class<?> sha2 = Class.forName("sun.security.provider.SHA2");
            Class<?> sha5 = Class.forName("sun.security.provider.SHA5");
            SPI = MethodHandles.privateLookupIn(delegate, MethodHandles.lookup())
                    .findVarHandle(delegate, "digestSpi", java.security.MessageDigestSpi.class);
            var baseLookup = MethodHandles.privateLookupIn(base, MethodHandles.lookup());
            BUFFER = baseLookup.findVarHandle(base, "buffer", byte[].class);
            BUF_OFS = baseLookup.findVarHandle(base, "bufOfs", int.class);
            BYTES_PROCESSED = baseLookup.findVarHandle(base, "bytesProcessed", long.class);
            STATE_256 = MethodHandles.privateLookupIn(sha2, MethodHandles.lookup()).findVarHandle(sha2, "state", int[].class);
            STATE_512 = MethodHandles.privateLookupIn(sha5, MethodHandles.lookup()).findVarHandle(sha5, "state", long[].class);
        } catch (ReflectiveOperationException | IllegalAccessError | RuntimeException e) {
            throw new ExceptionInInitializerError(new IllegalStateException(
                    "Strata cannot save upload hash state on this JVM. Run Java 25 with "
                            + "--add-opens java.base/java.security=ALL-UNNAMED "
                            + "--add-opens java.base/sun.security.provider=ALL-UNNAMED (the ./strata launcher does). Cause: " + e, e));
        }
        selfTest();
    }

    private final DigestAlgorithm algorithm;
    /** libcrypto's SHA-256, or the JDK's digest. */
    private final MessageDigest digest;
    /** The JDK digest's implementation, whose fields hold its state; null for NativeSha256. */
    private final Object spi;

    private Hasher(DigestAlgorithm algorithm, MessageDigest digest) {
        this.algorithm = algorithm;
        this.digest = digest;
        this.spi = digest instanceof NativeSha256 ? null : SPI.get(digest);
    }

    public static Hasher start(DigestAlgorithm algorithm) {
        return new Hasher(algorithm, algorithm.newStreamingDigest());
    }

    public DigestAlgorithm algorithm() {
        return algorithm;
    }

    public void update(byte[] bytes, int offset, int length) {
        digest.update(bytes, offset, length);
    }

    public void update(ByteBuffer bytes) {
        digest.update(bytes);
    }

    /** Bytes hashed so far. */
    public long length() {
        if (digest instanceof NativeSha256 n) return n.length();
        return (long) BYTES_PROCESSED.get(spi);
    }

    /** The digest of everything hashed so far; this hasher stays usable. */
    public Digest digest() {
        try {
            return Digest.of(algorithm, ((MessageDigest) digest.clone()).digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("JDK digests are cloneable", e);
        }
    }

    /** The state after the bytes hashed so far, as text that {@link #restore} reads back. */
    public String save() {
        byte[] words;
        byte[] partial;
        if (digest instanceof NativeSha256 n) {
            words = n.words();
            partial = n.partial();
        } else {
            partial = Arrays.copyOf((byte[]) BUFFER.get(spi), (int) BUF_OFS.get(spi));
            ByteBuffer w;
            if (algorithm == DigestAlgorithm.SHA256) {
                int[] state = (int[]) STATE_256.get(spi);
                w = ByteBuffer.allocate(state.length * 4);
                for (int x : state) w.putInt(x);
            } else {
                long[] state = (long[]) STATE_512.get(spi);
                w = ByteBuffer.allocate(state.length * 8);
                for (long x : state) w.putLong(x);
            }
            words = w.array();
        }
        Base64.Encoder b64 = Base64.getEncoder();
        return algorithm.id() + ":" + length() + ":" + b64.encodeToString(words) + ":" + b64.encodeToString(partial);
    }

    /** Rebuilds a hasher from {@link #save()}; throws IllegalArgumentException on anything malformed. */
    public static Hasher restore(String saved) {
        return restore(saved, false);
    }

    /** As {@link #restore(String)}, in the JDK's digest when {@code jdk}, else in the streaming one. */
    private static Hasher restore(String saved, boolean jdk) {
        String[] parts = saved.split(":", -1);
        if (parts.length != 4) throw new IllegalArgumentException("malformed hash state");
        DigestAlgorithm alg = DigestAlgorithm.byId(parts[0])
                .orElseThrow(() -> new IllegalArgumentException("unknown hash state algorithm"));
        long count = Long.parseLong(parts[1]);
        byte[] words = Base64.getDecoder().decode(parts[2]);
        byte[] partial = Base64.getDecoder().decode(parts[3]);
        int block = alg == DigestAlgorithm.SHA256 ? 64 : 128;
        // The words cover count - partial bytes, a whole number of blocks. The partial block may be a
        // full one: the JDK's C2-compiled SHA-512 update leaves a block-sized update in its buffer
        // (found under load: bufOfs == blockSize after 128 bytes), which its next update compresses.
        if (count < 0 || partial.length > block || partial.length > count
                || (count - partial.length) % block != 0 || (partial.length == block && count == 0)) {
            throw new IllegalArgumentException("inconsistent hash state (" + count + " bytes, " + partial.length
                    + " in a block of " + block + ")");
        }
        if (words.length != block / 2) throw new IllegalArgumentException("inconsistent hash state");
        if (!jdk && alg.streamsNatively()) return new Hasher(alg, NativeSha256.resume(words, count, partial));
        Hasher h = new Hasher(alg, alg.newMessageDigest());
        ByteBuffer w = ByteBuffer.wrap(words);
        if (alg == DigestAlgorithm.SHA256) {
            int[] state = (int[]) STATE_256.get(h.spi);
            for (int i = 0; i < state.length; i++) state[i] = w.getInt();
        } else {
            long[] state = (long[]) STATE_512.get(h.spi);
            for (int i = 0; i < state.length; i++) state[i] = w.getLong();
        }
        System.arraycopy(partial, 0, (byte[]) BUFFER.get(h.spi), 0, partial.length);
        BUF_OFS.set(h.spi, partial.length);
        BYTES_PROCESSED.set(h.spi, count);
        return h;
    }

    /**
     * Proves save/restore reproduces the JDK's digest at a block edge and mid-block, for both
     * algorithms, in the JDK's digest and in the streaming one, and across the two.
     */
    private static void selfTest() {
        byte[] data = new byte[1000];
        for (int i = 0; i < data.length; i++) data[i] = (byte) (i * 31 + 7);
        for (DigestAlgorithm alg : DigestAlgorithm.values()) {
            byte[] expected = alg.newMessageDigest().digest(data);
            for (int split : new int[] {0, 1, 64, 127, 128, 999}) {
                for (boolean savedByJdk : new boolean[] {true, false}) {
                    for (boolean resumedByJdk : new boolean[] {true, false}) {
                        Hasher first = savedByJdk ? new Hasher(alg, alg.newMessageDigest()) : start(alg);
                        first.update(data, 0, split);
                        Hasher resumed = restore(first.save(), resumedByJdk);
                        resumed.update(data, split, data.length - split);
                        if (!Digest.of(alg, expected).equals(resumed.digest())) {
                            throw new ExceptionInInitializerError("saved " + alg.id() + " state does not resume correctly on this JVM");
                        }
                    }
                }
            }
        }
    }
}
