package io.strata.runner;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.strata.oci.ImageJson;
import io.strata.snapshots.Mount;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A container's place on a network ({@link Networks}: the default {@code bridge} on {@code strata0},
 * or one a user made): a network namespace of its own (a file bind-mounted as {@code ip netns add}
 * does, which the runtime joins through config.json), given an interface on the network's bridge by
 * the CNI plugins, with outbound traffic masqueraded and its published ports forwarded (loopback,
 * bridge, host-local IPAM, portmap, firewall). What ADD made is kept beside the container
 * ({@code network.json}) so DEL gets it back exactly.
 *
 * <p>Namespaces, IPAM reservations and the attachment records of running containers live under
 * {@code /run/strata}: a reboot clears them together, as it clears the interfaces and rules.
 */
public final class Networking {
    static final Path RUN = Path.of("/run/strata");
    static final String NETWORK = "bridge";
    static final String BRIDGE = "strata0";
    /** Neither podman's 10.88.0.0/16 nor its networks' 10.89.x nor docker's 172.17.0.0/16; STRATA_BRIDGE_SUBNET changes it. */
    static final String DEFAULT_SUBNET = "10.91.0.0/16";
    private static final String ATTACHMENT = "network.json";
    private static final String REQUEST = "network-request.json";

    private Networking() {}

    /** What a container asked for at create: the network, its published ports, its address, MAC and aliases. */
    record Request(String network, List<PortMapping> ports, String ip, String mac, List<String> aliases) {
        Request {
            aliases = aliases == null ? List.of() : List.copyOf(aliases);
            if (ip != null && !ip.isEmpty() && !ip.matches("(\\d{1,3}\\.){3}\\d{1,3}")) throw new IllegalArgumentException("--ip takes an IPv4 address, was " + ip);
            // A unicast address (the least significant bit of the first octet clear), six octets.
            if (mac != null && !mac.isEmpty() && !mac.matches("[0-9a-fA-F][02468aceACE](:[0-9a-fA-F]{2}){5}")) {
                throw new IllegalArgumentException("--mac-address " + mac + " is not a unicast MAC address (xx:xx:xx:xx:xx:xx)");
            }
        }
    }

    /** Whether the IPv4 address {@code ip} lies in {@code cidr}. */
    static boolean inSubnet(String ip, String cidr) {
        return ip.matches("(\\d{1,3}\\.){3}\\d{1,3}") && Networks.overlaps(ip + "/32", cidr);
    }

    /** What attaching made: the netns, the configuration ADD was given, its result, the address. */
    record Attachment(String containerId, Path netns, List<PortMapping> ports, JsonNode config, JsonNode result, String ifname) {
        String address() {
            String cidr = result.path("ips").path(0).path("address").asText("");
            return cidr.contains("/") ? cidr.substring(0, cidr.indexOf('/')) : cidr;
        }
    }

    static Path netns(String containerId) {
        return RUN.resolve("netns").resolve(containerId);
    }

    static String subnet() {
        String s = System.getenv("STRATA_BRIDGE_SUBNET");
        return s == null || s.isBlank() ? DEFAULT_SUBNET : s.strip();
    }

    /** The loopback plugin's list: brings the namespace's lo up (nothing to undo: it goes with the namespace). */
    private static JsonNode loopback() {
        return ImageJson.plain().createObjectNode().put("cniVersion", "1.0.0").put("name", "lo")
                .set("plugins", ImageJson.plain().createArrayNode().add(ImageJson.plain().createObjectNode().put("type", "loopback")));
    }

    /** A network's configuration list: its bridge and subnet; an internal one has no route out and masquerades nothing. */
    static JsonNode config(Networks.Network network) {
        ObjectNode list = ImageJson.plain().createObjectNode().put("cniVersion", "1.0.0").put("name", network.name());
        var plugins = list.putArray("plugins");
        ObjectNode bridge = plugins.addObject().put("type", "bridge").put("bridge", network.bridge()).put("isGateway", true)
                .put("ipMasq", !network.internal()).put("hairpinMode", true);
        bridge.putObject("capabilities").put("ips", true).put("mac", true);
        ObjectNode ipam = bridge.putObject("ipam").put("type", "host-local").put("dataDir", RUN.resolve("ipam").toString());
        ipam.putArray("ranges").addArray().addObject().put("subnet", network.subnet()).put("gateway", network.gateway());
        if (!network.internal()) ipam.putArray("routes").addObject().put("dst", "0.0.0.0/0");
        plugins.addObject().put("type", "portmap").put("snat", true).putObject("capabilities").put("portMappings", true);
        plugins.addObject().put("type", "firewall").put("backend", "iptables");
        return list;
    }

    /** Held while a container's ports are checked and taken (an exclusive lock on a file under /run/strata). */
    static java.io.Closeable lock() throws IOException {
        Files.createDirectories(RUN);
        return io.strata.client.store.FileLocks.exclusive(RUN.resolve("network.lock"));
    }

    /** Records at create what the container will be attached to when it starts. */
    static void request(Path containerDir, Request request) throws IOException {
        write(containerDir.resolve(REQUEST), ImageJson.plain().writeValueAsBytes(request));
    }

    static Request requested(Path containerDir) throws IOException {
        Path f = containerDir.resolve(REQUEST);
        if (!Files.exists(f)) return null;
        JsonNode n = ImageJson.plain().readTree(Files.readAllBytes(f));
        List<String> aliases = new ArrayList<>();
        n.path("aliases").forEach(a -> aliases.add(a.asText()));
        return new Request(n.path("network").asText(NETWORK), ports(n.path("ports")), n.path("ip").asText(null), n.path("mac").asText(null),
                aliases);
    }

    /**
     * Attaches the container: its namespace, its interface and address, its ports. A host port that
     * is in use (by a host process, or published by another container) is refused first, naming it;
     * a failure half-way undoes what was made.
     */
    static Attachment attach(Path containerDir, String containerId, String containerName, Request request, Networks.Network network,
                             List<Attachment> others, String hostname) throws IOException {
        List<PortMapping> ports = request.ports();
        if (request.ip() != null && !request.ip().isEmpty() && !inSubnet(request.ip(), network.subnet())) {
            throw new IllegalArgumentException("--ip " + request.ip() + " is not an address of network " + network.name() + " (" + network.subnet() + ")");
        }
        for (PortMapping p : ports) checkFree(p, others);
        for (Attachment o : others) {
            if (request.ip() != null && request.ip().equals(o.address())) {
                throw new IllegalArgumentException("address " + request.ip() + " is in use by container " + o.containerId().substring(0, 12));
            }
        }
        Path netns = netns(containerId);
        JsonNode config = config(network);
        createNamespace(netns);
        Cni.Target target = target(containerId, netns, ports);
        // --ip and --mac-address: the bridge plugin's "ips" and "mac" capabilities (host-local takes the address).
        Map<String, Object> runtime = new java.util.HashMap<>(target.runtimeConfig());
        if (request.ip() != null && !request.ip().isEmpty()) {
            runtime.put("ips", List.of(request.ip() + network.subnet().substring(network.subnet().indexOf('/'))));
        }
        if (request.mac() != null && !request.mac().isEmpty()) runtime.put("mac", request.mac().toLowerCase(java.util.Locale.ROOT));
        Cni.Target adding = new Cni.Target(containerId, netns, "eth0", runtime);
        try {
            // lo up (as a namespace of the runtime's own has it), beside the bridge's list: the two are independent.
            var loopbackFailed = new java.util.concurrent.atomic.AtomicReference<IOException>();
            Thread loopback = Thread.ofVirtual().start(() -> {
                try {
                    Cni.add(loopback(), new Cni.Target(containerId, netns, "lo", Map.of()));
                } catch (IOException e) {
                    loopbackFailed.set(e);
                }
            });
            JsonNode result = Cni.add(config, adding);
            try {
                loopback.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            if (loopbackFailed.get() != null) throw loopbackFailed.get();
            Attachment a = new Attachment(containerId, netns, ports, config, result, "eth0");
            write(containerDir.resolve(ATTACHMENT), ImageJson.plain().writeValueAsBytes(Map.of("containerId", containerId, "netns", netns.toString(),
                    "ports", ports, "config", config, "result", result)));
            Path hosts = containerDir.resolve("bundle/etc/hosts");
            if (Files.exists(hosts) && !a.address().isEmpty()) {
                Files.writeString(hosts, a.address() + "\t" + hostname + "\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
            }
            if (!network.isDefault()) {
                // On a user's network, its name, short id and aliases are answered by the network's name server.
                List<String> names = new ArrayList<>(List.of(containerName, containerId.substring(0, 12)));
                names.addAll(request.aliases());
                NameServer.add(network.name(), network.gateway(), new NameServer.Entry(containerId, a.address(), names));
            }
            return a;
        } catch (IOException | RuntimeException e) {
            try {
                NameServer.remove(containerId);
                Cni.del(config, target, null);
            } catch (IOException ignored) {
                e.addSuppressed(ignored);
            }
            removeNamespace(netns);
            throw e;
        }
    }

    private static Cni.Target target(String containerId, Path netns, List<PortMapping> ports) {
        return target(containerId, netns, ports, "eth0");
    }

    private static Cni.Target target(String containerId, Path netns, List<PortMapping> ports, String ifname) {
        List<Map<String, Object>> mappings = new ArrayList<>();
        for (PortMapping p : ports) {
            mappings.add(Map.of("hostPort", p.hostPort(), "containerPort", p.containerPort(), "protocol", p.protocol(), "hostIP", p.hostIp()));
        }
        return new Cni.Target(containerId, netns, ifname, Map.of("portMappings", mappings));
    }

    /** The attachment recorded beside a container, or null when it has none. */
    static Attachment attachment(Path containerDir) throws IOException {
        Path f = containerDir.resolve(ATTACHMENT);
        JsonNode n;
        try {
            n = ImageJson.plain().readTree(Files.readAllBytes(f));
        } catch (java.nio.file.NoSuchFileException none) {
            return null; // not attached, or detached meanwhile by the container's supervisor
        }
        return attachmentOf(n);
    }

    private static Attachment attachmentOf(JsonNode n) {
        return new Attachment(n.path("containerId").asText(), Path.of(n.path("netns").asText()), ports(n.path("ports")), n.path("config"),
                n.path("result"), n.path("ifname").asText("eth0"));
    }

    /** The port mappings as the records above were written with them. */
    private static List<PortMapping> ports(JsonNode array) {
        List<PortMapping> ports = new ArrayList<>();
        for (JsonNode p : array) {
            ports.add(new PortMapping(p.path("hostIp").asText(""), p.path("hostPort").asInt(), p.path("containerPort").asInt(),
                    p.path("protocol").asText("tcp")));
        }
        return List.copyOf(ports);
    }

    /**
     * Undoes {@link #attach} off the caller's path: the attachment moves to {@code /run/strata/released/ID},
     * and a process of its own (a shell, setsid) runs the plugins' DEL and removes the namespace there, so
     * that a container's exit or rm does not wait for the kernel to delete its interface (DEL is about
     * 250 ms of the plugins' work). What such a process leaves undone (it failed, or the host went down)
     * is done by the next start of any container ({@link #releasePending}), as the spec lets DEL run again.
     */
    static void release(Path containerDir) throws IOException {
        disconnectAll(containerDir);
        Attachment a = attachment(containerDir);
        if (a == null) return;
        NameServer.remove(a.containerId()); // no longer answered by name, before its address is freed
        Path released = RUN.resolve("released").resolve(a.containerId());
        // Claimed by a rename: the container's supervisor and rm may both release it; one does.
        Path claimed = containerDir.resolve(ATTACHMENT + ".releasing");
        try {
            Files.move(containerDir.resolve(ATTACHMENT), claimed, StandardCopyOption.ATOMIC_MOVE);
        } catch (java.nio.file.NoSuchFileException taken) {
            return;
        }
        Files.createDirectories(released);
        write(released.resolve(ATTACHMENT), Files.readAllBytes(claimed));
        Files.delete(claimed);
        try {
            Cni.Target target = target(a.containerId(), a.netns(), a.ports());
            // The shell claims the release by renaming it to ID.running (so releasePending never runs it at the same
            // time), works there, and gives it back when a plugin failed; a start of the same container waits for it.
            Path running = released.resolveSibling(a.containerId() + RUNNING);
            StringBuilder script = new StringBuilder("#!/bin/sh\n# DEL of container ").append(a.containerId())
                    .append("'s network (CNI: the plugins in reverse order), then its namespace\nmv ").append(quote(released.toString()))
                    .append(' ').append(quote(running.toString())).append(" 2>/dev/null || exit 0\nok=1\n");
            Cni.environment("DEL", target).forEach((k, v) -> script.append("export ").append(k).append('=').append(quote(v)).append('\n'));
            int i = 0;
            for (JsonNode plugin : Cni.delOrder(a.config())) {
                Files.write(released.resolve(i + ".json"), Cni.stdin(a.config(), plugin, target, a.result()));
                script.append(quote(Cni.binary(plugin).toString())).append(" < ").append(quote(running.resolve(i++ + ".json").toString()))
                        .append(" >/dev/null 2>>").append(quote(running.resolve("log").toString())).append(" || ok=0\n");
            }
            script.append("umount ").append(quote(a.netns().toString())).append(" 2>/dev/null; rm -f ").append(quote(a.netns().toString()))
                    .append("\nif [ $ok = 1 ]; then rm -rf ").append(quote(running.toString())).append("; else mv ").append(quote(running.toString()))
                    .append(' ').append(quote(released.toString())).append("; fi\n");
            Path sh = released.resolve("release.sh");
            Files.writeString(sh, script);
            new ProcessBuilder("setsid", "-f", "sh", sh.toString()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start().waitFor();
        } catch (IOException | InterruptedException e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            detach(released); // no process of its own: here and now
            io.strata.snapshots.OverlaySnapshotter.deleteTree(released);
        }
    }

    /** Finishes the releases a background process left undone (DEL is idempotent: one still running does no harm). */
    static void releasePending() throws IOException {
        Path dir = RUN.resolve("released");
        if (!Files.isDirectory(dir)) return;
        List<Path> pending;
        try (var s = Files.list(dir)) {
            pending = s.filter(p -> !p.getFileName().toString().endsWith(RUNNING)).toList();
        }
        for (Path p : pending) {
            // Claimed by a rename, as the background shell claims it: one of the two runs it.
            Path claimed = p.resolveSibling(p.getFileName() + RUNNING);
            try {
                Files.move(p, claimed, StandardCopyOption.ATOMIC_MOVE);
            } catch (java.nio.file.NoSuchFileException | java.nio.file.FileAlreadyExistsException taken) {
                continue;
            }
            detach(claimed);
            io.strata.snapshots.OverlaySnapshotter.deleteTree(claimed);
        }
    }

    /** The suffix of a release being run (by its shell or by {@link #releasePending}). */
    private static final String RUNNING = ".running";

    /**
     * Waits (at most 15 s) until no release of {@code containerId}'s last run is under way: its DEL
     * ends with the removal of the namespace file, which the new run makes again at the same path.
     */
    static void awaitRelease(String containerId) throws IOException {
        Path released = RUN.resolve("released");
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(15);
        while (Files.exists(released.resolve(containerId + RUNNING)) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }


    /** Undoes {@link #attach}: DEL with what ADD was given and answered, then the namespace and the record go. Idempotent. */
    static void detach(Path containerDir) throws IOException {
        disconnectAll(containerDir);
        Attachment a = attachment(containerDir);
        if (a == null) return;
        try {
            NameServer.remove(a.containerId());
            Cni.del(a.config(), target(a.containerId(), a.netns(), a.ports(), a.ifname()), a.result());
        } finally {
            removeNamespace(a.netns());
            Files.deleteIfExists(containerDir.resolve(ATTACHMENT));
        }
    }

    /** Where the networks a container was connected to after its start are kept: a request and, while it runs, an attachment each. */
    private static final String CONNECTED = "connected-networks";

    /** A network a container was connected to ({@code network connect}): its name, the address asked for, its aliases there. */
    record Connection(String network, String ip, List<String> aliases) {
        Connection {
            aliases = aliases == null ? List.of() : List.copyOf(aliases);
        }
    }

    /** Records that the container is on {@code c.network()} too, from now and at each start. */
    static void requestConnection(Path containerDir, Connection c) throws IOException {
        Files.createDirectories(containerDir.resolve(CONNECTED));
        write(containerDir.resolve(CONNECTED).resolve(c.network() + ".request"), ImageJson.plain().writeValueAsBytes(c));
    }

    static void forgetConnection(Path containerDir, String network) throws IOException {
        Files.deleteIfExists(containerDir.resolve(CONNECTED).resolve(network + ".request"));
    }

    /** The networks the container was connected to after its create, in the order they were. */
    static List<Connection> connections(Path containerDir) throws IOException {
        Path dir = containerDir.resolve(CONNECTED);
        if (!Files.isDirectory(dir)) return List.of();
        List<Path> files;
        try (var list = Files.list(dir)) {
            files = list.filter(f -> f.getFileName().toString().endsWith(".request"))
                    .sorted(java.util.Comparator.comparing(f -> {
                        try {
                            return Files.getLastModifiedTime(f);
                        } catch (IOException gone) {
                            return java.nio.file.attribute.FileTime.fromMillis(0);
                        }
                    })).toList();
        }
        List<Connection> out = new ArrayList<>();
        for (Path f : files) {
            JsonNode n = ImageJson.plain().readTree(Files.readAllBytes(f));
            List<String> aliases = new ArrayList<>();
            n.path("aliases").forEach(a -> aliases.add(a.asText()));
            out.add(new Connection(n.path("network").asText(), n.path("ip").asText(null), aliases));
        }
        return out;
    }

    /** The attachments of the networks connected while the container runs. */
    static List<Attachment> connected(Path containerDir) throws IOException {
        Path dir = containerDir.resolve(CONNECTED);
        if (!Files.isDirectory(dir)) return List.of();
        List<Attachment> out = new ArrayList<>();
        try (var list = Files.list(dir)) {
            for (Path f : list.filter(f -> f.getFileName().toString().endsWith(".json")).toList()) {
                out.add(attachmentOf(ImageJson.plain().readTree(Files.readAllBytes(f))));
            }
        }
        return out;
    }

    /**
     * Puts a running container (its namespace made by {@link #attach}) on another network: an interface
     * {@code ifname} on its bridge and an address, its names on the network's name server; the
     * attachment is kept for {@link #disconnect}. A failure half-way undoes what was made.
     */
    static Attachment connect(Path containerDir, String containerId, String containerName, Connection c, Networks.Network network,
                              String ifname) throws IOException {
        if (c.ip() != null && !c.ip().isEmpty() && !inSubnet(c.ip(), network.subnet())) {
            throw new IllegalArgumentException("--ip " + c.ip() + " is not an address of network " + network.name() + " (" + network.subnet() + ")");
        }
        Path netns = netns(containerId);
        if (!Files.exists(netns)) throw new IllegalStateException("container " + containerName + " has no network namespace of Strata's");
        JsonNode config = config(network);
        Map<String, Object> runtime = new java.util.HashMap<>(Map.of("portMappings", List.of()));
        if (c.ip() != null && !c.ip().isEmpty()) runtime.put("ips", List.of(c.ip() + network.subnet().substring(network.subnet().indexOf('/'))));
        Cni.Target target = new Cni.Target(containerId, netns, ifname, runtime);
        JsonNode result = Cni.add(config, target);
        Attachment a = new Attachment(containerId, netns, List.of(), config, result, ifname);
        try {
            Files.createDirectories(containerDir.resolve(CONNECTED));
            write(containerDir.resolve(CONNECTED).resolve(network.name() + ".json"), ImageJson.plain().writeValueAsBytes(Map.of("containerId",
                    containerId, "netns", netns.toString(), "ports", List.of(), "config", config, "result", result, "ifname", ifname)));
            if (!network.isDefault()) {
                List<String> names = new ArrayList<>(List.of(containerName, containerId.substring(0, 12)));
                names.addAll(c.aliases());
                NameServer.add(network.name(), network.gateway(), new NameServer.Entry(containerId, a.address(), names));
            }
            return a;
        } catch (IOException | RuntimeException e) {
            try {
                NameServer.remove(network.name(), containerId);
                Cni.del(config, target(containerId, netns, List.of(), ifname), result);
                Files.deleteIfExists(containerDir.resolve(CONNECTED).resolve(network.name() + ".json"));
            } catch (IOException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        }
    }

    /** Takes a running container off a network it was connected to: its names there, then DEL of its interface. Idempotent. */
    static void disconnect(Path containerDir, String network) throws IOException {
        Path f = containerDir.resolve(CONNECTED).resolve(network + ".json");
        JsonNode n;
        try {
            n = ImageJson.plain().readTree(Files.readAllBytes(f));
        } catch (java.nio.file.NoSuchFileException none) {
            return;
        }
        Attachment a = attachmentOf(n);
        try {
            NameServer.remove(network, a.containerId());
            Cni.del(a.config(), target(a.containerId(), a.netns(), List.of(), a.ifname()), a.result());
        } finally {
            Files.deleteIfExists(f);
        }
    }

    /** Every connected network's DEL (the container ended, or is removed); the requests stay for its next start. */
    private static void disconnectAll(Path containerDir) throws IOException {
        for (Attachment a : connected(containerDir)) disconnect(containerDir, a.config().path("name").asText());
    }

    private static void checkFree(PortMapping p, List<Attachment> others) throws IOException {
        for (Attachment o : others) {
            for (PortMapping q : o.ports()) {
                boolean sameAddress = q.hostIp().isEmpty() || p.hostIp().isEmpty() || q.hostIp().equals(p.hostIp());
                if (q.hostPort() == p.hostPort() && q.protocol().equals(p.protocol()) && sameAddress) {
                    throw new IllegalArgumentException("port " + p.hostPort() + "/" + p.protocol() + " is already published by container "
                            + o.containerId().substring(0, 12));
                }
            }
        }
        InetAddress address = p.hostIp().isEmpty() ? null : InetAddress.getByName(p.hostIp());
        try {
            if (p.protocol().equals("udp")) {
                new java.net.DatagramSocket(new InetSocketAddress(address, p.hostPort())).close();
            } else {
                try (var s = new java.net.ServerSocket()) {
                    s.bind(new InetSocketAddress(address, p.hostPort()));
                }
            }
        } catch (java.net.BindException e) {
            throw new IllegalArgumentException("port " + (p.hostIp().isEmpty() ? "" : p.hostIp() + ":") + p.hostPort() + "/" + p.protocol()
                    + " is already in use on the host");
        }
    }

    /** A network namespace kept by a bind mount of it on {@code file} ({@code unshare --net=FILE}, util-linux). */
    private static void createNamespace(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        if (Files.exists(file)) removeNamespace(file); // left by a container whose record was lost
        Files.createFile(file);
        Process p = new ProcessBuilder("unshare", "--net=" + file, "true").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        try {
            if (p.waitFor() != 0) {
                Files.deleteIfExists(file);
                throw new IOException("cannot create the network namespace " + file + ": " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static void removeNamespace(Path file) throws IOException {
        while (Mount.isMountPoint(file)) Mount.unmount(file);
        Files.deleteIfExists(file);
    }

    private static void write(Path f, byte[] content) throws IOException {
        Path temp = f.resolveSibling(f.getFileName() + ".tmp");
        Files.write(temp, content);
        Files.move(temp, f, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
