package io.strata.runner;

import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Digest;
import io.strata.oci.ImageConfig;
import io.strata.oci.Manifest;
import io.strata.oci.MediaType;
import io.strata.oci.Platform;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;

/**
 * An image of one layer from a tarball of a filesystem ({@code strata import}, as docker's and
 * podman's import): the tar, plain or gzip or zstd compressed, becomes the layer as it streams
 * (never whole in memory), the config is this host's platform with the Dockerfile-style changes
 * given, and the image is named when a name is given. Its entries are checked as any layer's when
 * it is unpacked.
 */
public final class Importer {
    private Importer() {}

    public static Descriptor importTar(LayoutStore store, InputStream tarball, String name, String message, List<String> changes,
                                       Committer.Compression compression) throws IOException {
        ImageConfig.Config config = Committer.apply(null, changes); // a bad change is refused before anything is read
        InputStream tar = io.strata.snapshots.Compression.decompressAny(tarball);
        Committer.Layer layer = Committer.storeLayer(store, compression, out -> {
            // Read as a tar while it is copied: what is not one (a bad header, a checksum, a cut
            // archive) is refused before anything is named, and its scratch file removed.
            InputStream tee = new java.io.FilterInputStream(tar) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    if (b >= 0) out.write(b);
                    return b;
                }

                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    int n = super.read(buf, off, len);
                    if (n > 0) out.write(buf, off, n);
                    return n;
                }
            };
            io.strata.snapshots.TarReader reader = new io.strata.snapshots.TarReader(tee);
            int entries = 0;
            try {
                while (reader.next() != null) entries++;
            } catch (IOException e) {
                throw new IOException("the input is not a tar archive: " + e.getMessage(), e);
            }
            if (entries == 0) throw new IOException("the input has no files: import reads a tar of a filesystem");
            tee.transferTo(java.io.OutputStream.nullOutputStream()); // what follows the archive's end, as it was
        });
        String created = Instant.now().toString();
        Platform host = Platform.host();
        ImageConfig image = new ImageConfig(created, null, host.architecture(), host.os(), null, host.variant(), config,
                new ImageConfig.RootFs("layers", List.of(layer.diffId())),
                List.of(new ImageConfig.History(created, null, "strata import", message == null || message.isEmpty() ? null : message, false)));
        byte[] configBytes = image.toJson();
        Digest configDigest = Digest.sha256(configBytes);
        store.put(configDigest, configBytes);
        Manifest manifest = new Manifest(2, MediaType.OCI_MANIFEST, null, new Descriptor(MediaType.OCI_CONFIG, configDigest, configBytes.length),
                List.of(layer.descriptor()), null, null);
        Descriptor stored = store.put(manifest);
        if (name != null) store.tag(name, stored);
        return stored;
    }
}
