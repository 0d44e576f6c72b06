package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.registry.ExternalTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** docker cp's habits both ways, tar streams, ownership, and no way out of the container's root through its symlinks. */
class CpIT extends ContainerCliTest {
    @Test
    void copiesBothWaysAsDockerDoes() throws Exception {
        assertEquals(0, run("-d", "--name", "box", "--network", "none", image, "sleep", "600").exit());
        // Into the container: a file into a directory, a file under a new name, a directory, a directory's contents.
        Path host = Files.createDirectories(tmp.resolve("host"));
        Files.writeString(host.resolve("note.txt"), "note\n");
        Path tree = Files.createDirectories(host.resolve("tree/sub"));
        Files.writeString(tree.resolve("leaf"), "leaf\n");
        assertEquals(0, strata("cp", "--root", store, host.resolve("note.txt").toString(), "box:/tmp").exit());
        assertEquals(0, strata("cp", "--root", store, host.resolve("note.txt").toString(), "box:/tmp/renamed.txt").exit());
        Run dir = strata("cp", "--root", store, host.resolve("tree").toString(), "box:/tmp/copied");
        assertEquals(0, dir.exit(), dir.err());
        assertEquals(0, strata("cp", "--root", store, host.resolve("tree") + "/.", "box:/data").exit());
        Run seen = strata("exec", "--root", store, "box", "sh", "-c",
                "cat /tmp/note.txt /tmp/renamed.txt /tmp/copied/sub/leaf /data/sub/leaf /data/base.txt; ls -n /tmp/note.txt");
        assertTrue(seen.out().startsWith("note\nnote\nleaf\nleaf\nbase\n"), seen.out() + seen.err());
        assertTrue(seen.out().contains(" 0 ") && seen.out().matches("(?s).*\\S+\\s+\\d+\\s+0\\s+0\\s.*"), "root's without -a: " + seen.out());

        // Out of it: a file, a directory under a new name, and a tar stream.
        Path out = Files.createDirectories(tmp.resolve("out"));
        assertEquals(0, strata("cp", "--root", store, "box:/data/base.txt", out.toString()).exit());
        assertEquals("base\n", Files.readString(out.resolve("base.txt")));
        assertEquals(0, strata("cp", "--root", store, "box:/tmp/copied", out.resolve("again").toString()).exit());
        assertEquals("leaf\n", Files.readString(out.resolve("again/sub/leaf")));
        Path script = Files.writeString(tmp.resolve("stream.sh"), "STRATA_NO_BUILD=1 " + LAUNCHER + " cp --root " + store
                + " box:/tmp/copied - | tar -t | sort\n");
        var listed = ExternalTool.run(List.of("sh", script.toString()));
        assertEquals("copied/\ncopied/sub/\ncopied/sub/leaf\n", listed.out(), listed.err());
        // A tar from stdin, unpacked into a directory of the container.
        Path in = Files.writeString(tmp.resolve("in.sh"), "tar -C " + host + " -c note.txt | STRATA_NO_BUILD=1 " + LAUNCHER + " cp --root " + store
                + " - box:/home/app\n");
        assertEquals(0, ExternalTool.run(List.of("sh", in.toString())).exit());
        assertEquals("note\n", strata("exec", "--root", store, "box", "cat", "/home/app/note.txt").out());

        // A .wh. name would delete what it names (and be read as a deletion once committed): refused, nothing deleted.
        Files.writeString(host.resolve(".wh.base.txt"), "");
        Run whiteout = strata("cp", "--root", store, host.resolve(".wh.base.txt").toString(), "box:/data");
        assertEquals(1, whiteout.exit());
        assertTrue(whiteout.err().contains("a name starting with .wh. marks a deletion in an image layer"), whiteout.err());
        assertEquals("base\n", strata("exec", "--root", store, "box", "cat", "/data/base.txt").out());

        Run missing = strata("cp", "--root", store, "box:/nope", out.toString());
        assertEquals(1, missing.exit());
        assertEquals("strata: no such file or directory in container box: /nope\n", missing.err());
        Run neither = strata("cp", "--root", store, host.toString(), out.toString());
        assertTrue(neither.err().startsWith("strata: one of SRC and DEST must be CONTAINER:PATH"), neither.err());
        assertEquals(0, strata("rm", "-f", "--root", store, "box").exit());
    }

    @Test
    void theContainersSymlinksNeverLeadToTheHost() throws Exception {
        Path secret = Files.createDirectories(tmp.resolve("secret"));
        Files.writeString(secret.resolve("key"), "host secret\n");
        // Links the container made to the host's absolute paths: they resolve inside its root, as the container sees them.
        assertEquals(0, run("-d", "--name", "linker", "--network", "none", image, "sh", "-c",
                "ln -s " + secret + " /tmp/out; ln -s " + secret + "/key /tmp/key; sleep 600").exit());
        Thread.sleep(500);
        Run read = strata("cp", "--root", store, "linker:/tmp/key/.", tmp.resolve("got").toString());
        assertFalse(Files.exists(tmp.resolve("got/key")) && Files.readString(tmp.resolve("got/key")).contains("host secret"), read.out() + read.err());
        Run readLink = strata("cp", "--root", store, "linker:/tmp/key", tmp.resolve("link").toString());
        assertEquals(0, readLink.exit(), "the link itself is copied, as docker copies it: " + readLink.err());
        assertTrue(Files.isSymbolicLink(tmp.resolve("link")));
        Path note = Files.writeString(tmp.resolve("planted"), "planted\n");
        Run write = strata("cp", "--root", store, note.toString(), "linker:/tmp/out/");
        assertEquals(1, write.exit(), "the host's directory is not the container's /tmp/out: " + write.err());
        assertFalse(Files.exists(secret.resolve("planted")), "nothing written on the host through the link");
        assertEquals(List.of("key"), Files.list(secret).map(p -> p.getFileName().toString()).toList());
        assertEquals(0, strata("rm", "-f", "--root", store, "linker").exit());
    }
}
