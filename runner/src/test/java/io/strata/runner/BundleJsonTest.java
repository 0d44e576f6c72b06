package io.strata.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.oci.ImageJson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The files a container's start writes with jackson-core's generator: container.json and the runtime's config.json. */
class BundleJsonTest {
    @Test
    void containerRecordsReadBackAndOldOnesStillRead() throws Exception {
        Container running = new Container("0123456789abcdef", "web", "docker.io/library/app:v1", "sha256:ab",
                List.of("/bin/sh", "-c", "echo \"hi\""), "2026-12-03T00:00:00Z", Container.Status.RUNNING, null, null,
                "snap-1", "crun", 4242L, true, true, "2026-12-03T00:00:01Z");
        Container exited = running.with(Container.Status.EXITED, 137, "2026-12-03T00:01:00Z");
        for (Container c : List.of(running, exited, new Container("id", "n", "i", null, null, null, Container.Status.CREATED,
                null, null, null, null, null, false, false, null))) {
            assertEquals(c, Container.parse(c.toJson(), "test"));
            // What databind wrote before this store format was written by hand.
            byte[] old = ImageJson.plain().writerWithDefaultPrettyPrinter().writeValueAsBytes(c);
            assertEquals(c, Container.parse(old, "test"));
            assertEquals(ImageJson.plain().readTree(old), ImageJson.plain().readTree(c.toJson()));
            // ps's rows and templates: the members and values databind made of the record, printed alike.
            assertEquals(ImageJson.plain().writeValueAsString(c),
                    new String(io.strata.oci.JsonOut.tree(false, c.members()), StandardCharsets.UTF_8));
            assertEquals(ImageJson.plain().convertValue(c, java.util.LinkedHashMap.class).keySet(), c.members().keySet());
        }
    }

    @Test
    void configHoldsWhatTheRuntimeIsToDo(@TempDir Path dir) throws Exception {
        Users.Ids user = new Users.Ids(1000, 100, List.of(5, 27), "/home/u");
        RunSpec plain = new RunSpec(List.of("/bin/sh", "-c", "true"), List.of("PATH=/bin"), "/", user, false, null, "box",
                RunSpec.Network.NONE, List.of(new RunSpec.Bind("/srv", "/data", true)), false, null, null, null, null, null, null, null);
        JsonNode c = ImageJson.plain().readTree(Bundle.config(dir, plain, "/strata/x", Networking.netns("x")));
        assertEquals("/strata/x", c.path("linux").path("cgroupsPath").asText());
        assertEquals(List.of("/bin/sh", "-c", "true"), strings(c.path("process").path("args")));
        assertEquals(List.of(5, 27), List.of(c.path("process").path("user").path("additionalGids").get(0).asInt(),
                c.path("process").path("user").path("additionalGids").get(1).asInt()));
        assertEquals(Capabilities.DEFAULT, strings(c.path("process").path("capabilities").path("bounding")));
        List<String> destinations = new ArrayList<>();
        c.path("mounts").forEach(m -> destinations.add(m.path("destination").asText()));
        assertEquals(List.of("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup",
                "/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/data"), destinations);
        assertEquals(List.of("rbind", "ro"), strings(c.path("mounts").get(10).path("options")));
        assertEquals(List.of("pid", "ipc", "uts", "mount", "network"), c.path("linux").path("namespaces").findValuesAsText("type"));
        assertFalse(c.path("process").has("consoleSize"));
        JsonNode resources = c.path("linux").path("resources");
        assertFalse(resources.has("memory") || resources.has("cpu") || resources.has("pids"), resources.toString());
        assertFalse(resources.path("devices").get(0).path("allow").asBoolean(true));

        // What exec, the command check and unmounting read back.
        java.nio.file.Files.write(dir.resolve("config.json"), Bundle.config(dir, plain, "/strata/x", Networking.netns("x")));
        Bundle.Written back = Bundle.read(dir);
        assertEquals(List.of("PATH=/bin"), back.env());
        assertEquals("/", back.cwd());
        assertEquals(new Users.Ids(1000, 100, List.of(5, 27), null), back.user());
        assertEquals(destinations, back.mountpoints());
        Bundle.Mount data = back.mounts().getLast();
        assertEquals(List.of("/data", "bind", "/srv"), List.of(data.destination(), data.type(), data.source()));
        assertTrue(data.isBind() && !back.mounts().getFirst().isBind(), "proc is no bind");

        RunSpec limited = new RunSpec(List.of("top"), List.of(), "/", user, true, new int[] {40, 120}, "box",
                RunSpec.Network.HOST, List.of(), true, 64L << 20, 1.5, 100L, null, null, null, null);
        JsonNode l = ImageJson.plain().readTree(new String(Bundle.config(dir, limited, "/strata/y", Networking.netns("y")), StandardCharsets.UTF_8));
        assertEquals(40, l.path("process").path("consoleSize").path("height").asInt());
        assertEquals(64L << 20, l.path("linux").path("resources").path("memory").path("swap").asLong());
        assertEquals(150_000, l.path("linux").path("resources").path("cpu").path("quota").asLong());
        assertEquals(100, l.path("linux").path("resources").path("pids").path("limit").asLong());
        assertTrue(l.path("root").path("readonly").asBoolean());
        assertFalse(l.path("linux").path("namespaces").findValuesAsText("type").contains("network"));
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
