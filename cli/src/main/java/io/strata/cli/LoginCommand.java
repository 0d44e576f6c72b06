package io.strata.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.oci.ImageJson;
import io.strata.oci.Reference;
import io.strata.remote.Credentials;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * strata login REGISTRY / strata logout REGISTRY, in Docker's config.json format. Credentials go
 * where docker's go when Docker's config is the only one there is (through its credential helper if
 * it names one), else into strata's own file ($XDG_CONFIG_HOME/strata/config.json, mode 600).
 */
final class LoginCommand {

    private LoginCommand() {}

    static String host(String registry) {
        return registry.contains("/") ? Reference.parse(registry + ":x").registry() : registry;
    }

    /** strata's own file when it exists or Docker's does not; else Docker's. */
    static Path target() {
        Path own = ClientOptions.credentialFiles().getFirst();
        Path docker = ClientOptions.dockerConfig();
        return Files.isRegularFile(own) || !Files.isRegularFile(docker) ? own : docker;
    }

    /** Stores (or with null, forgets) a host's credentials in a config file or its helper; says where. */
    static String save(Path file, String host, Credentials c) throws IOException {
        ObjectNode root = Files.isRegularFile(file) ? (ObjectNode) ImageJson.plain().readTree(file.toFile()) : ImageJson.plain().createObjectNode();
        Optional<String> helper = Credentials.helper(root, host);
        if (helper.isPresent()) {
            if (c == null) Credentials.eraseWithHelper(helper.get(), host);
            else Credentials.storeWithHelper(helper.get(), host, c);
            return "docker-credential-" + helper.get();
        }
        ObjectNode auths = root.withObject("auths");
        if (c == null) {
            if (auths.remove(host) == null && auths.remove(Credentials.serverKey(host)) == null) return null;
        } else {
            auths.putObject(host).put("auth",
                    Base64.getEncoder().encodeToString((c.username() + ":" + c.password()).getBytes(StandardCharsets.UTF_8)));
        }
        Files.createDirectories(file.getParent());
        Path temp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.deleteIfExists(temp);
        Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(temp, ImageJson.plain().writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return file.toString();
    }

    @Command(name = "login", mixinStandardHelpOptions = true, description = "Log in to a registry (checks the credentials first).")
    static final class Login implements Callable<Integer> {
        @Mixin
        RemoteOptions remote;

        @Parameters(paramLabel = "REGISTRY", description = "Registry host, e.g. registry.example.com or 127.0.0.1:5000.")
        String registry;

        @Option(names = {"-u", "--username"}, description = "User name (asked for on a terminal when missing).")
        String username;

        @Option(names = "--password-stdin", description = "Read the password from standard input (no passwords in argv).")
        boolean passwordStdin;

        @Override
        public Integer call() throws Exception {
            var console = System.console();
            boolean terminal = console != null && console.isTerminal();
            String user = username;
            if (user == null) {
                if (!terminal) throw new IllegalArgumentException("-u USER is needed when standard input is not a terminal");
                user = console.readLine("Username: ");
                if (user == null || user.isBlank()) throw new IllegalArgumentException("no user name given");
                user = user.strip();
            }
            String password;
            if (passwordStdin || !terminal) {
                password = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            } else {
                char[] p = console.readPassword("Password: ");
                password = p == null ? null : new String(p);
            }
            if (password == null || password.isEmpty()) throw new IllegalArgumentException("no password given");
            String host = host(registry);
            Credentials c = new Credentials(user, password);
            remote.client(host, Optional.of(c), 2, notice -> {}).ping();
            String where = save(target(), host, c);
            System.err.println("Login Succeeded (credentials in " + where + ")");
            return 0;
        }
    }

    @Command(name = "logout", mixinStandardHelpOptions = true, description = "Forget a registry's credentials.")
    static final class Logout implements Callable<Integer> {
        @Parameters(paramLabel = "REGISTRY", description = "Registry host.")
        String registry;

        @Override
        public Integer call() throws Exception {
            String host = host(registry);
            boolean removed = false;
            for (Path file : ClientOptions.credentialFiles()) {
                if (Files.isRegularFile(file) && save(file, host, null) != null) removed = true;
            }
            if (!removed) throw new IllegalArgumentException("not logged in to " + host);
            System.err.println("Removed credentials for " + host);
            return 0;
        }
    }
}
