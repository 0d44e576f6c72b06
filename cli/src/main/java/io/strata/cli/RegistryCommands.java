package io.strata.cli;

import io.strata.oci.Digest;
import io.strata.registry.RegistryConfig;
import io.strata.storage.GarbageCollector;
import io.strata.storage.Storage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** strata registry ...: operations on a registry's storage, beside or without a running server. */
@Command(name = "registry", mixinStandardHelpOptions = true, description = "Operate on a registry's storage (gc).",
        subcommands = RegistryCommands.Gc.class)
final class RegistryCommands {
    private RegistryCommands() {}

    /**
     * strata registry gc: online garbage collection. Safe while servers push and pull on the same
     * storage: a blob younger than the grace period, or referenced by a push in flight, stays.
     */
    @Command(name = "gc", mixinStandardHelpOptions = true,
            description = "Remove blobs no manifest references (while the registry runs); --untagged also removes manifests no tag reaches.")
    static final class Gc implements Callable<Integer> {
        @Option(names = "--config", paramLabel = "FILE", description = "The registry's YAML configuration (its storage is collected).")
        Path config;

        @Option(names = "--root", paramLabel = "DIR", description = "Filesystem storage under DIR instead.")
        String root;

        @Option(names = "--dry-run", description = "Only list what would be removed.")
        boolean dryRun;

        @Option(names = "--untagged", description = "Also remove manifests that no tag and no tagged index reaches.")
        boolean untagged;

        @Option(names = "--grace", paramLabel = "DURATION", description = "Keep what is younger than this (default: gc.grace, 1h; 0s for none).")
        String grace;

        @Override
        public Integer call() throws Exception {
            RegistryConfig cfg = RegistryConfig.load(config, System.getenv()).withFlags(null, root);
            Duration keep = grace == null ? cfg.gcGrace()
                    : grace.equals("0") || grace.equals("0s") ? Duration.ZERO : RegistryConfig.duration("--grace", grace);
            try (Storage storage = Storage.open(cfg.storageConfig())) {
                GarbageCollector.Result r = storage.gc().run(keep, untagged, dryRun);
                String verb = dryRun ? "would remove" : "removed";
                for (String m : r.manifests()) System.out.println(verb + " manifest " + m);
                for (Digest d : r.blobs()) System.out.println(verb + " blob " + d);
                System.out.println(verb + " " + r.blobs().size() + " blobs (" + Output.size(r.bytes()) + "), " + r.links() + " links, "
                        + r.manifests().size() + " manifests");
            }
            return 0;
        }
    }
}
