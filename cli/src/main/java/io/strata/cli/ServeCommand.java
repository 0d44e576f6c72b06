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
        Registry registry;
        try {
            registry = Registry.start(cfg);
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof java.net.BindException) {
                    throw new IllegalStateException("cannot listen on " + cfg.listen() + ": "
                            + (t.getMessage() != null && t.getMessage().contains("in use") ? "the port is in use" : t.getMessage())
                            + " (--listen HOST:PORT)", e);
                }
            }
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                registry.close();
            } catch (Exception e) {
                System.err.println("strata: shutdown: " + e);
            } finally {
                stopped.countDown();
            }
        }, "strata-shutdown"));
        stopped.await();
        return 0;
    }
}
