package io.strata.cli;

import io.strata.client.Puller;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Reference;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Finds a stored image as docker does: by the name it has in the store, by the reference it was
 * pulled as, or by its ID (the manifest digest, whole or a prefix of at least 4 hex digits).
 */
record LocalImage(String name, Descriptor manifest) {
    private static final Pattern ID = Pattern.compile("(sha256:)?[0-9a-f]{4,64}");

    static LocalImage find(LayoutStore store, String text) throws IOException {
        Optional<Descriptor> direct = store.resolve(text);
        if (direct.isPresent()) return new LocalImage(text, direct.get());
        String normal = normalise(text);
        if (normal != null) {
            Optional<Descriptor> d = store.resolve(normal);
            if (d.isPresent()) return new LocalImage(normal, d.get());
        }
        List<LayoutStore.Named> byId = byId(store, text);
        if (!byId.isEmpty()) {
            if (byId.stream().map(n -> n.manifest().digest()).distinct().count() > 1) {
                throw new IllegalArgumentException("image ID " + text + " is ambiguous: it starts "
                        + byId.stream().map(n -> n.manifest().digest().toString()).distinct().sorted().toList());
            }
            return new LocalImage(byId.getFirst().name(), byId.getFirst().manifest());
        }
        throw new IllegalArgumentException("no image " + text + " in the local store (strata images lists them)");
    }

    /** Every stored name whose manifest digest starts with the ID (empty when the text is no ID). */
    static List<LayoutStore.Named> byId(LayoutStore store, String text) throws IOException {
        if (!ID.matcher(text).matches()) return List.of();
        String prefix = text.startsWith("sha256:") ? text : "sha256:" + text;
        return store.names().stream().filter(n -> n.manifest().digest().toString().startsWith(prefix))
                .sorted((a, b) -> a.name().compareTo(b.name())).toList();
    }

    /** The name strata pull gives a reference, or null when the text is no reference. */
    static String normalise(String text) {
        try {
            return Puller.nameOf(Reference.parse(text));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** The short ID docker shows: the digest's first 12 hex digits. */
    String id() {
        return manifest.digest().encoded().substring(0, 12);
    }
}
