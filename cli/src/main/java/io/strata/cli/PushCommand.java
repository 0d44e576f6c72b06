package io.strata.cli;

import io.strata.client.Pusher;
import io.strata.oci.Reference;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** strata push SRC [DST]: sends a stored image to a registry. */
@Command(name = "push", mixinStandardHelpOptions = true, description = "Push a stored image to a registry.")
final class PushCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Mixin
    RemoteOptions remote;

    @Parameters(index = "0", paramLabel = "SRC", description = "A stored image (see strata images).")
    String source;

    @Parameters(index = "1", arity = "0..1", paramLabel = "DST", description = "Where to push (default: SRC's own reference).")
    String destination;

    @Option(names = "--chunk-size", paramLabel = "BYTES", description = "Blobs larger than this go up in chunks of this size (default 64 MiB).")
    long chunkSize = 64L * 1024 * 1024;

    @Option(names = "--concurrency", paramLabel = "N", description = "Blobs sent at once (default 4).")
    int concurrency = 4;

    @Override
    public Integer call() throws Exception {
        String format = options.format();
        var store = options.store();
        LocalImage image = LocalImage.find(store, source);
        Reference dst = Reference.parse(destination != null ? destination : image.name());
        push(options, remote, store, image, dst, concurrency, chunkSize);
        Output.one(format, Output.fields("reference", dst.toString(),
                "digest", image.manifest().digest().toString()), image.manifest().digest().toString());
        return 0;
    }

    /** Pushes a stored image to {@code dst}, with progress and the registry's mounts (push, and build --push). */
    static void push(ClientOptions options, RemoteOptions remote, io.strata.client.store.LayoutStore store, LocalImage image, Reference dst,
                     int concurrency, long chunkSize) throws Exception {
        // A repository on the same registry that has this image (it was pulled from there), for mounts.
        Optional<Reference> from = store.names().stream()
                .filter(n -> n.manifest().digest().equals(image.manifest().digest()))
                .map(n -> LocalImage.normalise(n.name()))
                .filter(java.util.Objects::nonNull)
                .map(Reference::parse)
                .filter(r -> r.registry().equals(dst.registry()) && !r.repository().equals(dst.repository()))
                .findFirst();
        try (ProgressDisplay progress = ProgressDisplay.open(options.quiet());
             Interrupted ignored = Interrupted.report(() -> "interrupted; the uploads under way were cancelled, the next push sends what is missing")) {
            new Pusher(remote.client(dst.registry(), progress::retry), store, concurrency, chunkSize, progress)
                    .push(image.manifest(), dst, from);
        }
    }
}
