package io.strata.oci;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.ref.Cleaner;
import java.security.MessageDigest;
import java.security.ProviderException;

/**
 * SHA-256 from the system's libcrypto (OpenSSL 3 or 1.1), through the FFM API. The JDK's SHA-256
 * is fast only once the optimising compiler has replaced it with its SHA-NI intrinsic; a client
 * command runs with the quick compiler alone (see the launcher), where the JDK's hashes about ten
 * times slower. OpenSSL uses SHA-NI from the first byte. Bytes are passed in place (a critical
 * downcall may read the Java array), so nothing is copied. Where no libcrypto is found,
 * {@link DigestAlgorithm#newStreamingDigest()} falls back to the JDK's.
 */
final class NativeSha256 extends MessageDigest implements Cloneable {
    private static final Cleaner CLEANER = Cleaner.create();
    private static final int LENGTH = 32;

    /**
     * Linked on first use; NEW is null when no libcrypto with these calls was found. Linking costs a
     * few ms per distinct signature in a command's short life, so the calls on every pull's path
     * share three (digest() reads the result from native memory to share init's), and those used
     * only when a digest is copied or freed are linked when they are.
     */
    private static final class Calls {
        static final SymbolLookup LIB = library();
        static final MemorySegment SHA256;
        static final MethodHandle NEW;
        static final MethodHandle INIT;
        static final MethodHandle UPDATE;
        static final MethodHandle FINAL;

        static {
            MemorySegment md = null;
            MethodHandle newCtx = null, init = null, update = null, fin = null;
            if (LIB != null) {
                try {
                    Linker linker = Linker.nativeLinker();
                    var ptr = ValueLayout.ADDRESS;
                    var i = ValueLayout.JAVA_INT;
                    MethodHandle sha256 = linker.downcallHandle(LIB.find("EVP_sha256").orElseThrow(), FunctionDescriptor.of(ptr));
                    newCtx = linker.downcallHandle(LIB.find("EVP_MD_CTX_new").orElseThrow(), FunctionDescriptor.of(ptr));
                    init = linker.downcallHandle(LIB.find("EVP_DigestInit_ex").orElseThrow(), FunctionDescriptor.of(i, ptr, ptr, ptr));
                    update = linker.downcallHandle(LIB.find("EVP_DigestUpdate").orElseThrow(),
                            FunctionDescriptor.of(i, ptr, ptr, ValueLayout.JAVA_LONG), Linker.Option.critical(true));
                    fin = linker.downcallHandle(LIB.find("EVP_DigestFinal_ex").orElseThrow(), FunctionDescriptor.of(i, ptr, ptr, ptr));
                    md = (MemorySegment) sha256.invokeExact();
                    if (md.equals(MemorySegment.NULL)) md = null;
                } catch (Throwable e) {
                    md = null;
                }
            }
            SHA256 = md;
            NEW = md == null ? null : newCtx;
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

    private static final class Free {
        static final MethodHandle FREE = Linker.nativeLinker().downcallHandle(Calls.LIB.find("EVP_MD_CTX_free").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
    }

    private static final class Copy {
        static final MethodHandle COPY = Linker.nativeLinker().downcallHandle(Calls.LIB.find("EVP_MD_CTX_copy_ex").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    }

    /** Whether this runtime found a libcrypto to hash with. */
    static boolean available() {
        return Calls.NEW != null;
    }

    private final MemorySegment ctx;

    NativeSha256() {
        super("SHA-256");
        ctx = newContext();
        call(() -> (int) Calls.INIT.invokeExact(ctx, Calls.SHA256, MemorySegment.NULL), "EVP_DigestInit_ex");
    }

    private NativeSha256(NativeSha256 from) {
        super("SHA-256");
        ctx = newContext();
        call(() -> (int) Copy.COPY.invokeExact(ctx, from.ctx), "EVP_MD_CTX_copy_ex");
    }

    /** A context freed when this digest is unreachable. */
    private MemorySegment newContext() {
        MemorySegment c;
        try {
            c = (MemorySegment) Calls.NEW.invokeExact();
        } catch (Throwable e) {
            throw new ProviderException("EVP_MD_CTX_new failed", e);
        }
        if (c.equals(MemorySegment.NULL)) throw new ProviderException("EVP_MD_CTX_new returned no context");
        MemorySegment held = c;
        CLEANER.register(this, () -> {
            try {
                Free.FREE.invokeExact(held);
            } catch (Throwable ignored) {
                // nothing more to do for memory we cannot free
            }
        });
        return c;
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

    @Override
    protected void engineUpdate(byte input) {
        engineUpdate(new byte[] {input}, 0, 1);
    }

    @Override
    protected void engineUpdate(byte[] input, int offset, int len) {
        if (len == 0) return;
        java.util.Objects.checkFromIndexSize(offset, len, input.length);
        MemorySegment bytes = MemorySegment.ofArray(input).asSlice(offset, len);
        call(() -> (int) Calls.UPDATE.invokeExact(ctx, bytes, (long) len), "EVP_DigestUpdate");
    }

    @Override
    protected byte[] engineDigest() {
        byte[] out;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment into = arena.allocate(LENGTH);
            call(() -> (int) Calls.FINAL.invokeExact(ctx, into, MemorySegment.NULL), "EVP_DigestFinal_ex");
            out = into.toArray(ValueLayout.JAVA_BYTE);
        }
        engineReset();
        return out;
    }

    @Override
    protected void engineReset() {
        call(() -> (int) Calls.INIT.invokeExact(ctx, Calls.SHA256, MemorySegment.NULL), "EVP_DigestInit_ex");
    }

    @Override
    protected int engineGetDigestLength() {
        return LENGTH;
    }

    @Override
    public Object clone() {
        return new NativeSha256(this);
    }
}
