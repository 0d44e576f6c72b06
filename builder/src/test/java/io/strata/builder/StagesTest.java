package io.strata.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which stages a build needs, and the ARGs FROM lines see. */
class StagesTest {
    private static final String MULTI = """
            ARG VERSION=1.0
            ARG BASE
            FROM busybox:${VERSION} AS deps
            RUN echo deps
            FROM deps AS build
            COPY --from=deps /a /b
            FROM busybox AS unrelated
            RUN echo never needed by final
            FROM scratch AS tools
            FROM ${BASE:-alpine} AS final
            COPY --from=build /b /c
            RUN --mount=type=bind,from=tools,target=/t true
            """;

    private static Stages.Plan plan(String text, Map<String, String> args, String target) {
        return Stages.plan(Containerfile.parse(text, "Containerfile"), "Containerfile", args, target);
    }

    private static List<String> names(Stages.Plan p) {
        return p.stages().stream().map(Stages.Stage::name).toList();
    }

    @Test
    void onlyWhatTheTargetNeedsInOrder() {
        Stages.Plan p = plan(MULTI, Map.of(), null);
        assertEquals(List.of("deps", "build", "tools", "final"), names(p), "unrelated is not built");
        assertEquals("busybox:1.0", p.stages().getFirst().base());
        assertEquals("alpine", p.target().base());
        assertEquals(List.of("deps", "build"), names(plan(MULTI, Map.of(), "build")));
        assertEquals(List.of("unrelated"), names(plan(MULTI, Map.of(), "UNRELATED")), "stage names are case-insensitive");
    }

    @Test
    void buildArgsOverrideTheDefaultsFromLinesSee() {
        Stages.Plan p = plan(MULTI, Map.of("VERSION", "1.36", "BASE", "debian"), null);
        assertEquals("busybox:1.36", p.stages().getFirst().base());
        assertEquals("debian", p.target().base());
        assertEquals(Map.of("VERSION", "1.36", "BASE", "debian"), p.globalArgs());
    }

    @Test
    void stagesAreNamedByIndexToo() {
        Stages.Plan p = plan("FROM busybox\nRUN a\nFROM busybox\nCOPY --from=0 /x /y\n", Map.of(), null);
        assertEquals(2, p.stages().size());
        assertTrue(Stages.stageNamed(p.stages(), "0", 1).isPresent());
        assertTrue(Stages.stageNamed(p.stages(), "docker.io/library/busybox", 1).isEmpty(), "anything else is an image");
    }

    @Test
    void mistakes() {
        assertTrue(assertThrows(ParseException.class, () -> plan("RUN x\nFROM a\n", Map.of(), null)).getMessage()
                .contains("only ARG may come before the first FROM, found RUN"));
        assertTrue(assertThrows(ParseException.class, () -> plan("ARG A\n", Map.of(), null)).getMessage().contains("no FROM"));
        assertTrue(assertThrows(ParseException.class, () -> plan("FROM a AS x\nFROM b AS x\n", Map.of(), null)).getMessage()
                .contains("used twice"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> plan(MULTI, Map.of(), "nope")).getMessage()
                .startsWith("no stage named nope"));
        assertTrue(assertThrows(ParseException.class, () -> plan("ARG B\nFROM ${B}\n", Map.of(), null)).getMessage().contains("names no image"));
    }
}
