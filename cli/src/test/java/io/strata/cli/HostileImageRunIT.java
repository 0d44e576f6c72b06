package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.registry.ExternalTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** What an image's own files can make run do: refusals with docker's exit codes, and nothing left behind. */
class HostileImageRunIT extends ContainerCliTest {
    /** A copy of the busybox tree, to change before it is published as {@code name}. */
    private Path variant(String name) throws Exception {
        Path root = tmp.resolve(name);
        ExternalTool.ok("cp", "-a", tmp.resolve("rootfs").toString(), root.toString());
        return root;
    }

    @org.junit.jupiter.api.Test
    void anOversizedEtcPasswdIsRefusedAndTheRunLeavesNothing() throws Exception {
        Path root = variant("bigpasswd");
        try (var out = Files.newBufferedWriter(root.resolve("etc/passwd"))) {
            out.write("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n");
            String filler = "#" + "x".repeat(1023) + "\n";
            for (int i = 0; i < 5 * 1024; i++) out.write(filler); // 5 MiB: more than any user database
        }
        String ref = image.replace("busybox:v1", "bigpasswd:v1");
        publish(root, ref);
        Run r = run("--rm", "-u", "app", ref, "true");
        assertEquals(125, r.exit(), r.err());
        assertTrue(r.err().contains("the image's /etc/passwd is larger than 4 MiB"), r.err());
        assertEquals("", strata("ps", "-a", "-q", "--root", store).out(), "no container left");
        Run snapshots = strata("snapshots", "--root", store);
        assertTrue(snapshots.out().lines().noneMatch(l -> l.contains("Active") || l.contains("active")), "no active snapshot left: " + snapshots.out());
        Run numeric = run("--rm", "-u", "1000", ref, "id", "-u");
        assertEquals(125, numeric.exit(), "a number is looked up too, as docker does: " + numeric.err());
        Run asRoot = run("--rm", ref, "true");
        assertEquals(125, asRoot.exit(), "every run reads the user database, for the home and groups of its user: " + asRoot.err());
        assertTrue(asRoot.err().contains("the image's /etc/passwd is larger than 4 MiB"), asRoot.err());
    }

    @org.junit.jupiter.api.Test
    void aFileWhoseCapabilitiesTheContainerCannotHaveExits126() throws Exception {
        ExternalTool.require("setcap");
        Path root = variant("capped");
        Files.copy(root.resolve("bin/busybox"), root.resolve("bin/capped"), StandardCopyOption.REPLACE_EXISTING);
        // cap_sys_module is outside a container's bounding set: execve refuses the file (EPERM).
        ExternalTool.ok("setcap", "cap_sys_module+ep", root.resolve("bin/capped").toString());
        String ref = image.replace("busybox:v1", "capped:v1");
        publish(root, ref);
        Run r = run("--rm", ref, "/bin/capped", "true");
        assertEquals(126, r.exit(), "docker's code for a command that cannot be invoked: " + r.err());
        assertTrue(r.err().contains("operation not permitted"), r.err());
        assertEquals(0, run("--rm", ref, "/bin/busybox", "true").exit(), "the same file without capabilities runs");
    }
}
