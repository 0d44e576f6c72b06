package io.strata.runner;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.strata.oci.ImageConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** commit --change: Dockerfile instructions applied to the image config. */
class CommitterTest {
    private static final ImageConfig.Config BASE = new ImageConfig.Config(null, null, List.of("PATH=/bin", "A=1"), null,
            List.of("/bin/sh"), null, null, Map.of("keep", "me"), null);

    @Test
    void instructionsChangeTheConfig() {
        ImageConfig.Config c = Committer.apply(BASE, List.of("CMD [\"ls\", \"-l\"]", "ENTRYPOINT /entry.sh", "ENV A=2", "ENV B 3",
                "WORKDIR /srv", "USER app", "LABEL version=\"1.0\"", "EXPOSE 8080", "STOPSIGNAL SIGINT"));
        assertEquals(List.of("ls", "-l"), c.cmd(), "exec form");
        assertEquals(List.of("/bin/sh", "-c", "/entry.sh"), c.entrypoint(), "shell form");
        assertEquals(List.of("PATH=/bin", "A=2", "B=3"), c.env());
        assertEquals("/srv", c.workingDir());
        assertEquals("app", c.user());
        assertEquals(Map.of("keep", "me", "version", "1.0"), c.labels());
        assertEquals(Map.of("8080/tcp", Map.of()), c.exposedPorts());
        assertEquals("SIGINT", c.stopSignal());
        assertEquals(BASE, Committer.apply(BASE, List.of()), "no change, no difference");
    }

    @Test
    void unknownOrMalformedInstructionsAreErrors() {
        assertThrows(IllegalArgumentException.class, () -> Committer.apply(BASE, List.of("RUN rm -rf /")));
        assertThrows(IllegalArgumentException.class, () -> Committer.apply(BASE, List.of("CMD")));
        assertThrows(IllegalArgumentException.class, () -> Committer.apply(BASE, List.of("CMD [\"unclosed\"")));
    }
}
