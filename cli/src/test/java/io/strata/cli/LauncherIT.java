package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ./strata launcher as a user runs it, against the jar this build packaged. */
class LauncherIT {
    private static final Path LAUNCHER = Path.of("..", "strata").toAbsolutePath().normalize();

    private static ProcessBuilder strata(Path dir, String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = LAUNCHER.toString();
        System.arraycopy(args, 0, cmd, 1, args.length);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().put("STRATA_NO_BUILD", "1"); // this build just packaged the jar
        pb.environment().remove("JAVA_HOME"); // the launcher must find Java 25 by itself
        return pb;
    }

    @Test
    void clientVerbsStartFromAnAotCacheMadeOncePerJar(@TempDir Path dir) throws Exception {
        Path jar = Path.of("target", "strata.jar").toAbsolutePath();
        Path aot = jar.resolveSibling("strata-local.aot");
        Files.deleteIfExists(aot);
        Process p = strata(dir, "images", "--root", dir.resolve("store").toString()).start();
        assertEquals(0, p.waitFor(), new String(p.getErrorStream().readAllBytes()));
        assertTrue(Files.size(aot) > 0, "the first client verb made the cache");
        assertTrue(Files.getLastModifiedTime(aot).compareTo(Files.getLastModifiedTime(jar)) >= 0, "newer than the jar");
        java.nio.file.attribute.FileTime made = Files.getLastModifiedTime(aot);
        Path loaded = dir.resolve("classes.log");
        // A global option's value before the verb is not taken for the verb (the launcher picks the cache by it).
        ProcessBuilder pb = strata(dir, "--tls-verify", "false", "images", "--root", dir.resolve("store").toString());
        pb.environment().put("STRATA_JAVA_OPTS", "-Xlog:class+load:file=" + loaded);
        Process again = pb.start();
        String out = new String(again.getInputStream().readAllBytes());
        String err = new String(again.getErrorStream().readAllBytes());
        assertEquals(0, again.waitFor(), err);
        assertEquals("", err, "nothing about the cache reaches the user");
        assertTrue(out.startsWith("REPOSITORY"), out);
        assertEquals(made, Files.getLastModifiedTime(aot), "made once, then used");
        // The JVM loads all a cache holds before main: images has a cache of its own (with help),
        // which holds what they use and not what other verbs do (the HTTP client, databind, the registry's).
        List<String> classes = Files.readAllLines(loaded);
        String images = classes.stream().filter(l -> l.contains(" io.strata.cli.ImagesCommand ")).findFirst().orElseThrow();
        assertTrue(images.contains("shared objects file"), "images comes from the cache: " + images);
        for (String other : List.of("jdk.internal.net.http.HttpClientImpl", "com.fasterxml.jackson.databind.ObjectMapper",
                "io.vertx.core.Vertx")) {
            assertFalse(classes.stream().anyMatch(l -> l.contains(" " + other + " ")), other + " was loaded by images");
        }
    }

    @Test
    void versionStartsFromACacheOfItsOwnAndReadsNoAnnotation(@TempDir Path dir) throws Exception {
        Path aot = Path.of("target", "strata-version.aot").toAbsolutePath();
        Files.deleteIfExists(aot);
        Process first = strata(dir, "--version").start();
        assertEquals(0, first.waitFor(), new String(first.getErrorStream().readAllBytes()));
        assertTrue(Files.size(aot) > 0, "--version made its cache");
        Path loaded = dir.resolve("classes.log");
        ProcessBuilder pb = strata(dir, "--version");
        pb.environment().put("STRATA_JAVA_OPTS", "-Xlog:class+load:file=" + loaded);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor());
        assertTrue(out.matches("strata \\S+ \\(Java 25[^)]*\\)\\n"), out);
        List<String> classes = Files.readAllLines(loaded);
        String root = classes.stream().filter(l -> l.contains(" io.strata.cli.Strata ")).findFirst().orElseThrow();
        assertTrue(root.contains("shared objects file"), "the root command comes from the cache: " + root);
        // Reading an annotation makes the JDK generate a proxy class for its type at run time.
        assertFalse(classes.stream().anyMatch(l -> l.contains(" java.lang.reflect.ProxyGenerator ")),
                "--version read an annotation");
        assertFalse(classes.stream().anyMatch(l -> l.contains(" io.strata.oci.")), "--version loaded the image model");
    }

    @Test
    void clientVerbsRunOnTheClientsLibrariesAndTheRegistrysVerbsOnAll(@TempDir Path dir) throws Exception {
        Path target = Path.of("target").toAbsolutePath();
        String classPath;
        try (var jar = new java.util.jar.JarFile(target.resolve("strata.jar").toFile())) {
            classPath = jar.getManifest().getMainAttributes().getValue("Class-Path");
        }
        List<String> client = List.of(classPath.split(" "));
        List<String> server = List.of(Files.readString(target.resolve("server.classpath")).strip().split(":"));
        for (String entry : client) {
            assertTrue(Files.isRegularFile(target.resolve(entry)), entry);
            assertFalse(entry.matches("lib/(vertx|netty|s3-|aws-|micrometer|prometheus|caffeine|snakeyaml).*"), "a registry library: " + entry);
        }
        assertTrue(client.stream().anyMatch(e -> e.startsWith("lib/strata-puller-")), classPath);
        assertTrue(server.containsAll(client), "the registry's class path holds the client's");
        assertTrue(server.stream().anyMatch(e -> e.startsWith("lib/vertx-core-")), server.toString());
        assertTrue(server.size() > client.size() + 20, server.size() + " against " + client.size());
        // Every verb's model is built from the client's class path (help reflects on all of them).
        Process help = strata(dir, "--help").start();
        String out = new String(help.getInputStream().readAllBytes());
        assertEquals(0, help.waitFor(), new String(help.getErrorStream().readAllBytes()));
        assertTrue(out.contains("serve") && out.contains("registry") && out.contains("pull"), out);
    }

    @Test
    void serveStartsFromAnAotCacheOfItsOwnTrainedOnAPush(@TempDir Path dir) throws Exception {
        Path jar = Path.of("target", "strata.jar").toAbsolutePath();
        Path aot = jar.resolveSibling("strata-serve.aot");
        Files.deleteIfExists(aot);
        for (int start = 0; start < 2; start++) {
            Path loaded = dir.resolve("classes-" + start + ".log");
            ProcessBuilder pb = strata(dir, "serve", "--listen", "127.0.0.1:0", "--root", dir.resolve("data").toString());
            pb.environment().put("STRATA_JAVA_OPTS", "-Xlog:class+load:file=" + loaded);
            Process p = pb.start();
            try {
                StringBuffer log = new StringBuffer();
                StringBuilder before = new StringBuilder();
                waitForPort(p, log, before);
                if (start == 0) {
                    assertTrue(before.toString().contains("strata: training the registry's start-up cache (once per build)..."),
                            "the first start says why it takes longer:\n" + before);
                } else {
                    assertFalse(before.toString().contains("training"), "made once, then used:\n" + before);
                }
                assertTrue(Files.size(aot) > 0, "serve made its cache");
                assertTrue(Files.getLastModifiedTime(aot).compareTo(Files.getLastModifiedTime(jar)) >= 0, "newer than the jar");
                // The upload path was trained on, and comes from the cache with the rest of the registry.
                for (String cls : List.of("io.strata.registry.UploadHandler", "io.strata.registry.RequestBody", "io.vertx.core.Vertx")) {
                    String line = Files.readAllLines(loaded).stream().filter(l -> l.contains(" " + cls + " ")).findFirst()
                            .orElseThrow(() -> new AssertionError(cls + " was not loaded"));
                    assertTrue(line.contains("shared objects file"), cls + " comes from the AOT cache: " + line);
                }
            } finally {
                p.toHandle().destroy();
                p.waitFor(60, TimeUnit.SECONDS);
                p.destroyForcibly();
            }
        }
    }

    @Test
    void picocliStartsFromTheCacheAndALibraryNewerThanTheCacheRemakesIt(@TempDir Path dir) throws Exception {
        Path lib;
        try (var libs = Files.list(Path.of("target", "lib"))) {
            lib = libs.filter(f -> f.getFileName().toString().matches("picocli-\\d.*\\.jar")).findFirst().orElseThrow();
        }
        try (var jar = new java.util.jar.JarFile(lib.toFile())) {
            byte[] head = jar.getInputStream(jar.getEntry("picocli/CommandLine.class")).readNBytes(8);
            assertTrue(((head[6] & 0xff) << 8 | (head[7] & 0xff)) >= 52, "the build rewrote picocli's Java 5 classes");
        }
        Path aot = Path.of("target", "strata-local.aot").toAbsolutePath();
        assertEquals(0, strata(dir, "images", "--root", dir.resolve("store").toString()).start().waitFor());
        java.nio.file.attribute.FileTime made = Files.getLastModifiedTime(aot);
        Files.setLastModifiedTime(lib, java.nio.file.attribute.FileTime.fromMillis(made.toMillis() + 2000));
        Path loaded = dir.resolve("classes.log");
        ProcessBuilder pb = strata(dir, "images", "--root", dir.resolve("store").toString());
        pb.environment().put("STRATA_JAVA_OPTS", "-Xlog:class+load:file=" + loaded);
        Process p = pb.start();
        assertEquals(0, p.waitFor(), new String(p.getErrorStream().readAllBytes()));
        assertTrue(Files.getLastModifiedTime(aot).compareTo(made) > 0, "a library newer than the cache made a new one");
        String picocli = Files.readAllLines(loaded).stream().filter(l -> l.contains(" picocli.CommandLine ")).findFirst().orElseThrow();
        assertTrue(picocli.contains("shared objects file"), "picocli comes from the AOT cache: " + picocli);
    }

    @Test
    void theFreshnessCheckFindsAFileNewerThanItsReferenceAnywhereUnderADirectory(@TempDir Path dir) throws Exception {
        // The launcher's own function (it decides whether to build and whether a cache is stale), run by bash.
        Path ref = Files.writeString(dir.resolve("ref"), "");
        Path deep = Files.createDirectories(dir.resolve("src/main/java/io/strata/x"));
        Path file = Files.writeString(deep.resolve("A.java"), "");
        Files.createDirectories(dir.resolve("src/empty"));
        Files.writeString(dir.resolve("src/.hidden"), "");
        java.nio.file.attribute.FileTime t = Files.getLastModifiedTime(ref);
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(t.toMillis() - 60_000));
        Files.setLastModifiedTime(dir.resolve("src/.hidden"), java.nio.file.attribute.FileTime.fromMillis(t.toMillis() + 60_000));
        assertEquals(1, newerThan(dir, "ref", "src", "missing"), "nothing but a dot file is newer");
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(t.toMillis() + 1_000));
        assertEquals(0, newerThan(dir, "ref", "src"), "a file four directories down is newer");
        assertEquals(0, newerThan(dir, "ref", "missing", "src/main/java/io/strata/x/A.java"), "a file named itself");
    }

    /** The exit status of the launcher's newer_than with these arguments, in dir. */
    private static int newerThan(Path dir, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("bash", "-c",
                "set -euo pipefail; source <(sed -n '/^newer_than()/,/^}/p' \"$0\"); newer_than \"$@\"", LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        int rc = p.waitFor();
        assertEquals("", out, "the function prints nothing");
        return rc;
    }

    @Test
    void aPullEndsInItsQuickJvmUnlessItHashesMuchWithTheJdk(@TempDir Path dir) throws Exception {
        io.strata.registry.ExternalTool.require("skopeo");
        try (io.strata.registry.Registry registry = io.strata.registry.Registries.start(dir, "")) {
            String small = "127.0.0.1:" + registry.port() + "/lib/small:v1";
            String large = "127.0.0.1:" + registry.port() + "/lib/large:v1";
            io.strata.oci.Digest smallManifest = io.strata.registry.OciLayouts.write(dir.resolve("small-layout"), "v1", 2, 100_000, 3).manifest();
            // Two layers of 40 MiB: more than QuickJit.HAND_OFF_BYTES.
            io.strata.oci.Digest largeManifest = io.strata.registry.OciLayouts.write(dir.resolve("large-layout"), "v1", 2, 40 << 20, 4).manifest();
            for (String[] image : new String[][] {{"small", small}, {"large", large}}) {
                io.strata.registry.ExternalTool.ok("skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                        "oci:" + dir.resolve(image[0] + "-layout") + ":v1", "docker://" + image[1]);
            }
            String store = dir.resolve("store").toString();
            assertEquals(1, jvmsStarted(dir, "small", smallManifest, "", "pull", "--no-unpack", "--root", store, small),
                    "a pull of 200 kB is done where it started");
            // Without libcrypto's SHA-256 (as on a machine that has none), 80 MiB go to a JVM with the optimising compiler.
            assertEquals(2, jvmsStarted(dir, "jdk-digests", largeManifest, "-Dstrata.jdkDigests=true",
                    "pull", "--no-unpack", "--root", dir.resolve("store-jdk").toString(), large),
                    "a pull of 80 MiB hashed by the JDK runs in a JVM with the optimising compiler");
            assertEquals(1, jvmsStarted(dir, "cold", largeManifest, "", "pull", "--no-unpack", "--root", store, large),
                    "a pull of 80 MiB hashed by libcrypto is done where it started");
            assertEquals(1, jvmsStarted(dir, "warm", largeManifest, "", "pull", "--no-unpack", "--root", store, large),
                    "a pull of what is stored ends where it started");
            // The pull's cache is trained on pulls (from a registry of its own), so its HTTP client is in it.
            Path loaded = dir.resolve("pull-classes.log");
            ProcessBuilder pb = strata(dir, "pull", "--quiet", "--no-unpack", "--root", store, large);
            pb.environment().put("STRATA_JAVA_OPTS", "-Xlog:class+load:file=" + loaded);
            Process p = pb.start();
            assertEquals(0, p.waitFor(), new String(p.getErrorStream().readAllBytes()));
            String http = Files.readAllLines(loaded).stream().filter(l -> l.contains(" jdk.internal.net.http.Http1Response "))
                    .findFirst().orElseThrow();
            assertTrue(http.contains("shared objects file"), "the HTTP exchange comes from the AOT cache: " + http);
        }
    }

    /** Runs the launcher with a log file per JVM it starts, checks the pull's output, and counts the JVMs. */
    private static long jvmsStarted(Path dir, String name, io.strata.oci.Digest expected, String javaOpts, String... args)
            throws Exception {
        Path logs = Files.createDirectories(dir.resolve(name));
        ProcessBuilder pb = strata(dir, args);
        pb.environment().put("STRATA_JAVA_OPTS", javaOpts + " -Xlog:startuptime:file=" + logs + "/jvm-%p.log");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        String err = new String(p.getErrorStream().readAllBytes());
        assertEquals(0, p.waitFor(), "stdout: " + out + "\nstderr: " + err);
        assertEquals(expected.toString(), out.strip(), err);
        try (var files = Files.list(logs)) {
            return files.count();
        }
    }

    @Test
    void printsTheVersion(@TempDir Path dir) throws Exception {
        Process p = strata(dir, "--version").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.matches("strata \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(Java 2[5-9].*\\)"), out);
    }

    @Test
    void serveStartsOnTheDefaultsAndStopsGracefully(@TempDir Path dir) throws Exception {
        Process p = strata(dir, "serve", "--listen", "127.0.0.1:0").start();
        try {
            StringBuffer log = new StringBuffer();
            int port = waitForPort(p, log);
            HttpResponse<String> r = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v2/")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertEquals("registry/2.0", r.headers().firstValue("Docker-Distribution-API-Version").orElse(""));
            assertTrue(Files.isDirectory(dir.resolve("data")), "filesystem storage under ./data by default");
            p.toHandle().destroy(); // SIGTERM; Process.destroy() would also close our end of its pipes
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "stops on SIGTERM");
            assertEquals(143, p.exitValue(), "the JVM's status after SIGTERM and its shutdown hooks");
            Thread.sleep(200);
            assertTrue(log.toString().contains("registry stopped"), "shutdown ran to its end:\n" + log);
            // Logging is set up in code (LogSetup): time, level, logger, message, on stderr.
            assertTrue(log.toString().lines().anyMatch(l -> l.matches(
                    "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO  Registry registry stopped")), log.toString());
        } finally {
            p.destroyForcibly();
        }
    }

    @Test
    void serveLogsOneJsonObjectALineWhenAsked(@TempDir Path dir) throws Exception {
        Path config = Files.writeString(dir.resolve("config.yml"), "log:\n  format: json\n");
        Process p = strata(dir, "serve", "--config", config.toString(), "--listen", "127.0.0.1:0").start();
        try {
            StringBuffer log = new StringBuffer();
            waitForPort(p, log);
            p.toHandle().destroy();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "stops on SIGTERM");
            Thread.sleep(200);
            var json = new com.fasterxml.jackson.databind.ObjectMapper();
            var stopped = log.toString().lines().filter(l -> l.contains("registry stopped")).findFirst().orElseThrow(() -> new AssertionError(log));
            var event = json.readTree(stopped);
            assertEquals("INFO", event.path("level").asText(), stopped);
            assertEquals("registry stopped", event.path("formattedMessage").asText(), stopped);
        } finally {
            p.destroyForcibly();
        }
    }

    private static int waitForPort(Process p, StringBuffer rest) throws IOException {
        return waitForPort(p, rest, new StringBuilder());
    }

    /** Reads the server's stderr until it says where it listens; what came before goes to {@code seen}. */
    private static int waitForPort(Process p, StringBuffer rest, StringBuilder seen) throws IOException {
        Pattern listening = Pattern.compile("listening on [^ ]+:(\\d+)");
        BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream()));
        String line;
        while ((line = err.readLine()) != null) {
            seen.append(line).append('\n');
            Matcher m = listening.matcher(line);
            if (m.find()) {
                Thread.ofVirtual().start(() -> err.lines().forEach(l -> rest.append(l).append('\n')));
                return Integer.parseInt(m.group(1));
            }
        }
        throw new AssertionError("server did not start:\n" + seen);
    }
}
