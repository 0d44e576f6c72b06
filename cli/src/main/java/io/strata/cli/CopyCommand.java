package io.strata.cli;

import io.strata.client.Copier;
import io.strata.client.store.LayoutStore;
import io.strata.oci.Descriptor;
import io.strata.oci.Platform;
import io.strata.oci.Reference;
import io.strata.remote.Credentials;
import io.strata.remote.RegistryClient;
import io.strata.remote.TlsSettings;
import io.strata.remote.Transport;
import io.strata.runner.ImageArchive;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * strata copy SRC DST with skopeo's transport names: {@code docker://REF}, {@code oci:DIR[:REF]},
 * {@code oci-archive:FILE[:REF]}, {@code docker-archive:FILE[:REF]}, and {@code strata:REF} (this
 * store). Between registries and layouts blobs stream (see {@link Copier}); an archive is read into,
 * or written from, a layout of the store's that is removed after.
 */
@Command(name = "copy", mixinStandardHelpOptions = true, description = "Copy an image between registries, OCI layouts, archives and the store "
        + "(skopeo's transports: docker://, oci:, oci-archive:, docker-archive:, strata:).")
final class CopyCommand implements Callable<Integer> {
    @Mixin
    ClientOptions options;

    @Mixin
    RemoteOptions remote;

    @Option(names = {"-a", "--all"}, description = "Of an index: copy it with every image it names (default: one platform's image).")
    boolean all;

    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]", description = "The image to take from an index (default: this host's).")
    String platform;

    @Option(names = "--src-creds", paramLabel = "USER[:PASSWORD]", description = "Credentials for the source registry (default: strata login's).")
    String srcCreds;

    @Option(names = "--dest-creds", paramLabel = "USER[:PASSWORD]", description = "Credentials for the destination registry (default: strata login's).")
    String destCreds;

    @Option(names = "--src-tls-verify", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true",
            description = "Check the source registry's certificate (default: --tls-verify's).")
    Boolean srcTlsVerify;

    @Option(names = "--dest-tls-verify", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true",
            description = "Check the destination registry's certificate (default: --tls-verify's).")
    Boolean destTlsVerify;

    @Option(names = "--src-cert-dir", paramLabel = "DIR", description = "The source registry's certificates: CAs (*.crt), a client's NAME.cert and NAME.key.")
    java.nio.file.Path srcCertDir;

    @Option(names = "--dest-cert-dir", paramLabel = "DIR", description = "The destination registry's certificates, as --src-cert-dir.")
    java.nio.file.Path destCertDir;

    @Option(names = "--dest-compress-format", paramLabel = "gzip|zstd", description = "Recompress the layers so (the image's digest changes; "
            + "its layers' content does not).")
    String destCompressFormat;

    @Option(names = "--include-referrers", description = "Copy what refers to the image too (signatures, SBOMs, and what refers to those), "
            + "between registries.")
    boolean includeReferrers;

    @Parameters(index = "0", paramLabel = "SOURCE", description = "docker://REF, oci:DIR[:REF], oci-archive:FILE[:REF], docker-archive:FILE[:REF] "
            + "or strata:REF.")
    String source;

    @Parameters(index = "1", paramLabel = "DESTINATION", description = "As SOURCE.")
    String destination;

    /** Where an image is, by skopeo's transport names. */
    sealed interface Location permits Docker, Oci, OciArchive, DockerArchive, Store {}

    record Docker(Reference ref) implements Location {}

    record Oci(Path dir, String ref) implements Location {}

    record OciArchive(Path file, String ref) implements Location {}

    record DockerArchive(Path file, String ref) implements Location {}

    record Store(String ref) implements Location {}

    static Location parse(String text) {
        int colon = text.indexOf(':');
        String transport = colon < 0 ? "" : text.substring(0, colon);
        String rest = colon < 0 ? "" : text.substring(colon + 1);
        return switch (transport) {
            case "docker" -> {
                if (!rest.startsWith("//")) throw new IllegalArgumentException(text + ": the docker transport is docker://REF");
                yield new Docker(RemoteCommands.reference(text));
            }
            case "oci", "oci-archive", "docker-archive" -> {
                if (rest.isEmpty()) throw new IllegalArgumentException(text + ": give a path (" + transport + ":PATH[:REF])");
                int sep = rest.indexOf(':');
                Path path = Path.of(sep < 0 ? rest : rest.substring(0, sep));
                String ref = sep < 0 || sep == rest.length() - 1 ? null : rest.substring(sep + 1);
                yield switch (transport) {
                    case "oci" -> new Oci(path, ref);
                    case "oci-archive" -> new OciArchive(path, ref);
                    default -> new DockerArchive(path, ref);
                };
            }
            case "strata" -> {
                if (rest.isEmpty()) throw new IllegalArgumentException(text + ": give a name (strata:NAME[:TAG])");
                yield new Store(rest);
            }
            default -> throw new IllegalArgumentException("unknown transport " + (transport.isEmpty() ? "in " + text : transport + " in " + text)
                    + ": docker://, oci:, oci-archive:, docker-archive: or strata:");
        };
    }

    @Override
    public Integer call() throws Exception {
        Location from = parse(source);
        Location to = parse(destination);
        Platform wanted = platform == null ? Platform.host() : Platform.parse(platform);
        LayoutStore store = options.store();
        List<Path> temporary = new ArrayList<>();
        try (ProgressDisplay progress = ProgressDisplay.open(options.quiet())) {
            Copier.Endpoint src = source(from, store, temporary, progress);
            Copier.Endpoint dst = destination(to, from, store, temporary, progress);
            if (includeReferrers && !(src instanceof Copier.Registry && dst instanceof Copier.Registry)) {
                throw new IllegalArgumentException("--include-referrers copies between registries (docker:// to docker://)");
            }
            Copier.Options copyOptions = new Copier.Options(wanted, platform != null, all, 4, 64L << 20);
            if (destCompressFormat != null) {
                io.strata.snapshots.Compression c = switch (destCompressFormat) {
                    case "gzip" -> io.strata.snapshots.Compression.GZIP;
                    case "zstd" -> io.strata.snapshots.Compression.ZSTD;
                    default -> throw new IllegalArgumentException("--dest-compress-format is gzip or zstd, was " + destCompressFormat);
                };
                if (includeReferrers) throw new IllegalArgumentException("--include-referrers with --dest-compress-format: the referrers name the digest that changes");
                copyOptions = copyOptions.recompressing(c, temp(store, temporary));
            }
            Copier.Result r = new Copier(progress).copy(src, dst, copyOptions);
            if (!r.manifest().digest().equals(r.source().digest())) {
                System.err.println("strata: the layers were recompressed (" + destCompressFormat + "): the image is " + r.manifest().digest()
                        + " at the destination, " + r.source().digest() + " at the source");
            }
            if (includeReferrers) referrers((Copier.Registry) src, (Copier.Registry) dst, r.manifest().digest(), progress, 0);
            finish(to, dst, r.manifest(), from);
            System.out.println(r.manifest().digest());
        } finally {
            for (Path p : temporary) io.strata.snapshots.OverlaySnapshotter.deleteTree(p);
        }
        return 0;
    }

    /**
     * Copies each referrer of {@code subject} (by digest, so it keeps its digest and subject), then
     * theirs; where the destination has no referrers API, its fallback tag is kept as a pushing
     * client keeps it. Depth-bounded: a hostile registry could answer with a cycle.
     */
    private static void referrers(Copier.Registry src, Copier.Registry dst, io.strata.oci.Digest subject, ProgressDisplay progress, int depth)
            throws Exception {
        if (depth > 8) return;
        for (Descriptor d : io.strata.client.Artifacts.referrers(src.client(), src.ref(), subject, null)) {
            Reference from = new Reference(src.ref().registry(), src.ref().repository(), null, d.digest());
            Reference to = new Reference(dst.ref().registry(), dst.ref().repository(), null, d.digest());
            new Copier(progress).copy(new Copier.Registry(src.client(), from), new Copier.Registry(dst.client(), to),
                    new Copier.Options(Platform.host(), false, true, 4, 64L << 20));
            if (dst.client().referrers(to.repository(), subject, null).isEmpty()) {
                io.strata.client.Artifacts.addToFallbackTag(dst.client(), to, subject, d);
            }
            referrers(src, dst, d.digest(), progress, depth + 1);
        }
    }

    private Copier.Endpoint source(Location from, LayoutStore store, List<Path> temporary, ProgressDisplay progress) throws Exception {
        return switch (from) {
            case Docker d -> new Copier.Registry(client(d.ref(), srcCreds, srcTlsVerify, srcCertDir, progress), d.ref());
            case Oci o -> {
                if (!Files.isRegularFile(o.dir().resolve("index.json"))) throw new IllegalArgumentException(o.dir() + " is not an OCI layout (no index.json)");
                yield new Copier.Layout(new LayoutStore(o.dir()), o.ref());
            }
            case Store s -> new Copier.Layout(store, LocalImage.find(store, s.ref()).name());
            case OciArchive a -> archive(a.file(), a.ref(), store, temporary);
            case DockerArchive a -> archive(a.file(), a.ref() == null ? null : LocalImage.normalise(a.ref()), store, temporary);
        };
    }

    /** An archive read into a layout of the store's; the image {@code ref} names (or its only one). */
    private static Copier.Endpoint archive(Path file, String ref, LayoutStore store, List<Path> temporary) throws Exception {
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("no archive " + file);
        Path dir = temp(store, temporary);
        LayoutStore layout = new LayoutStore(dir);
        List<String> names;
        try (var in = new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            names = ImageArchive.load(layout, in);
        }
        // load names what it reads as images are named (a ref.name of v1 is docker.io/library/v1:latest): either form finds it.
        String name = ref == null || names.contains(ref) ? ref : LocalImage.normalise(ref);
        if (name != null && !names.contains(name)) throw new IllegalArgumentException("no image " + ref + " in " + file + " (it has: " + names + ")");
        return new Copier.Layout(layout, name);
    }

    private Copier.Endpoint destination(Location to, Location from, LayoutStore store, List<Path> temporary, ProgressDisplay progress) throws Exception {
        return switch (to) {
            case Docker d -> new Copier.Registry(client(d.ref(), destCreds, destTlsVerify, destCertDir, progress), d.ref());
            case Oci o -> {
                Files.createDirectories(o.dir());
                yield new Copier.Layout(new LayoutStore(o.dir()), o.ref() != null ? o.ref() : tagOf(from));
            }
            case Store s -> {
                String name = LocalImage.normalise(s.ref());
                if (name == null) throw new IllegalArgumentException("invalid image name " + s.ref());
                yield new Copier.Layout(store, name);
            }
            case OciArchive a -> new Copier.Layout(new LayoutStore(temp(store, temporary)), a.ref() != null ? a.ref() : tagOf(from));
            case DockerArchive a -> new Copier.Layout(new LayoutStore(temp(store, temporary)), a.ref() != null ? LocalImage.normalise(a.ref()) : nameOf(from));
        };
    }

    /** An archive destination is written from its layout once the copy is whole, in place at once. */
    private void finish(Location to, Copier.Endpoint dst, Descriptor manifest, Location from) throws Exception {
        Path file = switch (to) {
            case OciArchive a -> a.file();
            case DockerArchive a -> a.file();
            default -> null;
        };
        if (file == null) return;
        if (io.strata.oci.MediaType.INDEXES.contains(manifest.mediaType())) {
            throw new IllegalArgumentException("an archive holds one platform's image: copy without --all (or to oci:DIR)");
        }
        Copier.Layout layout = (Copier.Layout) dst;
        ArchiveCommands.toOutput(file, out -> ImageArchive.save(layout.store(), List.of(new ImageArchive.Named(layout.name(), manifest)), out));
    }

    /** The tag a layout names an image by when the destination gives none: the source's, else latest. */
    private static String tagOf(Location from) {
        return switch (from) {
            case Docker d -> d.ref().tag() != null ? d.ref().tag().value() : "latest";
            case Oci o -> o.ref() != null ? o.ref() : "latest";
            default -> "latest";
        };
    }

    /** A docker archive's RepoTags entry when the destination gives none: the source's name. */
    private static String nameOf(Location from) {
        return switch (from) {
            case Docker d -> d.ref().toString();
            case Store s -> LocalImage.normalise(s.ref());
            default -> throw new IllegalArgumentException("name the image in the archive: docker-archive:FILE:NAME[:TAG]");
        };
    }

    private static Path temp(LayoutStore store, List<Path> temporary) throws java.io.IOException {
        Files.createDirectories(store.root());
        Path dir = Files.createTempDirectory(store.root(), "copy-");
        temporary.add(dir);
        return dir;
    }

    /** A registry client with this side's credentials and certificate checking. */
    private RegistryClient client(Reference ref, String creds, Boolean tlsVerify, java.nio.file.Path certDir, ProgressDisplay progress) {
        Optional<Credentials> credentials = creds == null ? Credentials.lookup(ref.registry(), ClientOptions.credentialFiles()) : Optional.of(creds(creds));
        Transport.Options t = remote.transport(5, progress::retry);
        TlsSettings tls = tlsVerify != null ? new TlsSettings(tlsVerify, RemoteOptions.certsDirs()) : t.tls();
        if (certDir != null) tls = tls.withCertDir(certDir);
        t = new Transport.Options(t.insecure(), tls, t.attempts(), t.notices());
        return new RegistryClient(Reference.apiHost(ref.registry()), t, credentials);
    }

    /** USER[:PASSWORD]; the password read from the terminal when left out, as skopeo asks for it. */
    private static Credentials creds(String text) {
        int colon = text.indexOf(':');
        if (colon > 0) return new Credentials(text.substring(0, colon), text.substring(colon + 1));
        if (text.isEmpty()) throw new IllegalArgumentException("credentials are USER[:PASSWORD]");
        java.io.Console console = System.console();
        if (console == null) throw new IllegalArgumentException("no password for " + text + " and no terminal to ask on: give USER:PASSWORD");
        char[] password = console.readPassword("Password for %s: ", text);
        return new Credentials(text, password == null ? "" : new String(password));
    }
}
