package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
        String ipam = listing(Path.of("/run/strata/ipam")) + listing(Path.of("/run/strata/ipam/bridge")).replaceAll(",? ?last_reserved_ip\\.0", "");
        String rules = ExternalTool.ok("iptables-save").lines().filter(l -> !l.startsWith("#") && !l.startsWith(":")).sorted().toList().toString();
        String names = listing(Path.of("/run/strata/aardvark"));
        return "links " + links + "\nnetns " + netns + "\nipam " + ipam + "\nnames " + names + "\nrules " + rules.replaceAll("\\[\\d+:\\d+\\]", "");
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
        while ((!now.equals(before) || !listing(Path.of("/run/strata/released")).equals("[]")) && System.nanoTime() < deadline) {
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
    void anAddressAndAMacAddressOfTheUsersChoice() throws Exception {
        Run r = run("--rm", "--ip", "10.91.200.7", "--mac-address", "02:42:0A:5B:C8:07", image, "ip", "addr", "show", "eth0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().contains("link/ether 02:42:0a:5b:c8:07 ") && r.out().contains("inet 10.91.200.7/16 "), r.out());
        assertEquals(0, run("-d", "--name", "holder", "--ip", "10.91.200.8", image, "sleep", "60").exit());
        Run taken = run("--rm", "--ip", "10.91.200.8", image, "true");
        assertEquals(125, taken.exit());
        assertTrue(taken.err().startsWith("strata: address 10.91.200.8 is in use by container "), taken.err());
        assertEquals("strata: --ip 10.1.1.1 is not an address of network bridge (10.91.0.0/16)\n", run("--rm", "--ip", "10.1.1.1", image, "true").err());
        assertEquals("strata: --mac-address 01:00:5e:00:00:01 is not a unicast MAC address (xx:xx:xx:xx:xx:xx)\n",
                run("--rm", "--mac-address", "01:00:5e:00:00:01", image, "true").err());
        assertEquals("strata: --ip and --mac-address are for a network of the container's own (--network host)\n",
                run("--rm", "--network", "host", "--ip", "10.91.200.9", image, "true").err());
        assertEquals(0, strata("rm", "-f", "--root", store, "holder").exit());
    }

    private Run network(String... args) throws Exception {
        List<String> all = new java.util.ArrayList<>(List.of("network"));
        all.addAll(List.of(args));
        all.addAll(List.of("--root", store));
        return strata(all.toArray(String[]::new));
    }

    /** What busybox httpd on {@code host}:80 answers, asked from another container on {@code net}; retried while httpd starts. */
    private Run fetchFrom(String net, String host) throws Exception {
        Run r = null;
        for (int i = 0; i < 10; i++) {
            r = run("--rm", "--network", net, image, "sh", "-c", "printf 'GET /base.txt HTTP/1.0\\r\\n\\r\\n' | nc " + host + " 80 | tail -1");
            if (r.out().equals("base\n") || r.err().contains("bad address")) return r; // an unknown name is no startup delay
            Thread.sleep(300);
        }
        return r;
    }

    @Test
    void containersOnAUsersNetworkReachEachOtherByNameAndAlias() throws Exception {
        assertEquals(0, run("--rm", image, "true").exit());
        String before = settledNetworkState();
        assertEquals("appnet\n", network("create", "appnet").out());
        Run first = run("-d", "--name", "first", "--network", "appnet", "--network-alias", "web", image, "httpd", "-f", "-p", "80", "-h", "/data");
        assertEquals(0, first.exit(), first.err());
        assertEquals("base\n", fetchFrom("appnet", "first").out(), "by name");
        assertEquals("base\n", fetchFrom("appnet", "web").out(), "by alias");
        // A container started after the first is found by it too: the names change as containers come and go.
        assertEquals(0, run("-d", "--name", "second", "--network", "appnet", image, "httpd", "-f", "-p", "80", "-h", "/data").exit());
        Run back = strata("exec", "--root", store, "first", "sh", "-c", "printf 'GET /base.txt HTTP/1.0\\r\\n\\r\\n' | nc second 80 | tail -1");
        assertEquals("base\n", back.out(), back.err());
        Run resolv = run("--rm", "--network", "appnet", image, "cat", "/etc/resolv.conf");
        assertTrue(resolv.out().contains("nameserver 10.92."), "the network's name server: " + resolv.out());
        Run elsewhere = run("--rm", image, "sh", "-c", "nc -w 2 first 80 </dev/null; echo $?");
        assertTrue(elsewhere.out().strip().endsWith("1") || elsewhere.err().contains("bad address"), "not by name from the default bridge: "
                + elsewhere.out() + elsewhere.err());

        Run inUse = network("rm", "appnet");
        assertEquals(1, inUse.exit());
        assertEquals("strata: network appnet is in use by container first, second\n", inUse.err());
        assertEquals(0, strata("rm", "-f", "--root", store, "first", "second").exit());
        assertEquals("appnet\n", network("rm", "appnet").out());
        assertReleased(before, "the network's bridge, names, addresses and rules are gone with it");
        assertTrue(ExternalTool.run(List.of("pgrep", "-f", "aardvark-dns")).out().isBlank(), "no name server is left running");
    }

    @Test
    void connectAndDisconnectARunningContainer() throws Exception {
        assertEquals(0, run("--rm", image, "true").exit());
        String before = settledNetworkState();
        assertEquals("backend\n", network("create", "backend").out());
        assertEquals(0, run("-d", "--name", "db", "--network", "backend", image, "httpd", "-f", "-p", "80", "-h", "/data").exit());
        // app starts on the default bridge: it cannot find db until it is connected to backend.
        assertEquals(0, run("-d", "--name", "app", image, "sleep", "600").exit());
        String ask = "printf 'GET /base.txt HTTP/1.0\\r\\n\\r\\n' | nc -w 5 db 80 | tail -1";
        Run unknown = strata("exec", "--root", store, "app", "sh", "-c", ask);
        assertTrue(!unknown.out().equals("base\n"), "not connected yet: " + unknown.out());
        Run connect = network("connect", "--alias", "application", "backend", "app");
        assertEquals(0, connect.exit(), connect.err());
        assertEquals("base\n", strata("exec", "--root", store, "app", "sh", "-c", ask).out(), "by name once connected");
        assertTrue(strata("exec", "--root", store, "app", "ip", "-o", "addr").out().contains("eth1"), "a second interface");
        Run byAlias = strata("exec", "--root", store, "db", "sh", "-c", "nc -w 2 application 1 </dev/null 2>&1; echo $?");
        assertTrue(!byAlias.out().contains("bad address"), "db finds app by its alias there: " + byAlias.out() + byAlias.err());
        assertEquals("strata: container app is already connected to network backend\n", network("connect", "backend", "app").err());
        Run inUse = network("rm", "backend");
        assertEquals("strata: network backend is in use by container app, db\n", inUse.err());

        // It comes back connected after a restart, and disconnect takes it off.
        Run restarted = strata("restart", "-t", "0", "--root", store, "app");
        assertEquals(0, restarted.exit(), restarted.err());
        assertEquals("base\n", strata("exec", "--root", store, "app", "sh", "-c", ask).out(), "connected again at its start");
        Run disconnect = network("disconnect", "backend", "app");
        assertEquals(0, disconnect.exit(), disconnect.err());
        assertTrue(!strata("exec", "--root", store, "app", "ip", "-o", "addr").out().contains("eth1"), "its interface there is gone");
        assertEquals("strata: container app is not connected to network backend\n", network("disconnect", "backend", "app").err());
        Run primary = network("disconnect", "bridge", "app");
        assertEquals(1, primary.exit());
        assertTrue(primary.err().startsWith("strata: network bridge is the one container app was created on"), primary.err());
        assertEquals(0, run("-d", "--name", "isolated", "--network", "none", image, "sleep", "600").exit());
        Run none = network("connect", "backend", "isolated");
        assertEquals("strata: container isolated has no network of its own (--network none, host or container:): it cannot be connected to "
                + "another\n", none.err());

        assertEquals(0, strata("rm", "-f", "--root", store, "app", "db", "isolated").exit());
        assertEquals("backend\n", network("rm", "backend").out());
        assertReleased(before, "nothing of either network is left");
    }

    @Test
    void networksAreRefusedWhenTheyWouldClash() throws Exception {
        assertEquals("one\n", network("create", "--subnet", "10.93.0.0/24", "--label", "team=a", "one").out());
        Run overlap = network("create", "--subnet", "10.93.0.128/25", "two");
        assertEquals(1, overlap.exit());
        assertEquals("strata: subnet 10.93.0.128/25 overlaps network one (10.93.0.0/24)\n", overlap.err());
        assertEquals("strata: subnet 10.91.3.0/24 overlaps network bridge (10.91.0.0/16)\n", network("create", "--subnet", "10.91.3.0/24", "x").err());
        assertEquals("strata: network one already exists\n", network("create", "one").err());
        assertEquals("strata: network name bridge is reserved\n", network("create", "bridge").err());
        assertEquals("strata: gateway 10.94.1.1 is not in subnet 10.94.0.0/24\n",
                network("create", "--subnet", "10.94.0.0/24", "--gateway", "10.94.1.1", "y").err());
        JsonNode one = io.strata.oci.ImageJson.plain().readTree(network("inspect", "one").out()).path(0);
        assertEquals("10.93.0.1", one.path("IPAM").path("Config").path(0).path("Gateway").asText());
        assertEquals("a", one.path("Labels").path("team").asText());
        assertEquals(List.of("bridge", "one"), network("ls", "-q").out().lines().toList());
        Run alias = run("--rm", "--network-alias", "x", image, "true");
        assertEquals("strata: --network-alias is for a network made with strata network create (the default bridge has no names)\n", alias.err());
        assertEquals("one\n", network("prune", "-f").out());
        assertEquals(List.of("bridge"), network("ls", "-q").out().lines().toList());
    }

    @Test
    void aContainerJoinsAnothersNetwork() throws Exception {
        assertEquals(0, run("-d", "--name", "server", image, "httpd", "-f", "-p", "80", "-h", "/data").exit());
        Run theirs = strata("exec", "--root", store, "server", "ip", "-4", "-o", "addr", "show", "eth0");
        Run joined = run("--rm", "--network", "container:server", image, "sh", "-c",
                "ip -4 -o addr show eth0; printf 'GET /base.txt HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 80 | tail -1");
        assertEquals(0, joined.exit(), joined.err());
        List<String> lines = joined.out().lines().toList();
        assertEquals(theirs.out().strip().split("\\s+")[3], lines.getFirst().strip().split("\\s+")[3], "the same address: " + joined.out());
        assertEquals("base", lines.getLast(), "and the same loopback: " + joined.out());
        assertEquals("strata: no such container: nosuch\n", run("--rm", "--network", "container:nosuch", image, "true").err());
        assertEquals("strata: ports are published on a network of the container's own only (--network container)\n",
                run("--rm", "--network", "container:server", "-p", "80", image, "true").err());
        assertEquals(0, strata("stop", "--root", store, "-t", "1", "server").exit());
        Run stopped = run("--rm", "--network", "container:server", image, "true");
        assertEquals(125, stopped.exit());
        assertEquals("strata: cannot join the network of container server: it is not running\n", stopped.err());
        assertEquals(0, strata("rm", "--root", store, "server").exit());
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
        assertEquals("strata: ports are published on a network of the container's own only (--network none)\n", onNone.err());
        Run unknown = run("--rm", "--network", "nosuch", image, "true");
        assertEquals("strata: network nosuch not found (strata network ls lists them)\n", unknown.err());
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
