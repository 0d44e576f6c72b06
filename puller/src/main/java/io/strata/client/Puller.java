package io.strata.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.client.remote.RegistryClient;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.MediaType;
import io.strata.oci.Reference;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Pulls an image into the local store: resolves the reference, picks the platform from an index,
 * fetches config and layers concurrently (skipping what the store has), verifies every digest, and
 * names the image only once all it needs is stored.
 */
public final class Puller {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a pull tells the user as it goes. */
    public interface Events {
        void layer(Digest digest, String status);

        void progress(Digest digest, long done, long total);
    }

    private final RegistryClient client;
    private final LayoutStore store;
    private final int concurrency;
    private final Events events;

    public Puller(RegistryClient client, LayoutStore store, int concurrency, Events events) {
        if (concurrency < 1) throw new IllegalArgumentException("concurrency must be at least 1");
        this.client = client;
        this.store = store;
        this.concurrency = concurrency;
        this.events = events;
    }

    /** The image pulled: the manifest stored and named. */
    public record Pulled(Reference reference, Descriptor manifest) {}

    public Pulled pull(Reference ref, Platform platform) throws IOException {
        RegistryClient.Manifest top = client.manifest(ref.repository(), ref.manifestReference());
        RegistryClient.Manifest manifest = top;
        if (MediaType.INDEXES.contains(top.mediaType())) {
            Descriptor chosen = choose(top, platform, ref);
            manifest = client.manifest(ref.repository(), chosen.digest().toString());
            if (MediaType.INDEXES.contains(manifest.mediaType())) throw new IOException("nested indexes are not supported");
        }
        JsonNode body = JSON.readTree(manifest.content());
        List<Descriptor> blobs = new ArrayList<>();
        blobs.add(JSON.treeToValue(body.path("config"), Descriptor.class));
        for (JsonNode layer : body.path("layers")) blobs.add(JSON.treeToValue(layer, Descriptor.class));
        fetchAll(ref, blobs);
        store.put(manifest.digest(), manifest.content());
        Descriptor stored = manifest.descriptor();
        store.tag(nameOf(ref), stored);
        return new Pulled(ref, stored);
    }

    /** The name a pulled image gets in the store: the reference without its digest, e.g. {@code host/repo:tag}. */
    public static String nameOf(Reference ref) {
        return ref.withDigest(null).toString();
    }

    private static Descriptor choose(RegistryClient.Manifest index, Platform platform, Reference ref) throws IOException {
        List<String> offered = new ArrayList<>();
        for (JsonNode m : JSON.readTree(index.content()).path("manifests")) {
            Descriptor d = JSON.treeToValue(m, Descriptor.class);
            if (platform.matches(d.platform())) return d;
            if (d.platform() != null) offered.add(d.platform().os() + "/" + d.platform().architecture()
                    + (d.platform().variant() == null ? "" : "/" + d.platform().variant()));
        }
        throw new IOException("no " + platform + " image in " + ref + " (it has: " + String.join(", ", offered) + ")");
    }

    /** Downloads what the store lacks, at most {@code concurrency} at a time. */
    private void fetchAll(Reference ref, List<Descriptor> blobs) throws IOException {
        List<Descriptor> missing = new ArrayList<>();
        for (Descriptor d : blobs) {
            if (store.has(d.digest())) events.layer(d.digest(), "Already exists");
            else missing.add(d);
        }
        for (Descriptor d : missing) events.layer(d.digest(), "Waiting");
        Parallel.forEach(missing, concurrency, d -> {
            events.layer(d.digest(), "Pulling");
            client.downloadBlob(ref.repository(), d, store, (done, total) -> events.progress(d.digest(), done, total));
            events.layer(d.digest(), "Pull complete");
        });
    }
}
