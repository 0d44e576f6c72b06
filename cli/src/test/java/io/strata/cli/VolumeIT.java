package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.strata.oci.ImageJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Volumes as docker users keep data: named, filled from the image, outliving containers; anonymous for VOLUME; tmpfs. */
class VolumeIT extends ContainerCliTest {
    private Run volume(String... args) throws Exception {
        List<String> all = new java.util.ArrayList<>(List.of("volume"));
        all.addAll(List.of(args));
        all.addAll(List.of("--root", store));
        return strata(all.toArray(String[]::new));
    }

    @Test
    void aNamedVolumeIsFilledFromTheImageAndOutlivesItsContainers() throws Exception {
        Run first = run("--rm", "-v", "appdata:/data", image, "sh", "-c", "cat /data/base.txt; echo written > /data/new.txt");
        assertEquals(0, first.exit(), first.err());
        assertEquals("base\n", first.out(), "made on first use and filled from the image's /data");
        Run second = run("--rm", "-v", "appdata:/mnt:ro", image, "sh", "-c", "cat /mnt/new.txt; touch /mnt/x 2>/dev/null || echo read-only");
        assertEquals("written\nread-only\n", second.out(), "the next container sees what the first wrote: " + second.err());
        Run mount = run("--rm", "--mount", "type=volume,source=appdata,target=/v", image, "cat", "/v/new.txt");
        assertEquals("written\n", mount.out(), mount.err());
        Run ls = volume("ls");
        assertEquals(List.of("DRIVER   VOLUME NAME", "local    appdata"), ls.out().lines().toList());
        JsonNode inspected = ImageJson.plain().readTree(volume("inspect", "appdata").out()).path(0);
        assertEquals("appdata", inspected.path("Name").asText());
        assertEquals("local", inspected.path("Driver").asText());
        assertTrue(Files.isRegularFile(Path.of(inspected.path("Mountpoint").asText()).resolve("new.txt")), inspected.toString());

        assertEquals(0, run("--name", "holder", "-v", "appdata:/data", image, "true").exit());
        Run inUse = volume("rm", "appdata");
        assertEquals(1, inUse.exit());
        assertTrue(inUse.err().startsWith("strata: volume appdata is in use by container "), inUse.err());
        assertEquals(0, strata("rm", "--root", store, "holder").exit());
        assertEquals("appdata\n", volume("rm", "appdata").out());
        assertEquals("strata: no such volume: appdata\n", volume("rm", "appdata").err());
    }

    @Test
    void createListPruneAndBadNames() throws Exception {
        assertEquals("kept\n", volume("create", "--label", "team=a", "kept").out());
        Run again = volume("create", "kept");
        assertEquals(1, again.exit());
        assertEquals("strata: volume kept already exists\n", again.err());
        assertEquals("strata: invalid volume name ../x: letters, digits, _ . - (starting with a letter or digit)\n", volume("create", "../x").err());
        assertEquals("a\n", ImageJson.plain().readTree(volume("inspect", "kept").out()).path(0).path("Labels").path("team").asText() + "\n");
        assertEquals(0, volume("create", "unused").exit());
        assertEquals(0, run("--name", "user", "-v", "kept:/k", image, "true").exit());
        Run prune = volume("prune", "-f");
        assertEquals("unused\n", prune.out(), "only what no container uses: " + prune.err());
        assertEquals(List.of("kept"), volume("ls", "-q").out().lines().toList());
        Run badVolume = run("--rm", "-v", "bad name:/x", image, "true");
        assertEquals(125, badVolume.exit());
        assertTrue(badVolume.err().startsWith("strata: invalid volume name bad name"), badVolume.err());
    }

    @Test
    void theImagesVolumePathsGetAnonymousVolumesThatRmMinusVRemoves() throws Exception {
        String declaring = image.replace("busybox:v1", "declaring:v1");
        publish(tmp.resolve("rootfs"), declaring, null, Map.of("/data", Map.of()));
        Run r = run("--name", "anon", declaring, "sh", "-c", "cat /data/base.txt; echo mine > /data/mine");
        assertEquals("base\n", r.out(), r.err());
        List<String> volumes = volume("ls", "-q").out().lines().toList();
        assertEquals(1, volumes.size(), "one anonymous volume: " + volumes);
        assertTrue(volumes.getFirst().matches("[0-9a-f]{64}"), volumes.getFirst());
        Path data = Path.of(ImageJson.plain().readTree(volume("inspect", volumes.getFirst()).out()).path(0).path("Mountpoint").asText());
        assertEquals("mine\n", Files.readString(data.resolve("mine")));
        Run withNamed = run("--rm", "-v", "over:/data", declaring, "true");
        assertEquals(0, withNamed.exit());
        assertEquals(2, volume("ls", "-q").out().lines().count(), "a -v on the VOLUME path takes its place: no second anonymous volume");
        assertEquals(0, strata("rm", "-v", "--root", store, "anon").exit());
        assertEquals(List.of("over"), volume("ls", "-q").out().lines().toList(), "rm -v removed the anonymous one only");
        assertFalse(Files.exists(data));
    }

    @Test
    void tmpfsMountsAreTheirOwn() throws Exception {
        Run r = run("--rm", "--tmpfs", "/scratch:size=1m,mode=1777", "--mount", "type=tmpfs,target=/t2,tmpfs-size=2m", image, "sh", "-c",
                "cat /proc/mounts; echo x > /scratch/f && cat /scratch/f");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("tmpfs /scratch tmpfs ") && l.contains("size=1024k") && l.contains("noexec")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("tmpfs /t2 tmpfs ") && l.contains("size=2048k")), r.out());
        assertTrue(r.out().endsWith("x\n"), r.out());
        Run bad = run("--rm", "--tmpfs", "/x:size=1m,bogus", image, "true");
        assertEquals(125, bad.exit());
        assertTrue(bad.err().startsWith("strata: unsupported tmpfs option bogus"), bad.err());
    }
}
