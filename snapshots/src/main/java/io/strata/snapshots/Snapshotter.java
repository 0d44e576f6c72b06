package io.strata.snapshots;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Snapshots as containerd's snapshotter has them: an active snapshot is writable, a committed one is
 * read-only and named (by its layer stack's ChainID), a view is a read-only look at a committed one.
 * Every active snapshot and view has a key; a committed one has a name; both are unique together.
 */
public interface Snapshotter {
    enum Kind { ACTIVE, VIEW, COMMITTED }

    /** Bytes and inodes a snapshot's own directory holds (not its parents'). */
    record Usage(long bytes, long inodes) {}

    /** A snapshot's metadata. {@code usage} is known for committed snapshots, counted at commit. */
    record Info(String name, Kind kind, String parent, String created, Usage usage) {}

    /** A writable snapshot on top of {@code parent} (a committed name, or null for an empty base). */
    List<Mount> prepare(String key, String parent) throws IOException;

    /** A read-only view of {@code parent}. */
    List<Mount> view(String key, String parent) throws IOException;

    /** The mounts that show snapshot {@code key} (active or view). */
    List<Mount> mounts(String key) throws IOException;

    /**
     * Makes the active snapshot {@code key} committed and read-only under {@code name}. Fails with
     * {@link AlreadyExistsException} when {@code name} exists; the active snapshot is then gone.
     */
    void commit(String name, String key) throws IOException;

    Optional<Info> stat(String keyOrName) throws IOException;

    List<Info> list() throws IOException;

    /** Counts the snapshot's own bytes and inodes now. */
    Usage usage(String keyOrName) throws IOException;

    /** Removes a snapshot; refused while a child snapshot or a mount uses it. */
    void remove(String keyOrName) throws IOException;

    /** Another snapshot already has the name. */
    final class AlreadyExistsException extends IOException {
        public AlreadyExistsException(String name) {
            super("snapshot " + name + " already exists");
        }
    }

    /** The snapshot is in use (a child, a mount). */
    final class InUseException extends IOException {
        public InUseException(String message) {
            super(message);
        }
    }
}
