package io.strata.cli;

import io.strata.client.Puller;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Reference;
import java.io.IOException;
import java.util.Optional;

/** Finds a stored image by the name it has in the store, or by the reference it was pulled as. */
record LocalImage(String name, Descriptor manifest) {
    static LocalImage find(LayoutStore store, String text) throws IOException {
        Optional<Descriptor> direct = store.resolve(text);
        if (direct.isPresent()) return new LocalImage(text, direct.get());
        String normal = normalise(text);
        if (normal != null) {
            Optional<Descriptor> d = store.resolve(normal);
            if (d.isPresent()) return new LocalImage(normal, d.get());
        }
        throw new IllegalArgumentException("no image " + text + " in the local store (strata images lists them)");
    }

    /** The name strata pull gives a reference, or null when the text is no reference. */
    static String normalise(String text) {
        try {
            return Puller.nameOf(Reference.parse(text));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
