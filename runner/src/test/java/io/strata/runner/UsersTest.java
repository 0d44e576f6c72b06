package io.strata.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** config.md's User forms against an image's own /etc/passwd and /etc/group. */
class UsersTest {
    @TempDir
    Path rootfs;

    @BeforeEach
    void image() throws IOException {
        Files.createDirectories(rootfs.resolve("etc"));
        Files.writeString(rootfs.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
        Files.writeString(rootfs.resolve("etc/group"), "root:x:0:\napp:x:1000:\nwheel:x:10:app,other\naudio:x:29:app\n");
    }

    @Test
    void everyFormOfUser() throws IOException {
        assertEquals(new Users.Ids(0, 0, List.of(0), "/root"), Users.resolve(rootfs, null));
        assertEquals(new Users.Ids(1000, 1000, List.of(1000, 10, 29), "/home/app"), Users.resolve(rootfs, "app"));
        assertEquals(new Users.Ids(1000, 1000, List.of(1000, 10, 29), "/home/app"), Users.resolve(rootfs, "1000"));
        assertEquals(new Users.Ids(1000, 10, List.of(10), "/home/app"), Users.resolve(rootfs, "app:wheel"), "an explicit group drops the others");
        assertEquals(new Users.Ids(1000, 29, List.of(29), "/home/app"), Users.resolve(rootfs, "app:29"));
        assertEquals(new Users.Ids(4242, 4343, List.of(4343), "/"), Users.resolve(rootfs, "4242:4343"), "numeric ids pass through");
        IOException noUser = assertThrows(IOException.class, () -> Users.resolve(rootfs, "nobody"));
        assertTrue(noUser.getMessage().contains("unable to find user nobody"), noUser.getMessage());
        IOException noGroup = assertThrows(IOException.class, () -> Users.resolve(rootfs, "app:nogroup"));
        assertTrue(noGroup.getMessage().contains("unable to find group nogroup"), noGroup.getMessage());
    }

    @Test
    void aPasswdSymlinkIsFollowedInsideTheImageOnly() throws IOException {
        Files.move(rootfs.resolve("etc/passwd"), rootfs.resolve("etc/passwd.real"));
        Files.createSymbolicLink(rootfs.resolve("etc/passwd"), Path.of("/etc/passwd.real"));
        assertEquals(1000, Users.resolve(rootfs, "app").uid(), "the absolute target is the image's /etc/passwd.real");
        Files.delete(rootfs.resolve("etc/passwd"));
        Files.createSymbolicLink(rootfs.resolve("etc/passwd"), Path.of("../../../../../../etc/passwd"));
        // ".." stops at the image's root: this is the image's /etc/passwd again (missing now), never the host's.
        assertThrows(IOException.class, () -> Users.resolve(rootfs, "app"));
    }
}
