package io.strata.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The strata command: the registry server and the client verbs under one launcher. */
@Command(name = "strata",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        versionProvider = Strata.Version.class,
        description = "Container image distribution: an OCI registry and a client.",
        subcommands = {ServeCommand.class, PullCommand.class, PushCommand.class, ImagesCommand.class, InspectCommand.class,
                TagCommand.class, RmiCommand.class, HistoryCommand.class, GcCommand.class,
                UnpackCommand.class, MountCommand.class, MountCommand.Umount.class, SnapshotsCommand.class,
                RunCommand.class, PsCommand.class, RmCommand.class, LifecycleCommands.Create.class,
                LifecycleCommands.Start.class, LifecycleCommands.Stop.class, LifecycleCommands.Kill.class,
                LifecycleCommands.Wait.class, LifecycleCommands.Logs.class, LifecycleCommands.Exec.class,
                LifecycleCommands.Shim.class, CommitCommands.Diff.class, CommitCommands.Commit.class,
                ArchiveCommands.Save.class, ArchiveCommands.Load.class, ArchiveCommands.Export.class, AotTrainCommand.class, LoginCommand.Login.class,
                LoginCommand.Logout.class, ManCommand.class, RegistryCommands.class,
                CommandLine.HelpCommand.class})
public final class Strata {
    // Global options: accepted before the verb, as podman takes them; a verb's own option wins.
    @Option(names = "--root", paramLabel = "DIR", scope = CommandLine.ScopeType.LOCAL,
            description = "Local store (default: $STRATA_ROOT, else /var/lib/strata as root, else $XDG_DATA_HOME/strata).")
    Path root;

    @Option(names = "--insecure", description = "Plain HTTP to registries.")
    Boolean insecure;

    @Option(names = "--tls-verify", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true",
            description = "Check registries' certificates (default true).")
    Boolean tlsVerify;

    @Option(names = {"-q", "--quiet"}, description = "Print only IDs or results; no progress.")
    boolean quiet;

    @Option(names = "--format", paramLabel = "FORMAT", description = "table (default), json, or a template such as '{{.Digest}}'.")
    String format;

    /** Options given before the verb: none when the verb was not reached through this command (a test's own CommandLine). */
    private static final Strata NONE = new Strata();

    /** The global options of the command line a verb's mixin belongs to. */
    static Strata globals(picocli.CommandLine.Model.CommandSpec mixee) {
        return mixee != null && mixee.root().userObject() instanceof Strata s ? s : NONE;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Strata());
        // Everything after the image is the container's command, its options included (as docker run).
        for (String verb : java.util.List.of("run", "create", "exec")) cl.getSubcommands().get(verb).setStopAtPositional(true);
        CommandLine completion = new CommandLine(new picocli.AutoComplete.GenerateCompletion());
        completion.getCommandSpec().usageMessage().description("Print a bash/zsh completion script: source <(strata completion)");
        cl.addSubcommand("completion", completion);
        return cl
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("strata: " + Errors.describe(e));
                    return 1;
                });
    }

    /** The version Maven wrote into the jar's resources. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Strata.class.getResourceAsStream("version.properties")) {
                if (in != null) p.load(in);
            }
            return new String[] {"strata " + p.getProperty("version", "unknown")
                    + " (Java " + Runtime.version() + ")"};
        }
    }
}
