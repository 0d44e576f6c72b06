package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.registry.ExternalTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's tour, every command block between its tour markers in order, run as one shell
 * session from the repository's root, as a user pasting them would: a fresh store (STRATA_ROOT) and
 * a fresh registry. Two things are changed, so that it never meets another registry or another run:
 * the port (a free one for 5000, given to the registry as STRATA_LISTEN) and the tour's directory
 * (a temporary one for /tmp/strata-tour). Any failing command fails the test.
 */
class ReadmeTourIT {
    @TempDir
    Path tmp;

    @Test
    void theTourRunsAsWritten() throws Exception {
        ExternalTool.requireRoot();
        for (String tool : List.of("busybox", "curl", "runc", "conmon", "tar")) ExternalTool.require(tool);
        Path repo = DocsTest.REPO;
        String readme = Files.readString(repo.resolve("README.md"));
        int from = readme.indexOf("<!-- tour -->");
        int to = readme.indexOf("<!-- /tour -->");
        assertTrue(from >= 0 && to > from, "the README marks its tour");
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("```sh\n(.*?)```", Pattern.DOTALL).matcher(readme.substring(from, to));
        while (m.find()) blocks.add(m.group(1));
        assertTrue(blocks.size() >= 5, "the tour's blocks: " + blocks.size());

        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path dir = tmp.resolve("tour");
        StringBuilder script = new StringBuilder("set -euo pipefail\n");
        for (int i = 0; i < blocks.size(); i++) {
            script.append("echo '>>> block ").append(i + 1).append("' >&2\n")
                    .append(blocks.get(i).replace("localhost:5000", "localhost:" + port).replace("/tmp/strata-tour", dir.toString()));
        }
        Path file = Files.writeString(tmp.resolve("tour.sh"), script);
        ProcessBuilder pb = new ProcessBuilder("timeout", "600", "bash", file.toString()).directory(repo.toFile());
        pb.environment().put("STRATA_NO_BUILD", "1");
        pb.environment().put("STRATA_ROOT", tmp.resolve("store").toString());
        pb.environment().put("STRATA_LISTEN", "127.0.0.1:" + port);
        Path out = tmp.resolve("out.txt");
        Path err = tmp.resolve("err.txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        try {
            assertTrue(p.waitFor(11, TimeUnit.MINUTES), "the tour ends");
            String said = Files.readString(out);
            assertEquals(0, p.exitValue(), "the tour failed; stdout:\n" + said + "\nstderr:\n" + Files.readString(err));
            assertTrue(said.contains("hello from strata\n"), "the image's command ran: " + said);
            assertTrue(said.contains("made by strata build\n"), "the built image ran: " + said);
            assertTrue(said.contains("A /greeting"), "diff shows the change: " + said);
            assertTrue(said.contains("changed\n"), "the committed image has it: " + said);
        } finally {
            p.destroyForcibly();
            // A tour that failed half-way leaves its registry and container: never past the test.
            ExternalTool.run(List.of("pkill", "-f", "serve --root " + dir));
            ProcessBuilder rm = new ProcessBuilder(DocsTest.REPO.resolve("strata").toString(), "rm", "-f", "tour").redirectErrorStream(true);
            rm.environment().put("STRATA_NO_BUILD", "1");
            rm.environment().put("STRATA_ROOT", tmp.resolve("store").toString());
            rm.redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(2, TimeUnit.MINUTES);
        }
    }
}
