package io.strata.cli;

import io.strata.client.store.LayoutStore;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * While a transfer runs, ctrl-C (or SIGTERM) ends it with a line that says what was kept: partial
 * downloads stay in the store and the next pull resumes them with Range requests. Before that line
 * the transfer is interrupted and given a few seconds to unwind, as a failure unwinds: a layer being
 * unpacked removes its half-made snapshot (left behind, it held disk space until a gc), a push
 * cancels its upload sessions (left behind, they held the registry's space until they expired).
 */
final class Interrupted implements AutoCloseable {
    /** Long enough to remove a large layer's half-made snapshot; short enough that a stuck call cannot hold the exit. */
    private static final long UNWIND_SECONDS = 10;

    private final Thread hook;
    private final CountDownLatch unwound;
    private volatile boolean hookStarted;

    private Interrupted(java.util.function.Supplier<String> said, Thread worker) {
        this.unwound = new CountDownLatch(1);
        this.hook = new Thread(() -> {
            hookStarted = true;
            worker.interrupt();
            try {
                unwound.await(UNWIND_SECONDS, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.err.println();
            System.err.println(said.get());
        }, "strata-interrupted");
    }

    /** Reports an interrupt of the pull or unpack the calling thread runs until {@link #close()}, with what it kept. */
    static Interrupted report(LayoutStore store) {
        return report(() -> {
            long kept = store.partialBytes();
            return kept > 0 ? "interrupted; " + Output.size(kept) + " kept, the next pull resumes" : "interrupted";
        });
    }

    /** Reports an interrupt of the work the calling thread runs until {@link #close()}: {@code said} says what it left. */
    static Interrupted report(java.util.function.Supplier<String> said) {
        Interrupted interrupted = new Interrupted(said, Thread.currentThread());
        Runtime.getRuntime().addShutdownHook(interrupted.hook);
        return interrupted;
    }

    @Override
    public void close() {
        unwound.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs: it says what happened
        }
        if (hookStarted) {
            // The JVM is going down and the hook says why: the error the interrupt raised here is not
            // news, so this thread waits for the halt instead of printing it.
            while (true) LockSupport.park(this);
        }
    }
}
