package io.strata.oci;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.ProviderException;

/**
 * SHA-256 from the system's libcrypto (OpenSSL 3 or 1.1), through the FFM API. The JDK's SHA-256
 * is fast only once the optimising compiler has replaced it with its SHA-NI intrinsic: a client
 * command runs with the quick compiler alone (see the launcher), where the JDK's hashes about ten
 * times slower, and a registry just started hashes its first uploads in the interpreter. OpenSSL
 * uses SHA-NI from the first byte.
 *
 * <p>It uses OpenSSL's own SHA-256 calls (SHA256_Init, _Update, _Final) rather than EVP's, because
 * their context is a plain struct whose layout is part of OpenSSL's ABI ({@code SHA256_CTX} in
 * openssl/sha.h, the same in 1.1 and 3): it lives in a Java array, passed in place to critical
 * downcalls, so a copy is an array copy, nothing needs freeing, and the state can be read and
 * written ({@link #words()}, {@link #resume}): an upload begun on one registry instance goes on on
 * another. Bytes are passed in place too (heap arrays and direct buffers), nothing is copied. Where
 * no libcrypto is found, {@link DigestAlgorithm#newStreamingDigest()} falls back to the JDK's.
 */
public final class NativeSha256 extends MessageDigest implements Cloneable {
    private static final int LENGTH = 32;
    private static final int BLOCK = 64;
    // SHA256_CTX: unsigned int h[8], Nl, Nh, data[16], num, md_len (112 bytes, as 28 ints).
    private static final int CTX_INTS = 28;
    private static final int NL = 8;
    private static final int NH = 9;
    private static final long DATA_OFFSET = 40;
    private static final int NUM = 26;

    /** Linked on first use; INIT is null when no libcrypto with these calls was found. */
    private static final class Calls {
        static final MethodHandle INIT;
        static final MethodHandle UPDATE;
        static final MethodHandle FINAL;

        static {
            MethodHandle init = null, update = null, fin = null;
            SymbolLookup lib = library();
            if (lib != null) {
                try {
                    Linker linker = Linker.nativeLinker();
                    var ptr = ValueLayout.ADDRESS;
                    var i = ValueLayout.JAVA_INT;
                    // Critical: no safepoint in these short calls, so they may read and write Java arrays.
                    Linker.Option inPlace = Linker.Option.critical(true);
                    init = linker.downcallHandle(lib.find("SHA256_Init").orElseThrow(), FunctionDescriptor.of(i, ptr), inPlace);
                    update = linker.downcallHandle(lib.find("SHA256_Update").orElseThrow(),
                            FunctionDescriptor.of(i, ptr, ptr, ValueLayout.JAVA_LONG), inPlace);
                    fin = linker.downcallHandle(lib.find("SHA256_Final").orElseThrow(), FunctionDescriptor.of(i, ptr, ptr), inPlace);
                } catch (RuntimeException e) {
                    init = null;
                }
            }
            INIT = init;
            UPDATE = update;
            FINAL = fin;
        }

        private static SymbolLookup library() {
            for (String name : new String[] {"libcrypto.so.3", "libcrypto.so.1.1"}) {
                try {
                    return SymbolLookup.libraryLookup(name, Arena.global());
                } catch (IllegalArgumentException | IllegalCallerException notHere) {
                    // try the next
                }
            }
            return null;
        }
    }

    /** Whether this runtime found a libcrypto to hash with. */
    public static boolean available() {
        return Calls.INIT != null;
    }

    private final int[] ctx;
    private final MemorySegment context;

    public NativeSha256() {
        this(new int[CTX_INTS]);
        engineReset();
    }

    private NativeSha256(int[] ctx) {
        super("SHA-256");
        this.ctx = ctx;
        this.context = MemorySegment.ofArray(ctx);
    }

    /**
     * A digest that goes on from a state: the chaining words after {@code count} bytes (32 bytes,
     * big-endian), and the bytes hashed since the last whole block. Throws IllegalArgumentException
     * when these cannot be such a state.
     */
    public static NativeSha256 resume(byte[] words, long count, byte[] partial) {
        long whole = count - partial.length;
        if (words.length != LENGTH || partial.length > BLOCK || whole < 0 || whole % BLOCK != 0) {
            throw new IllegalArgumentException("inconsistent SHA-256 state (" + count + " bytes, " + partial.length + " in the last block)");
        }
        NativeSha256 d = new NativeSha256();
        ByteBuffer w = ByteBuffer.wrap(words);
        for (int i = 0; i < 8; i++) d.ctx[i] = w.getInt();
        long bits = whole << 3;
        d.ctx[NL] = (int) bits;
        d.ctx[NH] = (int) (bits >>> 32);
        d.update(partial);
        return d;
    }

    /** Bytes hashed since the last reset. */
    public long length() {
        return ((Integer.toUnsignedLong(ctx[NH]) << 32) | Integer.toUnsignedLong(ctx[NL])) >>> 3;
    }

    /** The chaining words after the whole blocks hashed so far: 32 bytes, big-endian. */
    public byte[] words() {
        ByteBuffer w = ByteBuffer.allocate(LENGTH);
        for (int i = 0; i < 8; i++) w.putInt(ctx[i]);
        return w.array();
    }

    /** The bytes hashed since the last whole block (fewer than 64). */
    public byte[] partial() {
        return context.asSlice(DATA_OFFSET, ctx[NUM]).toArray(ValueLayout.JAVA_BYTE);
    }

    private interface Call {
        int run() throws Throwable;
    }

    private static void call(Call c, String what) {
        int ok;
        try {
            ok = c.run();
        } catch (Throwable e) {
            throw new ProviderException(what + " failed", e);
        }
        if (ok != 1) throw new ProviderException(what + " failed");
    }

    private void update(MemorySegment bytes) {
        call(() -> (int) Calls.UPDATE.invokeExact(context, bytes, bytes.byteSize()), "SHA256_Update");
    }

    @Override
    protected void engineUpdate(byte input) {
        engineUpdate(new byte[] {input}, 0, 1);
    }

    @Override
    protected void engineUpdate(byte[] input, int offset, int len) {
        if (len == 0) return;
        java.util.Objects.checkFromIndexSize(offset, len, input.length);
        update(MemorySegment.ofArray(input).asSlice(offset, len));
    }

    @Override
    protected void engineUpdate(ByteBuffer input) {
        if (!input.isDirect() && !input.hasArray()) {
            super.engineUpdate(input); // a read-only heap buffer: copied through an array
            return;
        }
        if (!input.hasRemaining()) return;
        update(MemorySegment.ofBuffer(input));
        input.position(input.limit());
    }

    @Override
    protected byte[] engineDigest() {
        byte[] out = new byte[LENGTH];
        MemorySegment into = MemorySegment.ofArray(out);
        call(() -> (int) Calls.FINAL.invokeExact(into, context), "SHA256_Final");
        engineReset();
        return out;
    }

    @Override
    protected void engineReset() {
        call(() -> (int) Calls.INIT.invokeExact(context), "SHA256_Init");
    }

    @Override
    protected int engineGetDigestLength() {
        return LENGTH;
    }

    @Override
    public Object clone() {
        return new NativeSha256(ctx.clone());
    }
}
