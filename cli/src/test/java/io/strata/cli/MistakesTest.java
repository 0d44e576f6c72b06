package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A mistyped option or verb: a line saying what is wrong, the verbs a typo away, and where the help is; never the whole usage. */
class MistakesTest {
    private record Said(int exit, List<String> lines) {}

    private static Said strata(String... args) {
        var cl = Strata.commandLine(args);
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int exit = cl.execute(args);
        return new Said(exit, err.toString().lines().toList());
    }

    @Test
    void anUnknownOptionIsOneLineAndWhereTheHelpIs() {
        assertEquals(new Said(125, List.of("Unknown option: '--bogus'", "See 'strata run --help'.")), strata("run", "--bogus", "img"));
        assertEquals(new Said(2, List.of("Unknown option: '--bogus'", "See 'strata ps --help'.")), strata("ps", "--bogus"));
        assertEquals(new Said(2, List.of("Missing required parameter: 'CONTAINER'", "See 'strata stop --help'.")), strata("stop"));
    }

    @Test
    void anUnknownVerbSuggestsOnlyCloseNames() {
        assertEquals(new Said(2, List.of("strata: 'pul' is not a strata command.", "Did you mean: pull?", "See 'strata --help'.")),
                strata("pul", "x"));
        assertEquals(new Said(2, List.of("strata: 'buld' is not a strata command.", "Did you mean: build?", "See 'strata --help'.")),
                strata("buld", "."));
        assertEquals(new Said(2, List.of("strata: 'frobnicate' is not a strata command.", "See 'strata --help'.")), strata("frobnicate", "."),
                "nothing is close to frobnicate (picocli suggested a verb anyway)");
        assertEquals(new Said(2, List.of("strata: 'lss' is not a strata volume command.", "Did you mean: ls?", "See 'strata volume --help'.")),
                strata("volume", "lss"));
    }

    @Test
    void aMalformedTemplateIsAnErrorNotText() {
        Output.checkTemplate("{{.Names}} {{json .Labels}}");
        for (String bad : List.of("{{.Names", "{{.Names}} }}", "x {{")) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Output.check(bad), bad);
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("template: "), e.getMessage());
        }
        Said r = strata("ps", "--root", "/nonexistent-store", "--format", "{{.Names");
        assertEquals(List.of("strata: template: unclosed action in {{.Names"), r.lines());
    }

    @Test
    void editDistance() {
        assertEquals(0, Strata.distance("pull", "pull"));
        assertEquals(1, Strata.distance("pul", "pull"));
        assertEquals(1, Strata.distance("netwrk", "network"));
        assertEquals(3, Strata.distance("build", "kill"));
    }
}
