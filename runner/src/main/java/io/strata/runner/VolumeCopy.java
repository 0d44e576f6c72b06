package io.strata.runner;

import io.strata.snapshots.Applier;
import io.strata.snapshots.ConfinedDir;
import io.strata.snapshots.LayerWriter;
import io.strata.snapshots.Native;
import io.strata.snapshots.TarWriter;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Fills an empty volume with what the image has at the path it is mounted on, as docker does the
 * first time: owners, modes, times, xattrs, links and devices kept. The image's tree is read through
 * {@link ConfinedDir} (the path resolved inside the root filesystem, never out of it) and written as
 * a layer is unpacked, by the same two pieces: LayerWriter's tar, streamed into the Applier.
 */
final class VolumeCopy {
    private VolumeCopy() {}

    /** Copies {@code destination} of the mounted {@code rootfs} into the empty {@code data}; nothing when the image has no directory there. */
    static void fill(Path rootfs, String destination, Path data) throws IOException {
        try (ConfinedDir root = ConfinedDir.open(rootfs); ConfinedDir source = root.dirInRoot(destination)) {
            if (source == null) return;
            PipedInputStream in = new PipedInputStream(1 << 16);
            PipedOutputStream out = new PipedOutputStream(in);
            AtomicReference<IOException> failed = new AtomicReference<>();
            Thread writer = Thread.ofVirtual().start(() -> {
                try (out; TarWriter tar = new TarWriter(out)) {
                    LayerWriter.write(source, tar);
                } catch (IOException e) {
                    failed.set(e);
                }
            });
            try (in) {
                Applier.apply(in, data, Applier.Limits.DEFAULT);
            } finally {
                try {
                    writer.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (failed.get() != null) throw failed.get();
            // The volume's root takes the directory's owner and mode, as the files below it kept theirs.
            Map<String, Object> a = source.ownAttributes("mode,uid,gid");
            Native.lchown(data, (Integer) a.get("uid"), (Integer) a.get("gid"));
            Native.chmod(data, (Integer) a.get("mode"));
        }
    }

    static boolean isEmpty(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
