package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;

/** What --help shows: every verb, option and parameter says what it is for; local verbs take no network options. */
class HelpTest {
    private static final Set<String> NETWORK = Set.of("--insecure", "--tls-verify");
    private static final Set<String> REMOTE_VERBS = Set.of("pull", "push", "login", "run", "create", "build", "inspect", "tags", "digest", "catalog",
            "delete", "copy", "sync", "discover");

    @Test
    void everyEntryHasADescription() {
        List<String> missing = new ArrayList<>();
        CommandLine root = Strata.commandLine();
        check(root.getCommandSpec(), missing);
        for (CommandLine sub : root.getSubcommands().values()) check(sub.getCommandSpec(), missing);
        assertEquals(List.of(), missing);
    }

    private static void check(CommandSpec spec, List<String> missing) {
        if (spec.usageMessage().hidden()) return;
        if (spec.usageMessage().description().length == 0) missing.add(spec.qualifiedName());
        for (ArgSpec a : spec.args()) {
            if (a.hidden()) continue;
            String[] d = a.description();
            if (d.length == 0 || String.join("", d).isBlank()) missing.add(spec.qualifiedName() + " " + a.paramLabel()
                    + (a.isOption() ? " (" + ((CommandLine.Model.OptionSpec) a).longestName() + ")" : ""));
        }
    }

    @Test
    void onlyVerbsThatReachRegistriesListNetworkOptions() {
        CommandLine root = Strata.commandLine();
        int checked = 0;
        for (var e : root.getSubcommands().entrySet()) {
            boolean network = e.getValue().getCommandSpec().options().stream().anyMatch(o -> NETWORK.contains(o.longestName()));
            assertEquals(REMOTE_VERBS.contains(e.getKey()), network, e.getKey());
            checked++;
        }
        assertTrue(checked > 30, "all verbs were looked at: " + checked);
    }

    @Test
    void theListOfVerbsBuiltWithoutTheirOptionsReadsAsTheOneBuiltWithThem() {
        String full = Strata.commandLine().getUsageMessage(CommandLine.Help.Ansi.OFF);
        for (String[] args : List.of(new String[0], new String[] {"--help"}, new String[] {"-h"})) {
            CommandLine listed = Strata.commandLine(args);
            assertEquals(full, listed.getUsageMessage(CommandLine.Help.Ansi.OFF), String.join(" ", args));
            assertTrue(listed.getSubcommands().get("pull").getCommandSpec().options().isEmpty(), "pull's options were not built");
        }
        assertTrue(full.contains("pull") && full.contains("serve"), full);
    }

    @Test
    void helpOfAVerbBuildsThatVerbsOptionsAndPrintsWhatItsOwnHelpPrints() {
        String[] args = {"help", "pull"};
        java.io.StringWriter out = new java.io.StringWriter();
        CommandLine cl = Strata.commandLine(args);
        cl.setOut(new java.io.PrintWriter(out));
        assertEquals(0, cl.execute(args));
        String ownHelp = Strata.commandLine().getSubcommands().get("pull").getUsageMessage(CommandLine.Help.Ansi.OFF);
        assertEquals(ownHelp, out.toString());
        assertTrue(ownHelp.contains("--platform"), ownHelp);
        assertTrue(cl.getSubcommands().get("push").getCommandSpec().options().isEmpty(), "push's options were not built");
        // `strata help` alone lists the verbs as `strata --help` does.
        assertEquals(Strata.commandLine().getUsageMessage(CommandLine.Help.Ansi.OFF),
                Strata.commandLine(new String[] {"help"}).getUsageMessage(CommandLine.Help.Ansi.OFF));
    }
}
