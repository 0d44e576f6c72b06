package io.strata.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Containers under {@code containers/<id>/}: {@code container.json}, the bundle, the logs. */
public final class ContainerStore {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}");

    private final Path root;

    public ContainerStore(Path root) {
        this.root = root;
    }

    public Path dir(String id) {
        return root.resolve(id);
    }

    public Path bundle(String id) {
        return dir(id).resolve("bundle");
    }

    /** Records a new container; its name must be free (checked under a lock, so two creates cannot both take it). */
    public void create(Container c) throws IOException {
        withNameFree(c.name(), () -> {
            Files.createDirectories(dir(c.id()));
            write(c);
            return c;
        });
    }

    /** Gives a container another name, which must be free (docker's rename). */
    public Container rename(Container c, String newName) throws IOException {
        return withNameFree(newName, () -> {
            Container renamed = get(c.id()).orElseThrow(() -> new IllegalStateException("container " + c.name() + " was removed")).named(newName);
            write(renamed);
            return renamed;
        });
    }

    private interface Naming {
        Container apply() throws IOException;
    }

    /** Runs {@code then} under the store's lock once {@code name} is known to be valid and free. */
    private Container withNameFree(String name, Naming then) throws IOException {
        if (!NAME.matcher(name).matches()) throw new IllegalArgumentException("invalid container name " + name + " (letters, digits, _ . -)");
        Files.createDirectories(root);
        try (var ignored = io.strata.client.store.FileLocks.exclusive(root.resolve(".lock"))) {
            for (Container other : list()) {
                if (other.name().equals(name)) throw new IllegalArgumentException("the name " + name + " is in use by container " + other.id().substring(0, 12));
            }
            return then.apply();
        }
    }

    public void write(Container c) throws IOException {
        Path temp = dir(c.id()).resolve("container.json.tmp");
        Files.write(temp, c.toJson());
        Files.move(temp, dir(c.id()).resolve("container.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    public List<Container> list() throws IOException {
        List<Container> out = new ArrayList<>();
        if (!Files.isDirectory(root)) return out;
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                if (!Files.isDirectory(d)) continue; // the store's .lock
                try {
                    Path f = d.resolve("container.json");
                    out.add(Container.parse(Files.readAllBytes(f), f.toString()));
                } catch (NoSuchFileException e) {
                    // being created or removed
                }
            }
        }
        return out;
    }

    /** By full id, name, or unique id prefix (as docker allows). */
    public Container find(String idOrName) throws IOException {
        List<Container> all = list();
        for (Container c : all) if (c.id().equals(idOrName) || c.name().equals(idOrName)) return c;
        List<Container> prefixed = all.stream().filter(c -> c.id().startsWith(idOrName)).toList();
        if (prefixed.size() == 1) return prefixed.getFirst();
        if (prefixed.size() > 1) throw new IllegalArgumentException("container id prefix " + idOrName + " is ambiguous");
        throw new IllegalArgumentException("no such container: " + idOrName);
    }

    public Optional<Container> get(String id) throws IOException {
        Path f = dir(id).resolve("container.json");
        return Files.exists(f) ? Optional.of(Container.parse(Files.readAllBytes(f), f.toString())) : Optional.empty();
    }
}
