package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.registry.ExternalTool;
import io.strata.registry.OciLayouts;
import io.strata.registry.Registry;
import io.strata.registry.RegistryConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** strata pull, unpack, snapshots, mount, umount and gc as a user runs them, interrupted runs and non-root users included. */
class UnpackCliIT {
    private static final Path LAUNCHER = Path.of("..", "strata").toAbsolutePath().normalize();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Registry registry;
    private String host;

    record Run(int exit, String out, String err) {}

    @BeforeEach
    void start() throws Exception {
        ExternalTool.requireRoot();
        ExternalTool.require("skopeo");
        Path f = tmp.resolve("strata.yml");
        Files.writeString(f, "listen: 127.0.0.1:0\nlog:\n  access: false\nstorage:\n  filesystem:\n    root: " + tmp.resolve("data") + "\n");
        registry = Registry.start(RegistryConfig.load(f, Map.of()));
        host = "127.0.0.1:" + registry.port();
    }

    @AfterEach
    void stop() throws Exception {
        if (registry != null) registry.close();
    }

    private ProcessBuilder command(List<String> prefix, String... args) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(LAUNCHER.toString());
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        pb.environment().put("STRATA_NO_BUILD", "1");
        return pb;
    }

    private Run strata(List<String> prefix, String... args) throws Exception {
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = command(prefix, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(3, TimeUnit.MINUTES), String.join(" ", args));
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    private Run ok(String... args) throws Exception {
        Run r = strata(List.of(), args);
        assertEquals(0, r.exit(), String.join(" ", args) + "\n" + r.err());
        return r;
    }

    private void publish(String repo, int layers, int fileSize, long seed) throws Exception {
        Path layout = tmp.resolve("layout-" + seed);
        OciLayouts.write(layout, "v1", layers, fileSize, seed);
        ExternalTool.ok("skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:" + layout + ":v1", "docker://" + host + "/" + repo + ":v1");
    }

    private JsonNode snapshots(String store) throws Exception {
        return JSON.readTree(ok("snapshots", "--root", store, "--format", "json").out());
    }

    @Test
    void pullUnpacksAndMountShowsTheImage() throws Exception {
        publish("lib/app", 2, 50_000, 7);
        String store = tmp.resolve("store").toString();
        String ref = host + "/lib/app:v1";
        ok("pull", "--root", store, ref);
        JsonNode list = snapshots(store);
        assertEquals(2, list.size(), list.toString());
        for (JsonNode s : list) {
            assertEquals("committed", s.path("state").asText());
            assertEquals(ref, s.path("images").get(0).asText());
        }
        Run again = ok("pull", "--root", store, ref);
        assertEquals(2, again.err().lines().filter(l -> l.endsWith("Already exists")).count(), again.err());

        Path dir = Files.createDirectories(tmp.resolve("mnt"));
        ok("mount", "--root", store, ref, dir.toString());
        try {
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(OciLayouts.fileContent(i, 50_000, 7), Files.readAllBytes(dir.resolve("layer" + i + "/file.bin")));
            }
            Run busy = ok("gc", "--root", store);
            assertTrue(busy.out().contains("0 snapshots"), busy.out());
        } finally {
            ok("umount", dir.toString());
        }
        assertFalse(Files.exists(dir.resolve("layer0")), "unmounted");

        ok("rmi", "--root", store, ref);
        Run gc = ok("gc", "--root", store);
        assertTrue(gc.out().contains("2 snapshots"), gc.out());
        assertEquals(0, snapshots(store).size());
    }

    @Test
    void twoPullsOfOneImageAtOnceBothSucceed() throws Exception {
        publish("lib/twice", 3, 20_000_000, 11);
        String store = tmp.resolve("store").toString();
        String ref = host + "/lib/twice:v1";
        List<Process> pulls = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            pulls.add(command(List.of(), "pull", "--quiet", "--root", store, ref)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(tmp.resolve("pull" + i + ".err").toFile()).start());
        }
        for (int i = 0; i < 2; i++) {
            assertTrue(pulls.get(i).waitFor(3, TimeUnit.MINUTES));
            assertEquals(0, pulls.get(i).exitValue(), Files.readString(tmp.resolve("pull0.err")) + " / " + Files.readString(tmp.resolve("pull1.err")));
        }
        JsonNode list = snapshots(store);
        assertEquals(3, list.size(), "one snapshot per layer, however many pulls made it: " + list);
        for (JsonNode s : list) assertEquals("committed", s.path("state").asText());
    }

    @Test
    void noUnpackThenUnpack() throws Exception {
        publish("lib/later", 3, 10_000, 8);
        String store = tmp.resolve("store").toString();
        String ref = host + "/lib/later:v1";
        ok("pull", "--no-unpack", "--root", store, ref);
        assertEquals(0, snapshots(store).size());
        Run unpack = ok("unpack", "--root", store, ref);
        assertEquals("unpacked 3 layers, 0 already unpacked", unpack.out().trim());
        assertEquals(3, snapshots(store).size());
    }

    @Test
    void aPullKilledMidUnpackLeavesNothingCommittedAndTheNextPullFinishes() throws Exception {
        publish("lib/big", 1, 300_000_000, 9);
        String store = tmp.resolve("store").toString();
        String ref = host + "/lib/big:v1";
        Process p = command(List.of(), "pull", "--root", store, ref)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        Path active = Path.of(store, "snapshots", "active");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline && !(Files.isDirectory(active) && hasEntries(active))) Thread.sleep(20);
        assertTrue(hasEntries(active), "the unpack started");
        p.destroyForcibly(); // SIGKILL: the launcher execs java, so this is the JVM
        p.waitFor(30, TimeUnit.SECONDS);

        JsonNode left = snapshots(store);
        for (JsonNode s : left) assertEquals("active", s.path("state").asText(), "nothing half-done is committed: " + left);
        assertTrue(JSON.readTree(ok("images", "--root", store, "--format", "json").out()).isEmpty(), "the image is not named");

        ok("pull", "--root", store, ref);
        ok("gc", "--root", store);
        JsonNode after = snapshots(store);
        assertEquals(1, after.size(), after.toString());
        assertEquals("committed", after.get(0).path("state").asText());
        Path dir = Files.createDirectories(tmp.resolve("mnt"));
        ok("mount", "--root", store, ref, dir.toString());
        try {
            assertEquals(300_000_000L, Files.size(dir.resolve("layer0/file.bin")));
        } finally {
            ok("umount", dir.toString());
        }
    }

    @Test
    void anInterruptedPullSaveOrLoadLeavesNothingHalfMade() throws Exception {
        publish("lib/big", 1, 300_000_000, 10);
        String store = tmp.resolve("store").toString();
        String ref = host + "/lib/big:v1";
        Path err = tmp.resolve("pull.err");
        Process p = command(List.of(), "pull", "--root", store, ref)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
        Path active = Path.of(store, "snapshots", "active");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        Path ingest = Path.of(store, "ingest");
        while (System.nanoTime() < deadline && !(hasEntries(active) && ClientUxIT.receiving(ingest))) Thread.sleep(5);
        assertTrue(hasEntries(active) && ClientUxIT.receiving(ingest), "the download and the unpack started");
        p.destroy(); // SIGTERM, as ctrl-C's SIGINT: the JVM runs its shutdown hooks for both
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(143, p.exitValue(), Files.readString(err));
        assertTrue(Files.readString(err).strip().matches("(?s).*\ninterrupted; [\\d.]+[kMG]?B kept, the next pull resumes"),
                Files.readString(err));
        assertFalse(hasEntries(active), "the half-made snapshot was removed, not left for gc");
        assertTrue(snapshots(store).isEmpty(), snapshots(store).toString());
        assertFalse(hasEntries(Path.of(store, "leases")), "the pull's lease was given back");

        ok("pull", "--root", store, ref);
        JsonNode after = snapshots(store);
        assertEquals(1, after.size(), "no gc needed: " + after);
        assertEquals("committed", after.get(0).path("state").asText());

        // save writes beside its target and renames: an interrupted one leaves neither file.
        Path out = Files.createDirectories(tmp.resolve("out"));
        interruptWhileWriting(out, "save", "--root", store, "-o", out.resolve("big.tar").toString(), ref);

        // load hashes each blob into a scratch file before it is named: an interrupted one leaves none.
        ok("save", "--root", store, "-o", out.resolve("big.tar").toString(), ref);
        Path fresh = tmp.resolve("fresh");
        Files.createDirectories(fresh.resolve("ingest"));
        interruptWhileWriting(fresh.resolve("ingest"), "load", "--root", fresh.toString(), "-i", out.resolve("big.tar").toString());
    }

    /** Runs the command, stops it with SIGTERM once it has written 1 MB into a file in {@code dir}, and checks it left {@code dir} empty. */
    private void interruptWhileWriting(Path dir, String... args) throws Exception {
        Process p = command(List.of(), args)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline && !writing(dir)) Thread.sleep(2);
        assertTrue(writing(dir), args[0] + " is writing");
        p.destroy();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(143, p.exitValue());
        try (var left = Files.list(dir)) {
            assertEquals(List.of(), left.toList(), args[0] + " left nothing half-written");
        }
    }

    /** Whether a file in {@code dir} has more than 1 MB. */
    private static boolean writing(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.anyMatch(f -> f.toFile().length() > 1_000_000);
        }
    }

    private static boolean hasEntries(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) return false;
        try (var s = Files.list(dir)) {
            return s.anyMatch(p -> !p.getFileName().toString().startsWith("."));
        }
    }

    @Test
    void withoutRootUnpackingVerbsSaySoAndChangeNothing() throws Exception {
        ExternalTool.require("setpriv");
        publish("lib/app", 1, 1000, 10);
        Path home = Files.createDirectories(tmp.resolve("nobody"));
        ExternalTool.ok("chown", "65534:65534", home.toString());
        ExternalTool.ok("chmod", "755", tmp.toString());
        Path store = home.resolve("store");
        List<String> asNobody = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "env", "HOME=" + home);
        for (String[] args : List.of(
                new String[] {"pull", "--root", store.toString(), host + "/lib/app:v1"},
                new String[] {"unpack", "--root", store.toString(), host + "/lib/app:v1"},
                new String[] {"mount", "--root", store.toString(), host + "/lib/app:v1", home.toString()})) {
            Run r = strata(asNobody, args);
            assertEquals(1, r.exit(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().lines().count(), "one line: " + r.err());
            assertTrue(r.err().contains("needs root"), r.err());
            assertFalse(Files.exists(store), "nothing was created");
        }
        Run pulled = strata(asNobody, "pull", "--no-unpack", "--root", store.toString(), host + "/lib/app:v1");
        assertEquals(0, pulled.exit(), pulled.err());
        assertTrue(Files.isDirectory(store.resolve("blobs")), "the rest of the client works without root");

        // The default store follows $HOME (nobody's passwd entry says /nonexistent); a store it may not create says so.
        List<String> withHome = List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "env", "-u", "XDG_DATA_HOME", "-u", "STRATA_ROOT", "HOME=" + home);
        Run byHome = strata(withHome, "pull", "--no-unpack", host + "/lib/app:v1");
        assertEquals(0, byHome.exit(), byHome.err());
        assertTrue(Files.isDirectory(home.resolve(".local/share/strata/blobs")), "the store is under $HOME");
        Run denied = strata(withHome, "pull", "--no-unpack", "--root", "/var/lib/strata-nobody", host + "/lib/app:v1");
        assertEquals(1, denied.exit());
        assertEquals("strata: cannot create the store at /var/lib/strata-nobody: permission denied (set --root or STRATA_ROOT)",
                denied.err().strip());
    }
}
