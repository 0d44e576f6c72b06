package io.strata.snapshots;

import io.strata.oci.Digest;
import io.strata.oci.ImageJson;
import io.strata.oci.JsonOut;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Snapshots as overlayfs layers on the local filesystem:
 * {@code committed/<sha256(name)>/fs} for committed ones and {@code active/<sha256(key)>/{fs,work}}
 * for active ones and views, each with its {@code info.json}. A snapshot appears, is committed and
 * disappears by one rename, so a crash leaves either the old state or the new one; an active
 * snapshot left by a crash is never mistaken for a committed one.
 */
public final class OverlaySnapshotter implements Snapshotter {
    private static final String INFO = "info.json";

    private final Path root;
    private final Path committed;
    private final Path active;
    private final Path trash;

    /** The stored form of {@link Info}. */
    record Stored(String name, Kind kind, String parent, String created, Usage usage) {}

    public OverlaySnapshotter(Path root) {
        this.root = root;
        this.committed = root.resolve("committed");
        this.active = root.resolve("active");
        this.trash = root.resolve("trash");
    }

    public Path root() {
        return root;
    }

    private void init() throws IOException {
        Files.createDirectories(committed);
        Files.createDirectories(active);
        Files.createDirectories(trash);
    }

    private static String hash(String name) {
        return Digest.sha256(name.getBytes(StandardCharsets.UTF_8)).encoded();
    }

    private Path committedDir(String name) {
        return committed.resolve(hash(name));
    }

    private Path activeDir(String key) {
        return active.resolve(hash(key));
    }

    /** The directory an active snapshot's changes go to (overlay's upperdir), or a committed snapshot's layer. */
    public Path layerDir(String keyOrName) throws IOException {
        return dirOf(keyOrName).resolve("fs");
    }

    private Path dirOf(String keyOrName) throws IOException {
        Path c = committedDir(keyOrName);
        if (Files.isDirectory(c)) return c;
        Path a = activeDir(keyOrName);
        if (Files.isDirectory(a)) return a;
        throw new NoSuchFileException("snapshot " + keyOrName + " does not exist");
    }

    @Override
    public List<Mount> prepare(String key, String parent) throws IOException {
        create(key, parent, Kind.ACTIVE);
        return mounts(key);
    }

    @Override
    public List<Mount> view(String key, String parent) throws IOException {
        create(key, parent, Kind.VIEW);
        return mounts(key);
    }

    private void create(String key, String parent, Kind kind) throws IOException {
        init();
        if (parent != null) requireCommitted(parent);
        if (Files.isDirectory(committedDir(key)) || Files.isDirectory(activeDir(key))) throw new AlreadyExistsException(key);
        Path temp = active.resolve(".new-" + UUID.randomUUID());
        Files.createDirectories(temp.resolve("fs"));
        if (kind == Kind.ACTIVE) Files.createDirectories(temp.resolve("work"));
        writeInfo(temp, new Stored(key, kind, parent, Instant.now().toString(), null));
        try {
            Files.move(temp, activeDir(key), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            deleteTree(temp);
            if (Files.isDirectory(activeDir(key))) throw new AlreadyExistsException(key);
            throw e;
        }
    }

    private Stored requireCommitted(String name) throws IOException {
        Path dir = committedDir(name);
        if (!Files.isDirectory(dir)) throw new NoSuchFileException("parent snapshot " + name + " is not committed");
        return readInfo(dir);
    }

    @Override
    public List<Mount> mounts(String key) throws IOException {
        Path dir = activeDir(key);
        if (!Files.isDirectory(dir)) throw new NoSuchFileException("no active snapshot or view " + key);
        Stored info = readInfo(dir);
        List<Path> lowers = info.parent() == null ? List.of() : chain(info.parent());
        Path fs = dir.resolve("fs");
        if (info.kind() == Kind.VIEW) {
            if (lowers.isEmpty()) return List.of(new Mount("bind", fs.toString(), List.of("rbind", "ro")));
            if (lowers.size() == 1) return List.of(new Mount("bind", lowers.getFirst().toString(), List.of("rbind", "ro")));
            return List.of(new Mount("overlay", "overlay", List.of("ro", "lowerdir=" + join(lowers))));
        }
        if (lowers.isEmpty()) return List.of(new Mount("bind", fs.toString(), List.of("rbind", "rw")));
        return List.of(new Mount("overlay", "overlay", List.of("lowerdir=" + join(lowers),
                "upperdir=" + fs, "workdir=" + dir.resolve("work"))));
    }

    /** The read-only mount of a committed snapshot and its parents, for a look at an image's filesystem. */
    public Mount readOnlyMount(String name) throws IOException {
        List<Path> lowers = chain(name);
        if (lowers.size() == 1) return new Mount("bind", lowers.getFirst().toString(), List.of("rbind", "ro"));
        return new Mount("overlay", "overlay", List.of("ro", "lowerdir=" + join(lowers)));
    }

    private static String join(List<Path> dirs) {
        List<String> s = new ArrayList<>();
        for (Path p : dirs) {
            String text = p.toString();
            if (text.contains(":") || text.contains(",")) throw new IllegalArgumentException("snapshot path " + text + " cannot be an overlay option");
            s.add(text);
        }
        return String.join(":", s);
    }

    /** The layer directories of a committed snapshot and its parents, top first. */
    public List<Path> chain(String name) throws IOException {
        List<Path> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String n = name; n != null; ) {
            if (!seen.add(n)) throw new IOException("snapshot " + name + " has a parent cycle");
            Stored s = requireCommitted(n);
            out.add(committedDir(n).resolve("fs"));
            n = s.parent();
        }
        return out;
    }

    @Override
    public void commit(String name, String key) throws IOException {
        commit(name, key, null, false);
    }

    /**
     * Commits with {@code parent} as the new snapshot's parent, whatever the active one was prepared
     * on: a layer applied on its own directory (no parent needed to apply it) joins the stack here,
     * which lets every layer of an image be applied at once (containerd calls this rebase).
     */
    public void commit(String name, String key, String parent) throws IOException {
        commit(name, key, parent, true);
    }

    private void commit(String name, String key, String parent, boolean rebase) throws IOException {
        Path dir = activeDir(key);
        if (!Files.isDirectory(dir)) throw new NoSuchFileException("no active snapshot " + key);
        Stored info = readInfo(dir);
        if (info.kind() != Kind.ACTIVE) throw new IOException("snapshot " + key + " is a view; only active snapshots are committed");
        String newParent = rebase ? parent : info.parent();
        if (newParent != null) requireCommitted(newParent);
        Path target = committedDir(name);
        if (Files.isDirectory(target)) {
            remove(key);
            throw new AlreadyExistsException(name);
        }
        Path fs = dir.resolve("fs");
        if (isMounted(List.of(fs, dir.resolve("work")))) throw new InUseException("snapshot " + key + " is mounted; unmount it before commit");
        Usage usage = count(fs);
        deleteTree(dir.resolve("work"));
        writeInfo(dir, new Stored(name, Kind.COMMITTED, newParent, Instant.now().toString(), usage));
        Native.syncfs(fs); // what is committed survives a crash
        try {
            Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            // Another process committed the same name since the check above (rename(2) answers ENOTEMPTY,
            // which Java reports as a plain FileSystemException): theirs stands, ours goes.
            if (!Files.isDirectory(target)) throw e;
            moveToTrashAndDelete(dir);
            throw new AlreadyExistsException(name);
        }
    }

    @Override
    public Optional<Info> stat(String keyOrName) throws IOException {
        Path c = committedDir(keyOrName);
        if (Files.isDirectory(c)) return Optional.of(info(readInfo(c)));
        Path a = activeDir(keyOrName);
        if (Files.isDirectory(a)) return Optional.of(info(readInfo(a)));
        return Optional.empty();
    }

    private static Info info(Stored s) {
        return new Info(s.name(), s.kind(), s.parent(), s.created(), s.usage());
    }

    @Override
    public List<Info> list() throws IOException {
        List<Info> out = new ArrayList<>();
        for (Path base : List.of(committed, active)) {
            if (!Files.isDirectory(base)) continue;
            try (Stream<Path> dirs = Files.list(base)) {
                for (Path d : (Iterable<Path>) dirs::iterator) {
                    if (d.getFileName().toString().startsWith(".")) continue;
                    try {
                        Stored s = readInfo(d);
                        // An active snapshot that a crash left mid-commit still says which kind it was.
                        Kind kind = base == committed ? Kind.COMMITTED : (s.kind() == Kind.VIEW ? Kind.VIEW : Kind.ACTIVE);
                        out.add(new Info(s.name(), kind, s.parent(), s.created(), s.usage()));
                    } catch (NoSuchFileException e) {
                        // removed while we listed
                    }
                }
            }
        }
        return out;
    }

    @Override
    public Usage usage(String keyOrName) throws IOException {
        return count(layerDir(keyOrName));
    }

    @Override
    public void remove(String keyOrName) throws IOException {
        Path dir = dirOf(keyOrName);
        boolean isCommitted = dir.getParent().equals(committed);
        if (isCommitted) {
            for (Info i : list()) {
                if (keyOrName.equals(i.parent())) {
                    throw new InUseException("snapshot " + keyOrName + " is the parent of " + i.name());
                }
            }
        }
        if (isMounted(List.of(dir.resolve("fs"), dir.resolve("work")))) {
            throw new InUseException("snapshot " + keyOrName + " is mounted");
        }
        moveToTrashAndDelete(dir);
    }

    /** Whether a mount of this host names any of the paths (as a lower, upper or work dir, or a bind source). */
    static boolean isMounted(List<Path> paths) throws IOException {
        for (String unescaped : Mount.table()) {
            for (Path p : paths) {
                String s = p.toString();
                int i = unescaped.indexOf(s);
                while (i >= 0) {
                    int end = i + s.length();
                    boolean bounded = (i == 0 || ":=, ".indexOf(unescaped.charAt(i - 1)) >= 0)
                            && (end == unescaped.length() || ":, ".indexOf(unescaped.charAt(end)) >= 0);
                    if (bounded) return true;
                    i = unescaped.indexOf(s, i + 1);
                }
            }
        }
        return false;
    }

    private void moveToTrashAndDelete(Path dir) throws IOException {
        Files.createDirectories(trash);
        Path gone = trash.resolve(UUID.randomUUID().toString());
        try {
            Files.move(dir, gone, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot move " + dir + " to " + trash, e);
        }
        deleteTree(gone);
    }

    /** Deletes what earlier removals left half-deleted (a crash while deleting). */
    public void emptyTrash() throws IOException {
        if (!Files.isDirectory(trash)) return;
        try (Stream<Path> left = Files.list(trash)) {
            for (Path p : (Iterable<Path>) left::iterator) deleteTree(p);
        }
        if (Files.isDirectory(active)) {
            try (Stream<Path> left = Files.list(active)) {
                for (Path p : (Iterable<Path>) left::iterator) if (p.getFileName().toString().startsWith(".new-")) deleteTree(p);
            }
        }
    }

    static Usage count(Path fs) throws IOException {
        long[] bytes = {0};
        Set<Object> inodes = new HashSet<>();
        Files.walkFileTree(fs, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) {
                inodes.add(a.fileKey());
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                if (inodes.add(a.fileKey()) && (a.isRegularFile() || a.isSymbolicLink())) bytes[0] += a.size();
                return FileVisitResult.CONTINUE;
            }
        });
        return new Usage(bytes[0], inodes.size());
    }

    /**
     * Removes {@code p} and all below it, never following a link; nothing when it is missing, and
     * what another process removes meanwhile is not an error (a container's monitor and its clean-up
     * may remove files of the same directory at once).
     */
    public static void deleteTree(Path p) throws IOException {
        BasicFileAttributes a = Applier.lstat(p);
        if (a == null) return;
        if (!a.isDirectory()) {
            Files.deleteIfExists(p);
            return;
        }
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                if (exc instanceof NoSuchFileException) return FileVisitResult.CONTINUE;
                throw exc;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null && !(exc instanceof NoSuchFileException)) throw exc;
                Files.deleteIfExists(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static Stored readInfo(Path dir) throws IOException {
        return ImageJson.read(Files.readAllBytes(dir.resolve(INFO)), "snapshot record " + dir.resolve(INFO), in -> {
            var f = new Object() {
                String name, kind, parent, created;
                Usage usage;
            };
            in.object((member, v) -> {
                switch (member) {
                    case "name" -> f.name = v.string();
                    case "kind" -> f.kind = v.string();
                    case "parent" -> f.parent = v.string();
                    case "created" -> f.created = v.string();
                    case "usage" -> {
                        long[] u = new long[2];
                        boolean present = v.object((n, w) -> {
                            switch (n) {
                                case "bytes" -> u[0] = w.number();
                                case "inodes" -> u[1] = w.number();
                                default -> w.skip();
                            }
                        });
                        f.usage = present ? new Usage(u[0], u[1]) : null;
                    }
                    default -> v.skip();
                }
            });
            if (f.kind == null) throw new IllegalArgumentException("it has no kind");
            return new Stored(f.name, Kind.valueOf(f.kind), f.parent, f.created, f.usage);
        });
    }

    private static void writeInfo(Path dir, Stored info) throws IOException {
        Path temp = dir.resolve(INFO + ".tmp");
        Usage usage = info.usage();
        Files.write(temp, JsonOut.object(false, out -> out.nullable("name", info.name()).nullable("kind", info.kind().name())
                .nullable("parent", info.parent()).nullable("created", info.created())
                .object("usage", usage != null, u -> u.number("bytes", usage.bytes()).number("inodes", usage.inodes()))));
        Files.move(temp, dir.resolve(INFO), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

}
