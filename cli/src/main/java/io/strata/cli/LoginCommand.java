package io.strata.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.client.remote.Credentials;
import io.strata.client.remote.RegistryClient;
import io.strata.oci.Reference;
import java.io.BufferedReader;
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
 * strata login REGISTRY / strata logout REGISTRY: keeps credentials in Docker's config.json format,
 * in strata's own file ($XDG_CONFIG_HOME/strata/config.json, mode 600), after checking them.
 */
final class LoginCommand {
    private static final ObjectMapper JSON = new ObjectMapper();

    private LoginCommand() {}

    static Path file() {
        return ClientOptions.credentialFiles().getFirst();
    }

    static String host(String registry) {
        return registry.contains("/") ? Reference.parse(registry + ":x").registry() : registry;
    }

    static void save(String registry, Credentials c) throws Exception {
        Path file = file();
        Files.createDirectories(file.getParent());
        ObjectNode root = Files.exists(file) ? (ObjectNode) JSON.readTree(file.toFile()) : JSON.createObjectNode();
        ObjectNode auths = root.withObject("auths");
        if (c == null) {
            auths.remove(registry);
        } else {
            auths.putObject(registry).put("auth",
                    Base64.getEncoder().encodeToString((c.username() + ":" + c.password()).getBytes(StandardCharsets.UTF_8)));
        }
        Path temp = file.resolveSibling(".config.json.tmp");
        Files.deleteIfExists(temp);
        Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.write(temp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Command(name = "login", mixinStandardHelpOptions = true, description = "Log in to a registry.")
    static final class Login implements Callable<Integer> {
        @Mixin
        ClientOptions options;

        @Parameters(paramLabel = "REGISTRY")
        String registry;

        @Option(names = {"-u", "--username"}, required = true)
        String username;

        @Option(names = "--password-stdin", description = "Read the password from standard input (the only way: no passwords in argv).")
        boolean passwordStdin;

        @Override
        public Integer call() throws Exception {
            String password;
            if (passwordStdin || System.console() == null) {
                password = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            } else {
                char[] p = System.console().readPassword("Password: ");
                password = p == null ? null : new String(p);
            }
            if (password == null || password.isEmpty()) throw new IllegalArgumentException("no password given");
            String host = host(registry);
            Credentials c = new Credentials(username, password);
            new RegistryClient(Reference.apiHost(host), options.insecure, Optional.of(c), 2).ping();
            save(host, c);
            System.err.println("Login Succeeded (credentials in " + file() + ")");
            return 0;
        }
    }

    @Command(name = "logout", mixinStandardHelpOptions = true, description = "Forget a registry's credentials.")
    static final class Logout implements Callable<Integer> {
        @Parameters(paramLabel = "REGISTRY")
        String registry;

        @Override
        public Integer call() throws Exception {
            save(host(registry), null);
            System.err.println("Removed credentials for " + host(registry));
            return 0;
        }
    }
}
