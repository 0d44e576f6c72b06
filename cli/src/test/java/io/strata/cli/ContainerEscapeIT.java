package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A container that turns its own files into symlinks to the host's, while Strata reads them or
 * before it does, must never make Strata read, list or delete a host file: export of a running
 * container (frozen while it is read, and walked without following links), commit and diff of one
 * that left such links behind.
 */
class ContainerEscapeIT extends ContainerCliTest {
    private static final String SECRET = "HOST-SECRET-c0ffee";

    /** A host directory whose files are named as the container's /x's, each holding the secret. */
    private Path hostDirectory(int files) throws Exception {
        Path host = Files.createDirectories(tmp.resolve("host-secrets"));
        for (int i = 0; i < files; i++) Files.writeString(host.resolve("f" + i), SECRET + "\n");
        return host;
    }

    @Test
    void exportOfARunningContainerSwappingADirectoryForASymlinkNeverReadsTheHost() throws Exception {
        int files = 200;
        Path host = hostDirectory(files);
        // /x is, in turn, a directory of 200 files and a symlink to the host directory holding files of the same names.
        String script = "mkdir /x; i=0; while [ $i -lt " + files + " ]; do echo inside > /x/f$i; i=$((i+1)); done; ln -s " + host + " /y; "
                + "echo ready > /ready; while :; do mv /x /t; mv /y /x; mv /x /y; mv /t /x; done";
        Run started = run("-d", "--name", "swapper", image, "sh", "-c", script);
        assertEquals(0, started.exit(), started.err());
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline && !strata("exec", "--root", store, "swapper", "cat", "/ready").out().contains("ready")) {
            Thread.sleep(100);
        }
        for (int i = 0; i < 25; i++) {
            Path out = tmp.resolve("export-" + i + ".tar");
            Run export = strata("export", "--root", store, "-o", out.toString(), "swapper");
            assertEquals(0, export.exit(), export.err());
            String listing = io.strata.registry.ExternalTool.ok("tar", "-tvf", out.toString());
            byte[] bytes = Files.readAllBytes(out);
            assertFalse(new String(bytes, StandardCharsets.ISO_8859_1).contains(SECRET), "export " + i + " holds a host file's content");
            assertTrue(listing.contains(" x -> " + host) || listing.contains(" t -> " + host) || listing.contains(" y -> " + host),
                    "the symlink is archived as a symlink: " + listing.lines().filter(l -> l.contains(" x") || l.contains(" y")).toList());
        }
        Run ps = strata("ps", "--root", store);
        assertTrue(ps.out().contains("swapper"), "still running, thawed after each export: " + ps.out());
        assertEquals(0, strata("exec", "--root", store, "swapper", "true").exit(), "and answers");
        assertEquals(files, Files.list(host).count(), "the host directory is as it was");
    }

    @Test
    void commitAndDiffOfAContainerThatLinkedAMountPointsParentToTheHostLeaveTheHostAlone() throws Exception {
        // The runtime makes /mnt/vol (the image has no /mnt) to mount the volume on, and commit removes
        // what it made for mounts. Here the container moved /mnt away and made /mnt a symlink to a host
        // directory that holds an empty vol: the commit must not follow the link and delete it.
        Path volume = Files.createDirectories(tmp.resolve("volume"));
        Path host = Files.createDirectories(tmp.resolve("host-dir"));
        Files.createDirectories(host.resolve("vol"));
        Files.writeString(host.resolve("secret"), SECRET + "\n");
        Run r = run("--name", "linker", "-v", volume + ":/mnt/vol", image, "sh", "-c",
                "mv /mnt /mnt.old && ln -s " + host + " /mnt && ln -s " + host + "/secret /data/s");
        assertEquals(0, r.exit(), r.err());
        Run diff = strata("diff", "--root", store, "linker");
        assertEquals(0, diff.exit(), diff.err());
        assertTrue(diff.out().lines().toList().containsAll(List.of("A /mnt", "A /mnt.old", "A /data/s")), diff.out());
        assertFalse(diff.out().contains("secret") || diff.out().contains("/mnt/vol"), "nothing below the link is listed: " + diff.out());
        Run commit = strata("commit", "--root", store, "linker", "local/linked:v1");
        assertEquals(0, commit.exit(), commit.err());
        assertTrue(Files.isDirectory(host.resolve("vol")), "the host's empty directory is still there");
        assertTrue(Files.exists(host.resolve("secret")));
        Path saved = tmp.resolve("linked.tar");
        Run save = strata("save", "--root", store, "-o", saved.toString(), "local/linked:v1");
        assertEquals(0, save.exit(), save.err());
        Path exported = tmp.resolve("linker.tar");
        Run export = strata("export", "--root", store, "-o", exported.toString(), "linker");
        assertEquals(0, export.exit(), export.err());
        String listing = io.strata.registry.ExternalTool.ok("tar", "-tvf", exported.toString());
        assertTrue(listing.contains("mnt -> " + host), listing);
        assertFalse(new String(Files.readAllBytes(exported), StandardCharsets.ISO_8859_1).contains(SECRET), "no host content exported");
        Run linked = strata("run", "--root", store, "--rm", "local/linked:v1", "ls", "/mnt.old");
        assertEquals("vol\n", linked.out(), "the committed image holds the container's change: " + linked.err());
    }
}
