package io.strata.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** Runs a real client installed from Debian's packages (skopeo, umoci, …). */
public final class ExternalTool {
    private ExternalTool() {}

    /** In CI a missing tool fails the test; elsewhere the test is skipped, with a line on stderr saying so. */
    public static void require(String tool) {
        boolean present = System.getenv("PATH") != null && java.util.Arrays.stream(System.getenv("PATH").split(":"))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)));
        if (present) return;
        String message = tool + " is not installed (apt-get install " + tool + "); .ci/run installs it";
        if ("true".equals(System.getenv("CI"))) throw new AssertionError(message);
        System.err.println("SKIPPED: " + message);
        Assumptions.abort(message);
    }

    /** Mounts, device nodes and trusted.* xattrs need root: in CI (which runs as root) its absence fails the test. */
    public static void requireRoot() {
        if ("root".equals(System.getProperty("user.name"))) return;
        String message = "this test needs root (mounts, device nodes, trusted.* xattrs); CI runs as root";
        if ("true".equals(System.getenv("CI"))) throw new AssertionError(message);
        System.err.println("SKIPPED: " + message);
        Assumptions.abort(message);
    }

    public record Result(int exit, String out, String err) {}

    public static Result run(List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("tool", ".out");
        Path err = Files.createTempFile("tool", ".err");
        Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(command + " timed out");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    /** Runs and asserts success; returns stdout. */
    public static String ok(String... command) throws IOException, InterruptedException {
        Result r = run(new ArrayList<>(List.of(command)));
        assertEquals(0, r.exit(), String.join(" ", command) + "\nstdout: " + r.out() + "\nstderr: " + r.err());
        return r.out();
    }
}
