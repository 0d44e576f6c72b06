package io.strata.runner;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.oci.ImageJson;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The networks a container may join: the default {@code bridge} (built in, on {@code strata0}) and
 * the ones a user made with {@code network create}, each a bridge of its own with a subnet that
 * overlaps no other network's and no route of the host, recorded under the store's {@code networks/}.
 * On a network a user made, containers find each other by name and alias (see {@link NameServer}).
 */
public final class Networks {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}");

    private final Path root;

    public Networks(Path root) {
        this.root = root;
    }

    /**
     * A network: its subnet and gateway (the bridge's address, where the name server listens on a
     * user's network), the host bridge, and whether it is internal (no route out, nothing masqueraded).
     */
    public record Network(String name, String id, String subnet, String gateway, String bridge, boolean internal,
                          Map<String, String> labels, String created) {
        public boolean isDefault() {
            return name.equals(Networking.NETWORK);
        }
    }

    /** The default network: built in, with no name server (as docker's default bridge). */
    public static Network defaultNetwork() {
        String subnet = Networking.subnet();
        return new Network(Networking.NETWORK, "0".repeat(64), subnet, firstHost(subnet), Networking.BRIDGE, false, Map.of(), null);
    }

    /** The network of that name; the default one for "bridge". */
    public Network get(String name) throws IOException {
        if (name.equals(Networking.NETWORK)) return defaultNetwork();
        checkName(name);
        JsonNode n;
        try {
            n = ImageJson.plain().readTree(Files.readAllBytes(root.resolve(name + ".json")));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("network " + name + " not found (strata network ls lists them)");
        }
        Map<String, String> labels = new LinkedHashMap<>();
        n.path("labels").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
        return new Network(name, n.path("id").asText(), n.path("subnet").asText(), n.path("gateway").asText(), n.path("bridge").asText(),
                n.path("internal").asBoolean(), labels, n.path("created").asText());
    }

    /** Every network, the default first. */
    public List<Network> list() throws IOException {
        List<Network> out = new ArrayList<>(List.of(defaultNetwork()));
        if (!Files.isDirectory(root)) return out;
        try (var files = Files.list(root)) {
            for (Path f : files.sorted().toList()) {
                String file = f.getFileName().toString();
                if (file.endsWith(".json")) out.add(get(file.substring(0, file.length() - ".json".length())));
            }
        }
        return out;
    }

    private static void checkName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid network name " + name + ": letters, digits, _ . - (starting with a letter or digit)");
        }
    }

    /**
     * Makes a network. Without {@code subnet}, the first /24 of 10.92.0.0/16 that overlaps nothing;
     * a given one that overlaps another network or a route of the host is refused, naming it.
     */
    public Network create(String name, String subnet, String gateway, boolean internal, Map<String, String> labels) throws IOException {
        checkName(name);
        if (List.of("bridge", "none", "host").contains(name) || name.startsWith("container:")) {
            throw new IllegalArgumentException("network name " + name + " is reserved");
        }
        Files.createDirectories(root);
        try (FileChannel ch = FileChannel.open(root.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             var ignored = ch.lock()) {
            if (Files.exists(root.resolve(name + ".json"))) throw new IllegalArgumentException("network " + name + " already exists");
            List<Network> existing = list();
            List<String> routes = hostRoutes(existing.stream().map(Network::bridge).toList());
            if (subnet == null) {
                for (int i = 0; i < 256 && subnet == null; i++) {
                    String candidate = "10.92." + i + ".0/24";
                    if (overlapping(candidate, existing, routes) == null) subnet = candidate;
                }
                if (subnet == null) throw new IllegalStateException("no free /24 in 10.92.0.0/16: give --subnet");
            } else {
                subnet = canonical(subnet);
                if (Integer.parseInt(subnet.substring(subnet.indexOf('/') + 1)) > 30) {
                    throw new IllegalArgumentException("invalid subnet " + subnet + " (a prefix of 8 to 30 bits)");
                }
                String clash = overlapping(subnet, existing, routes);
                if (clash != null) throw new IllegalArgumentException("subnet " + subnet + " overlaps " + clash);
            }
            if (gateway == null) gateway = firstHost(subnet);
            else if (!Networking.inSubnet(gateway, subnet)) throw new IllegalArgumentException("gateway " + gateway + " is not in subnet " + subnet);
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            String id = HexFormat.of().formatHex(random);
            Network n = new Network(name, id, subnet, gateway, "sn" + id.substring(0, 10), internal, Map.copyOf(labels), Instant.now().toString());
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("name", name);
            record.put("id", id);
            record.put("subnet", subnet);
            record.put("gateway", gateway);
            record.put("bridge", n.bridge());
            record.put("internal", internal);
            record.put("labels", n.labels());
            record.put("created", n.created());
            Path temp = root.resolve("." + name + ".tmp");
            Files.write(temp, ImageJson.plain().writeValueAsBytes(record));
            Files.move(temp, root.resolve(name + ".json"), StandardCopyOption.ATOMIC_MOVE);
            return n;
        }
    }

    /** Removes a network no container asks for (the caller checked); its bridge goes too. */
    void remove(Network n) throws IOException {
        if (n.isDefault()) throw new IllegalArgumentException("the default network bridge cannot be removed");
        Files.deleteIfExists(root.resolve(n.name() + ".json"));
        Process p = new ProcessBuilder("ip", "link", "delete", n.bridge()).redirectErrorStream(true).start();
        try {
            p.getInputStream().readAllBytes();
            p.waitFor(); // no bridge yet (no container ever joined): nothing to delete
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Path ipam = Networking.RUN.resolve("ipam").resolve(n.name());
        if (Files.isDirectory(ipam)) {
            try (var files = Files.list(ipam)) {
                for (Path f : files.toList()) Files.deleteIfExists(f);
            }
            Files.deleteIfExists(ipam);
        }
    }

    /** What {@code cidr} overlaps among the networks and the host's routes, said for a user; null when nothing. */
    private static String overlapping(String cidr, List<Network> networks, List<String> routes) {
        for (Network n : networks) if (overlaps(cidr, n.subnet())) return "network " + n.name() + " (" + n.subnet() + ")";
        for (String r : routes) if (overlaps(cidr, r.split(" ")[0])) return "a route of the host (" + r + ")";
        return null;
    }

    /**
     * The host's IPv4 routes other than the default one and those of {@code ours} (the bridges of this
     * store's networks, whose subnets are checked as networks): "CIDR dev NAME". Another store's
     * bridge, or one left behind, counts as a route: its subnet is taken.
     */
    private static List<String> hostRoutes(List<String> ours) throws IOException {
        Process p = new ProcessBuilder("ip", "-4", "-o", "route", "show").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        List<String> routes = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split("\\s+");
            if (f.length < 3 || f[0].equals("default") || !f[0].matches("[0-9.]+(/\\d+)?")) continue;
            String dev = "";
            for (int i = 0; i + 1 < f.length; i++) if (f[i].equals("dev")) dev = f[i + 1];
            if (ours.contains(dev)) continue;
            routes.add((f[0].contains("/") ? f[0] : f[0] + "/32") + " dev " + dev);
        }
        return routes;
    }

    static boolean overlaps(String a, String b) {
        long[] x = range(a), y = range(b);
        return x[0] <= y[1] && y[0] <= x[1];
    }

    private static long[] range(String cidr) {
        String c = canonical(cidr);
        int slash = c.indexOf('/');
        int bits = Integer.parseInt(c.substring(slash + 1));
        long start = ip(c.substring(0, slash));
        return new long[] {start, start + (1L << (32 - bits)) - 1};
    }

    /** {@code A.B.C.D/N} with the host bits cleared; anything else is refused. */
    static String canonical(String cidr) {
        if (!cidr.matches("(\\d{1,3}\\.){3}\\d{1,3}/\\d{1,2}")) throw new IllegalArgumentException("invalid subnet " + cidr + " (A.B.C.D/N)");
        int slash = cidr.indexOf('/');
        int bits = Integer.parseInt(cidr.substring(slash + 1));
        long ip = ip(cidr.substring(0, slash));
        if (bits > 32 || bits < 8 || ip < 0) throw new IllegalArgumentException("invalid subnet " + cidr + " (a prefix of 8 to 30 bits)");
        long mask = (0xffffffffL << (32 - bits)) & 0xffffffffL;
        return text(ip & mask) + "/" + bits;
    }

    static String firstHost(String cidr) {
        String c = canonical(cidr);
        return text(ip(c.substring(0, c.indexOf('/'))) + 1);
    }

    private static long ip(String s) {
        long v = 0;
        for (String part : s.split("\\.")) {
            int octet = Integer.parseInt(part);
            if (octet > 255) return -1;
            v = (v << 8) | octet;
        }
        return v;
    }

    private static String text(long ip) {
        return (ip >> 24 & 255) + "." + (ip >> 16 & 255) + "." + (ip >> 8 & 255) + "." + (ip & 255);
    }
}
