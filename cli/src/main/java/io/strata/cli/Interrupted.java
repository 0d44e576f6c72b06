package io.strata.cli;

import io.strata.client.store.LayoutStore;

/**
 * While a transfer runs, ctrl-C (or SIGTERM) ends it with a line that says what was kept: partial
 * downloads stay in the store and the next pull resumes them with Range requests.
 */
final class Interrupted implements AutoCloseable {
    private final Thread hook;

    private Interrupted(Thread hook) {
        this.hook = hook;
    }

    static Interrupted report(LayoutStore store) {
        Thread hook = new Thread(() -> {
            long kept = store.partialBytes();
            System.err.println();
            System.err.println(kept > 0 ? "interrupted; " + Output.size(kept) + " kept, the next pull resumes" : "interrupted");
        }, "strata-interrupted");
        Runtime.getRuntime().addShutdownHook(hook);
        return new Interrupted(hook);
    }

    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run: it said what it had to
        }
    }
}
