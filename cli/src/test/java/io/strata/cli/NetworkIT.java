package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.registry.ExternalTool;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The default bridge network as a user meets it: a web server in a container answers on the host's
 * loopback and on its other address through a published port, a container reaches a server on the
 * host, bad -p values and ports in use are refused in one line with nothing made, and nothing of a
 * container's network (interface, namespace, address, firewall rule) outlives it.
 */
class NetworkIT extends ContainerCliTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** The page busybox httpd serves from /data, fetched from the host; retried while the server starts. */
    private static String fetch(String host, int port) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/base.txt"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                return r.statusCode() + " " + r.body();
            } catch (java.io.IOException e) {
                last = e;
                Thread.sleep(200);
            }
        }
        throw new AssertionError("no answer from " + host + ":" + port, last);
    }

    private static int freePort() throws Exception {
        try (var s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The host's first global IPv4 address: not loopback. */
    private static String hostAddress() throws Exception {
        String out = ExternalTool.ok("ip", "-4", "-o", "addr", "show", "scope", "global");
        return out.lines().map(l -> l.trim().split("\\s+")[3].split("/")[0]).findFirst()
                .orElseThrow(() -> new AssertionError("this host has no global IPv4 address: " + out));
    }

    /** What the host's network looks like: links, namespaces, IPAM reservations, firewall and NAT rules. */
    private static String networkState() throws Exception {
        String links = ExternalTool.ok("ip", "-o", "link", "show").lines().map(l -> l.split(":")[1].trim().split("@")[0]).sorted().toList().toString();
        String netns = listing(Path.of("/run/strata/netns"));
        String ipam = listing(Path.of("/run/strata/ipam/bridge")).replaceAll(",? ?last_reserved_ip\\.0", "");
        String rules = ExternalTool.ok("iptables-save").lines().filter(l -> !l.startsWith("#") && !l.startsWith(":")).sorted().toList().toString();
        return "links " + links + "\nnetns " + netns + "\nipam " + ipam + "\nrules " + rules.replaceAll("\\[\\d+:\\d+\\]", "");
    }

    /** The host's network once the releases under way (of containers that ran before) are done. */
    private static String settledNetworkState() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!listing(Path.of("/run/strata/released")).equals("[]") && System.nanoTime() < deadline) Thread.sleep(100);
        return networkState();
    }

    /**
     * The network is released off the CLI's path (a process of its own runs the plugins' DEL): the
     * host's network is as it was {@code before} once that process is done, within seconds.
     */
    private static void assertReleased(String before, String what) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        String now = networkState();
        while (!now.equals(before) && System.nanoTime() < deadline) {
            Thread.sleep(100);
            now = networkState();
        }
        assertEquals(before, now, what);
        assertEquals("[]", listing(Path.of("/run/strata/released")), "no release left pending");
    }

    private static String listing(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) return "[]";
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("lock")).sorted().toList().toString();
        }
    }

    @Test
    void aPublishedWebServerAnswersOnLoopbackAndTheHostsAddress() throws Exception {
        ExternalTool.require("iptables-save");
        assertEquals(0, run("--rm", image, "true").exit(), "a first run makes the bridge and the plugins' base chains");
        String before = settledNetworkState();
        int loopbackOnly = freePort();
        int everywhere = freePort();
        Run web = run("-d", "--name", "web", "-p", "127.0.0.1:" + loopbackOnly + ":80", "-p", everywhere + ":80", "-p", "8080",
                image, "httpd", "-f", "-p", "80", "-h", "/data");
        assertEquals(0, web.exit(), web.err());
        assertEquals("200 base\n", fetch("127.0.0.1", loopbackOnly));
        assertEquals("200 base\n", fetch("127.0.0.1", everywhere));
        assertEquals("200 base\n", fetch(hostAddress(), everywhere), "on the host's own address too");
        Run ports = strata("port", "--root", store, "web");
        List<String> lines = ports.out().lines().toList();
        assertEquals(3, lines.size(), ports.out());
        assertTrue(lines.contains("80/tcp -> 127.0.0.1:" + loopbackOnly) && lines.contains("80/tcp -> 0.0.0.0:" + everywhere), ports.out());
        int chosen = Integer.parseInt(strata("port", "--root", store, "web", "8080").out().strip().split(":")[1]);
        assertTrue(chosen > 0, "a free host port for -p 8080");

        // A port in use: one line, and nothing created.
        Run taken = run("--rm", "--name", "second", "-p", everywhere + ":80", image, "true");
        assertEquals(125, taken.exit(), taken.err());
        assertEquals("strata: port " + everywhere + "/tcp is already published by container ", taken.err().substring(0, taken.err().length() - 13));
        try (var hostServer = new java.net.ServerSocket(0)) {
            Run busy = run("--rm", "-p", hostServer.getLocalPort() + ":80", image, "true");
            assertEquals("strata: port " + hostServer.getLocalPort() + "/tcp is already in use on the host\n", busy.err());
        }
        assertEquals(1, strata("ps", "-a", "-q", "--root", store).out().lines().count(), "only web: the refused runs made nothing");
        Run removed = strata("rm", "-f", "--root", store, "web");
        assertEquals(0, removed.exit(), removed.err());
        assertReleased(before, "nothing of the container's network is left");
    }

    @Test
    void resolverAndHostsOptionsAsDockerWritesThem() throws Exception {
        Run r = run("--rm", "--hostname", "box", "--dns", "1.1.1.1", "--dns", "9.9.9.9", "--dns-search", "example.com", "--dns-option", "ndots:2",
                "--add-host", "foo:1.2.3.4", image, "sh", "-c", "cat /etc/resolv.conf /etc/hosts");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().lines().toList();
        assertEquals(List.of("search example.com", "nameserver 1.1.1.1", "nameserver 9.9.9.9", "options ndots:2", "127.0.0.1\tlocalhost",
                "::1\tlocalhost ip6-localhost ip6-loopback", "1.2.3.4\tfoo"), lines.subList(0, 7), r.out());
        assertTrue(lines.get(7).matches("10\\.91\\.\\d+\\.\\d+\tbox"), "its own address names it: " + r.out());
        Run plain = run("--rm", image, "cat", "/etc/resolv.conf");
        assertTrue(plain.out().lines().filter(l -> l.startsWith("nameserver")).noneMatch(l -> l.contains(" 127.")), "no loopback resolver: " + plain.out());
        for (String[] bad : new String[][] {{"--dns", "resolver.example"}, {"--add-host", "foo"}, {"--add-host", "foo:999.1.1.1"}}) {
            Run refused = run("--rm", bad[0], bad[1], image, "true");
            assertEquals(125, refused.exit(), String.join(" ", bad));
            assertEquals(1, refused.err().lines().count(), refused.err());
        }
    }

    @Test
    void publishAllPublishesWhatTheImageExposes() throws Exception {
        Path root = tmp.resolve("rootfs");
        String exposing = image.replace("busybox:v1", "exposing:v1");
        publish(root, exposing, java.util.Map.of("80/tcp", java.util.Map.of()));
        Run web = run("-d", "--name", "exposed", "-P", exposing, "httpd", "-f", "-p", "80", "-h", "/data");
        assertEquals(0, web.exit(), web.err());
        String where = strata("port", "--root", store, "exposed", "80").out().strip();
        assertTrue(where.startsWith("0.0.0.0:"), where);
        assertEquals("200 base\n", fetch("127.0.0.1", Integer.parseInt(where.substring("0.0.0.0:".length()))));
        assertEquals(0, strata("rm", "-f", "--root", store, "exposed").exit());
    }

    @Test
    void badPublishValuesAreRefusedInOneLine() throws Exception {
        for (String bad : List.of("80:", "abc", "70000:80", "1.2.3.4:5:6:7", "80/sctp", "8080-8081:80")) {
            Run r = run("--rm", "-p", bad, image, "true");
            assertEquals(125, r.exit(), bad + ": " + r.err());
            assertTrue(r.err().startsWith("strata: invalid port mapping " + bad + ": ") && r.err().lines().count() == 1, r.err());
        }
        Run onNone = run("--rm", "--network", "none", "-p", "80", image, "true");
        assertEquals("strata: ports are published on the bridge network only (--network none)\n", onNone.err());
        Run unknown = run("--rm", "--network", "nosuch", image, "true");
        assertEquals("strata: unknown network nosuch (bridge, none or host)\n", unknown.err());
        assertEquals("", strata("ps", "-a", "-q", "--root", store).out(), "nothing created");
    }

    @Test
    void aContainerReachesTheHostAndTheNoneNetworkHasOnlyLoopback() throws Exception {
        try (var server = new java.net.ServerSocket(0, 5, java.net.InetAddress.getByName("0.0.0.0"))) {
            Thread accept = Thread.ofVirtual().start(() -> {
                try (var s = server.accept()) {
                    s.getOutputStream().write("hello from the host\n".getBytes());
                } catch (java.io.IOException ignored) {
                    // the test fails on what the container read
                }
            });
            Run r = run("--rm", image, "sh", "-c", "ip route | grep default; nc " + hostAddress() + " " + server.getLocalPort() + " </dev/null");
            assertEquals(0, r.exit(), r.err());
            assertTrue(r.out().contains("default via 10.91.0.1") && r.out().contains("hello from the host"), r.out());
            accept.join(5000);
        }
        Run bridge = run("--rm", image, "ip", "-o", "link");
        assertTrue(bridge.out().contains("lo:") && bridge.out().contains("eth0@"), "loopback and its interface on the bridge: " + bridge.out());
        Run none = run("--rm", "--network", "none", image, "ip", "-o", "link");
        assertEquals(1, none.out().lines().count(), none.out());
    }

    @Test
    void aRunKilledWithSigkillLeavesNothingOnceRemoved() throws Exception {
        assertEquals(0, run("--rm", image, "true").exit());
        String before = settledNetworkState();
        int port = freePort();
        Process killed = launcher("run", "--root", store, "--name", "killed", "-p", port + ":80", image, "httpd", "-f", "-p", "80", "-h", "/data")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        assertEquals("200 base\n", fetch("127.0.0.1", port));
        killed.destroyForcibly();
        killed.waitFor(30, TimeUnit.SECONDS);
        // Its runtime still runs the container, whose port stays its own until rm.
        Run again = run("--rm", "-p", port + ":80", image, "true");
        assertTrue(again.err().contains("is already published by container"), again.err());
        Run rm = strata("rm", "-f", "--root", store, "killed");
        assertEquals(0, rm.exit(), rm.err());
        assertReleased(before, "nothing of the killed run's network is left");
    }
}
