package io.strata.runner;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A container's {@code /etc/resolv.conf}, as docker writes it: on the host network the host's; on a
 * network of its own the host's without loopback nameservers (they would be the container's own
 * loopback), Google's when none is left; with no network, none. {@code --dns}, {@code --dns-search}
 * and {@code --dns-option} each replace what the host gave for their line.
 */
final class ResolvConf {
    private static final Path HOST = Path.of("/etc/resolv.conf");
    private static final List<String> FALLBACK = List.of("8.8.8.8", "8.8.4.4");

    private ResolvConf() {}

    static String of(RunSpec.Network network, RunSpec.Dns dns) throws IOException {
        List<String> servers = new ArrayList<>();
        List<String> search = new ArrayList<>();
        List<String> options = new ArrayList<>();
        if (network != RunSpec.Network.NONE && Files.isReadable(HOST)) {
            for (String line : Files.readAllLines(HOST, StandardCharsets.UTF_8)) {
                String[] f = line.strip().split("\\s+");
                if (f.length < 2) continue;
                switch (f[0]) {
                    case "nameserver" -> {
                        boolean loopback = f[1].startsWith("127.") || f[1].equals("::1");
                        if (network == RunSpec.Network.HOST || !loopback) servers.add(f[1]);
                    }
                    case "search", "domain" -> {
                        search.clear();
                        search.addAll(List.of(f).subList(1, f.length));
                    }
                    case "options" -> options.addAll(List.of(f).subList(1, f.length));
                    default -> { }
                }
            }
            if (servers.isEmpty() && network != RunSpec.Network.HOST) servers.addAll(FALLBACK);
        }
        if (!dns.servers().isEmpty()) servers = dns.servers();
        if (!dns.search().isEmpty()) search = dns.search();
        if (!dns.options().isEmpty()) options = dns.options();
        StringBuilder out = new StringBuilder();
        if (!search.isEmpty()) out.append("search ").append(String.join(" ", search)).append('\n');
        for (String s : servers) out.append("nameserver ").append(s).append('\n');
        if (!options.isEmpty()) out.append("options ").append(String.join(" ", options)).append('\n');
        return out.toString();
    }

    /** Puts {@code server} first among a running container's nameservers (written in place: it is bind-mounted). */
    static void preferNameserver(Path resolvConf, String server) throws IOException {
        if (!Files.exists(resolvConf)) return;
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(resolvConf));
        String line = "nameserver " + server;
        lines.remove(line);
        int first = 0;
        while (first < lines.size() && !lines.get(first).startsWith("nameserver")) first++;
        lines.add(Math.min(first, lines.size()), line);
        Files.writeString(resolvConf, String.join("\n", lines) + "\n");
    }

    /** Takes {@code server} out of a container's nameservers (the network it answered for was disconnected). */
    static void forgetNameserver(Path resolvConf, String server) throws IOException {
        if (!Files.exists(resolvConf)) return;
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(resolvConf));
        if (lines.remove("nameserver " + server)) Files.writeString(resolvConf, String.join("\n", lines) + "\n");
    }
}
