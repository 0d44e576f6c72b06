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
        assertEquals("1.36", p.globalArgs().get("VERSION"));
        assertEquals("debian", p.globalArgs().get("BASE"));
    }

    @Test
    void platformArgsAndFromPlatform() {
        String text = """
                ARG TARGETARCH
                FROM --platform=$BUILDPLATFORM busybox AS tools
                FROM base-${TARGETARCH}${TARGETVARIANT:+-}${TARGETVARIANT} AS final
                FROM --platform=linux/aarch64 busybox AS other
                """;
        io.strata.oci.Platform arm = io.strata.oci.Platform.parse("linux/arm/v7");
        Containerfile file = Containerfile.parse(text, "Containerfile");
        Stages.Plan p = Stages.plan(file, "Containerfile", Map.of(), "final", arm);
        assertEquals("base-arm-v7", p.target().base(), "ARG TARGETARCH before FROM keeps its automatic value");
        assertEquals(arm, p.target().platform(), "a stage without --platform is built for --platform");
        assertEquals(io.strata.oci.Platform.host(), Stages.plan(file, "Containerfile", Map.of(), "tools", arm).target().platform(),
                "$BUILDPLATFORM is this host");
        assertEquals("linux/arm/v7", p.globalArgs().get("TARGETPLATFORM"));
        assertEquals("arm64", plan(text, Map.of(), "other").target().platform().architecture(), "aarch64 is Go's arm64");
        Stages.Plan host = plan(text, Map.of(), "final");
        assertEquals(null, host.target().platform(), "no --platform: none asked for");
        assertEquals(io.strata.oci.Platform.host().architecture(), host.globalArgs().get("TARGETARCH"));
        ParseException bad = assertThrows(ParseException.class, () -> plan("FROM --platform=linux busybox\n", Map.of(), null));
        assertTrue(bad.getMessage().contains("Containerfile:1") && bad.getMessage().contains("platform must be os/arch"), bad.getMessage());
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
