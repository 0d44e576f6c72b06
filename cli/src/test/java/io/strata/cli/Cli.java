package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** ./strata as a user runs it: in a directory of its own, with its own config dirs, and strata serve beside it. */
final class Cli {
    static final Path LAUNCHER = Path.of("..", "strata").toAbsolutePath().normalize();

    record Run(int exit, String out, String err, long millis) {}

    private final Path dir;
    final Map<String, String> env = new HashMap<>();

    Cli(Path dir) {
        this.dir = dir;
        env.put("STRATA_NO_BUILD", "1");
        env.put("XDG_CONFIG_HOME", dir.resolve("config").toString());
        env.put("DOCKER_CONFIG", dir.resolve("docker").toString());
    }

    Run run(String stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().putAll(env);
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        long start = System.nanoTime();
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try (var in = p.getOutputStream()) {
            if (stdin != null) in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), String.join(" ", args));
        long millis = (System.nanoTime() - start) / 1_000_000;
        Run r = new Run(p.exitValue(), Files.readString(out), Files.readString(err), millis);
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    /** Starts a verb and returns at once; its stderr goes to {@code err}. */
    Process start(Path err, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile());
        pb.environment().putAll(env);
        return pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(err.toFile()).start();
    }

    Run ok(String... args) throws Exception {
        Run r = run(null, args);
        assertEquals(0, r.exit(), String.join(" ", args) + "\n" + r.err());
        return r;
    }

    /** A failure: exit 1 and one "strata: " line, which is returned. */
    String fails(String... args) throws Exception {
        Run r = run(null, args);
        assertEquals(1, r.exit(), String.join(" ", args) + " should fail\n" + r.out() + r.err());
        // The launcher's notes of what it prepares ("strata: training ...") are not errors.
        List<String> lines = r.err().lines().filter(l -> l.startsWith("strata: ") && !l.endsWith("...")).toList();
        assertEquals(1, lines.size(), "one error line: " + r.err());
        return lines.getFirst();
    }

    /** strata serve on a free port; {@code env} adds settings (STRATA_TLS_CERT...). */
    Server serve(Path root, String listenHost, Map<String, String> extraEnv) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(LAUNCHER.toString(), "serve", "--listen", listenHost + ":0", "--root", root.toString())
                .directory(dir.toFile());
        pb.environment().putAll(env);
        pb.environment().putAll(extraEnv);
        Path log = Files.createTempFile(dir, "server", ".log");
        Process p = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(log.toFile()).start();
        return new Server(p, port(log), log);
    }

    record Server(Process process, int port, Path log) implements AutoCloseable {
        @Override
        public void close() throws Exception {
            process.destroy();
            process.waitFor(30, TimeUnit.SECONDS);
            // What the server said about failures goes into the test's report, where a failure is read.
            String text = Files.readString(log);
            if (text.contains(" ERROR ") || text.contains(" WARN ")) System.err.println("server log " + log + ":\n" + text);
        }
    }

    static int port(Path log) throws Exception {
        Pattern listening = Pattern.compile("listening on [^ ]+:(\\d+)");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            if (Files.exists(log)) {
                Matcher m = listening.matcher(Files.readString(log));
                if (m.find()) return Integer.parseInt(m.group(1));
            }
            Thread.sleep(100);
        }
        throw new AssertionError("server did not start: " + (Files.exists(log) ? Files.readString(log) : ""));
    }
}
