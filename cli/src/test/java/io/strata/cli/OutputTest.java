package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OutputTest {
    private static final Map<String, Object> IMAGE = Output.fields("digest", "sha256:ab", "created_by", "RUN x",
            "config", Output.fields("architecture", "amd64", "Labels", Map.of("a", "b")), "size", 5L, "gone", null);

    @Test
    void templatesReadFieldsByTheirKeysOrAsGoSpellsThem() {
        assertEquals("sha256:ab RUN x amd64", Output.render("{{.digest}} {{.CreatedBy}} {{ .Config.Architecture }}", IMAGE));
        assertEquals("{\"a\":\"b\"} 5 <no value>", Output.render("{{json .config.Labels}} {{.size}} {{.gone}}", IMAGE));
        assertEquals("plain", Output.render("plain", IMAGE));
    }

    @Test
    void templateMistakesAreErrorsThatNameTheField() {
        var e = assertThrows(IllegalArgumentException.class, () -> Output.render("{{.Nope}}", IMAGE));
        assertEquals("template: no field Nope in .Nope (fields: digest, created_by, config, size, gone)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Output.render("{{.size.x}}", IMAGE));
        assertThrows(IllegalArgumentException.class, () -> Output.render("{{range .x}}", IMAGE));
    }

    @Test
    void unknownFormatsAreRefused() {
        Output.check(null);
        Output.check("table");
        Output.check("json");
        Output.check("{{.ID}}");
        assertThrows(IllegalArgumentException.class, () -> Output.check("yaml"));
        assertThrows(IllegalArgumentException.class, () -> Output.check("JSON"));
    }

    @Test
    void sizesAsDockerPrintsThem() {
        assertEquals(List.of("0B", "999B", "1kB", "1.5kB", "48.7MB", "123MB", "1.07GB"),
                List.of(Output.size(0), Output.size(999), Output.size(1000), Output.size(1500), Output.size(48_700_000),
                        Output.size(123_456_789), Output.size(1L << 30)));
    }

    @Test
    void timesAsDockerSaysThem() {
        Instant now = Instant.parse("2026-11-23T12:00:00Z");
        assertEquals("30 seconds ago", Output.ago(now.minusSeconds(30), now));
        assertEquals("About a minute ago", Output.ago(now.minusSeconds(90), now));
        assertEquals("About an hour ago", Output.ago(now.minusSeconds(3600), now));
        assertEquals("5 hours ago", Output.ago(now.minusSeconds(5 * 3600), now));
        assertEquals("2 days ago", Output.ago(now.minusSeconds(2 * 86400), now));
        assertEquals("3 weeks ago", Output.ago(now.minusSeconds(21 * 86400), now));
        assertEquals("2 years ago", Output.ago(now.minusSeconds(800 * 86400), now));
    }
}
