package io.strata.cli;

import io.strata.registry.Registry;
import io.strata.registry.RegistryConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** strata serve: runs the registry until interrupted, then shuts down gracefully. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Run the registry (default: port 5000, filesystem storage under ./data).")
final class ServeCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file.")
    Path config;

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "Address to listen on (default 0.0.0.0:5000).")
    String listen;

    @Option(names = "--root", paramLabel = "DIR", description = "Use filesystem storage under DIR.")
    String root;

    @Option(names = "--auth-htpasswd", paramLabel = "FILE",
            description = "Require HTTP Basic auth against bcrypt entries (htpasswd -B); same as auth.mode htpasswd.")
    String htpasswd;

    @Override
    public Integer call() throws Exception {
        RegistryConfig cfg = RegistryConfig.load(config, System.getenv()).withFlags(listen, root, htpasswd);
        Logging.setLevel(cfg.log().level());
        Logging.setFormat(cfg.log().format());
        System.err.println(new Strata.Version().getVersion()[0]);
        // The hook is in place before the registry starts: a SIGTERM that comes while it starts (or
        // just after it says it listens) still stops it cleanly, where adding the hook then would fail.
        java.util.concurrent.CompletableFuture<Registry> started = new java.util.concurrent.CompletableFuture<>();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                started.get(60, java.util.concurrent.TimeUnit.SECONDS).close();
            } catch (java.util.concurrent.ExecutionException neverStarted) {
                // nothing to stop
            } catch (Exception e) {
                System.err.println("strata: shutdown: " + e);
            } finally {
                stopped.countDown();
            }
        }, "strata-shutdown"));
        try {
            started.complete(Registry.start(cfg));
        } catch (RuntimeException | java.io.IOException e) {
            // The hook waits for the start: a failed one must tell it there is nothing to stop.
            started.completeExceptionally(e);
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof java.net.BindException) {
                    throw new IllegalStateException("cannot listen on " + cfg.listen() + ": "
                            + (t.getMessage() != null && t.getMessage().contains("in use") ? "the port is in use" : t.getMessage())
                            + " (--listen HOST:PORT)", e);
                }
            }
            throw e;
        }
        stopped.await();
        return 0;
    }
}
