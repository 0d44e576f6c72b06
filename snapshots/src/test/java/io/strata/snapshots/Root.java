package io.strata.snapshots;

import org.junit.jupiter.api.Assumptions;

/** These tests make device nodes, chown and set trusted.* xattrs: CI runs them as root, and fails them without it. */
final class Root {
    private Root() {}

    static void require() {
        if (Native.isRoot()) return;
        String message = "this test needs root (device nodes, ownership, trusted.* xattrs); CI runs as root";
        if ("true".equals(System.getenv("CI"))) throw new AssertionError(message);
        System.err.println("SKIPPED: " + message);
        Assumptions.abort(message);
    }
}
