package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Two habits docker users rely on: stdin reaches a container only with -i, and -e VAR of an unset VAR sets nothing. */
class StdinEnvIT extends ContainerCliTest {
    @Test
    void stdinIsForwardedOnlyWithMinusI() throws Exception {
        assertEquals(0, run("--rm", image, "true").exit(), "pulled first");
        // A run inside a `while read` loop must not eat the loop's input.
        Path script = Files.writeString(tmp.resolve("loop.sh"), "printf 'one\\ntwo\\nthree\\n' | while read l; do STRATA_NO_BUILD=1 "
                + LAUNCHER + " run --root " + store + " --rm " + image + " true; echo $l; done\n");
        var loop = io.strata.registry.ExternalTool.run(List.of("sh", script.toString()));
        assertEquals("one\ntwo\nthree\n", loop.out(), loop.err());
        Path withI = Files.writeString(tmp.resolve("i.sh"), "printf 'piped\\n' | STRATA_NO_BUILD=1 " + LAUNCHER + " run --root " + store
                + " --rm -i " + image + " cat\n");
        var i = io.strata.registry.ExternalTool.run(List.of("sh", withI.toString()));
        assertEquals("piped\n", i.out(), "with -i the container reads it: " + i.err());
    }

    @Test
    void saveAndExportWriteToAPipeAndLoadReadsOne() throws Exception {
        assertEquals(0, run("--name", "exported", image, "true").exit());
        String other = tmp.resolve("other").toString();
        Path pipe = Files.writeString(tmp.resolve("pipe.sh"), "export STRATA_NO_BUILD=1; " + LAUNCHER + " save --root " + store + " " + image
                + " | " + LAUNCHER + " load --root " + other + " && " + LAUNCHER + " export --root " + store + " exported | tar -t | grep -c '^data/base.txt$'\n");
        var r = io.strata.registry.ExternalTool.run(List.of("sh", pipe.toString()));
        assertEquals("Loaded image: " + image + "\n1\n", r.out(), r.err());
        assertEquals(0, strata("rm", "--root", store, "exported").exit());
    }

    @Test
    void aBareVariableUnsetOnTheHostStaysUnset() throws Exception {
        Path envFile = Files.writeString(tmp.resolve("env"), "FROM_FILE_UNSET\nFROM_FILE=x\n");
        Run r = run("--rm", "-e", "STRATA_TEST_SURELY_UNSET", "-e", "PATH", "--env-file", envFile.toString(), image, "sh", "-c",
                "echo ${STRATA_TEST_SURELY_UNSET-unset} ${FROM_FILE_UNSET-unset} $FROM_FILE; env | grep -c '^PATH='");
        assertEquals(0, r.exit(), r.err());
        assertEquals("unset unset x\n1\n", r.out(), "an unset variable is not set to empty, as docker's -e VAR");
    }
}
