package io.strata.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import picocli.CommandLine;
import java.nio.file.Path;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The strata command: the registry server and the client verbs under one launcher. The root command
 * is built with picocli's programmatic API, not from annotations: reading annotations makes the JDK
 * generate a proxy class per annotation type in a new JVM, which was three quarters of
 * {@code strata --version} (164-174 ms against 121 ms, EPYC machine). The verbs keep their
 * annotations: a command builds only the one it runs.
 */
public final class Strata {
    // Global options: accepted before the verb, as podman takes them; a verb's own option wins.
    Path root;
    Boolean insecure;
    Boolean tlsVerify;
    boolean quiet;
    String format;

    /** The root command's model, its options bound to this object's fields. */
    private CommandSpec spec() {
        CommandSpec spec = CommandSpec.wrapWithoutInspection(this).name("strata").versionProvider(new Version());
        spec.usageMessage().sortOptions(false).description("Container image distribution: an OCI registry and a client.");
        spec.addOption(option(v -> root = (Path) v, Path.class, "--root").paramLabel("DIR")
                .description("Local store (default: $STRATA_ROOT, else /var/lib/strata as root, else $XDG_DATA_HOME/strata).").build());
        spec.addOption(option(v -> insecure = (Boolean) v, Boolean.class, "--insecure")
                .description("Plain HTTP to registries.").build());
        spec.addOption(option(v -> tlsVerify = (Boolean) v, Boolean.class, "--tls-verify").paramLabel("BOOL").arity("0..1")
                .fallbackValue("true").description("Check registries' certificates (default true).").build());
        spec.addOption(option(v -> quiet = Boolean.TRUE.equals(v), boolean.class, "-q", "--quiet")
                .description("Print only IDs or results; no progress.").build());
        spec.addOption(option(v -> format = (String) v, String.class, "--format").paramLabel("FORMAT")
                .description("table (default), json, or a template such as '{{.Digest}}'.").build());
        spec.addOption(OptionSpec.builder("-h", "--help").usageHelp(true).description("Show this help message and exit.").build());
        spec.addOption(OptionSpec.builder("-V", "--version").versionHelp(true).description("Print version information and exit.").build());
        return spec;
    }

    /** An option of type {@code type} whose parsed value goes to {@code field}. */
    private static OptionSpec.Builder option(Consumer<Object> field, Class<?> type, String... names) {
        return OptionSpec.builder(names).type(type).setter(new CommandLine.Model.ISetter() {
            @Override
            public <T> T set(T value) {
                field.accept(value);
                return null;
            }
        });
    }

    /** Options given before the verb: none when the verb was not reached through this command (a test's own CommandLine). */
    private static final Strata NONE = new Strata();

    /** The global options of the command line a verb's mixin belongs to. */
    static Strata globals(CommandSpec mixee) {
        return mixee != null && mixee.root().userObject() instanceof Strata s ? s : NONE;
    }

    /**
     * The verbs, in the order help lists them. Picocli builds a verb's model (reflection over its
     * options, in an interpreter at start) when the verb is added; adding only the verb a command
     * runs took about 100 ms off every client command.
     */
    private static final List<Class<?>> VERBS = List.of(ServeCommand.class, PullCommand.class, PushCommand.class, BuildCommand.class,
            ImagesCommand.class, InspectCommand.class, TagCommand.class, RmiCommand.class, HistoryCommand.class, GcCommand.class,
            UnpackCommand.class, MountCommand.class, MountCommand.Umount.class, SnapshotsCommand.class,
            RunCommand.class, PsCommand.class, RmCommand.class, LifecycleCommands.Create.class,
            LifecycleCommands.Start.class, LifecycleCommands.Stop.class, LifecycleCommands.Kill.class,
            LifecycleCommands.Wait.class, LifecycleCommands.Port.class, LifecycleCommands.Logs.class, LifecycleCommands.Exec.class,
            LifecycleCommands.Attach.class, LifecycleCommands.Cleanup.class, CommitCommands.Diff.class, CommitCommands.Commit.class,
            ArchiveCommands.Save.class, ArchiveCommands.Load.class, ArchiveCommands.Export.class, ArchiveCommands.Import.class, AotTrainCommand.class, ServeTrainCommand.class,
            LoginCommand.Login.class, LoginCommand.Logout.class, ManCommand.class, RegistryCommands.class,
            VolumeCommands.class, NetworkCommands.class, ContainerStateCommands.Restart.class, ContainerStateCommands.Pause.class,
            ContainerStateCommands.Unpause.class, ContainerStateCommands.Update.class, ContainerStateCommands.Stats.class, ContainerStateCommands.Rename.class, ContainerStateCommands.Top.class, SystemCommands.class,
            SystemCommands.Info.class, SystemCommands.Version.class, PruneCommands.ContainerGroup.class, PruneCommands.ImageGroup.class, PruneCommands.BuilderGroup.class, EventsCommand.class, CpCommand.class,
            RemoteCommands.Tags.class, RemoteCommands.DigestCommand.class, RemoteCommands.Catalog.class, RemoteCommands.Delete.class, CopyCommand.class, SyncCommand.class, ManifestCommands.class,
            ArtifactCommands.Group.class, ArtifactCommands.Discover.class);
    /** Global options that take a value in the next argument (unless given as --opt=value). */
    private static final Set<String> GLOBALS_WITH_VALUE = Set.of("--root", "--format");

    public static void main(String[] args) {
        // Picocli's default factory looks for Groovy's Closure class when it is first used: a class
        // that is nowhere makes the class loader open every jar on the class path, which the AOT cache
        // otherwise spares a command.
        System.setProperty("picocli.disable.closures", "true");
        Class<?> verb = verb(args);
        // Without a verb (--version, --help) there is nothing to warm, and the thread would take the other core from the JVM's own start.
        if (verb != null) Thread.ofPlatform().daemon().name("strata-warm").start(() -> warm(verb));
        int code = commandLine(args, verb).execute(args);
        io.strata.remote.Transport.closeAll();
        // A command that succeeded ends by returning, which runs the same shutdown hooks: System.exit
        // first looks up a System.Logger to log the call (JDK 21+), and finding none on the class path
        // opens every jar on it and starts java.util.logging (about 8 ms of each client command on the
        // EPYC machine). exit() still ends a failure, and anything that left a thread running.
        if (code != 0 || otherThreadsRunning()) System.exit(code);
    }

    /** Whether a platform thread other than this one would keep the JVM alive after main returns. */
    private static boolean otherThreadsRunning() {
        Thread[] threads = new Thread[Thread.activeCount() + 16];
        int n = Thread.currentThread().getThreadGroup().enumerate(threads, true);
        for (int i = 0; i < n; i++) {
            if (threads[i] != Thread.currentThread() && !threads[i].isDaemon()) return true;
        }
        return n == threads.length; // more than it could list: leave it to exit()
    }

    /**
     * Runs, on the other core while this one builds the command line, work the command would otherwise
     * wait for on this one:
     * <ul>
     * <li>the static initialiser the first JSON read waits for: jackson-core's parser holds BigDecimal
     *     constants, and BigDecimal's initialiser takes about 20 ms in a new JVM (JDK 25's AOT cache
     *     does not keep it initialised): {@code images} 265 -> 248 ms, a stored pull 371 -> 364 ms;
     * <li>for a verb that talks to registries, opening the jars of the class path: the JDK's HTTP client
     *     makes System.Loggers, whose first one looks for a logging service in every jar, and opening
     *     them (reading each one's directory) took 18 ms of a stored pull on the EPYC machine. The same
     *     lookup here leaves them open; the client's then only reads their indexes.
     * </ul>
     */
    private static void warm(Class<?> verb) {
        java.math.BigDecimal.ONE.signum();
        if (talksToRegistries(verb)) {
            java.util.ServiceLoader.load(System.LoggerFinder.class, ClassLoader.getSystemClassLoader()).stream().count();
        }
    }

    /** Whether the verb takes a registry's options (credentials, TLS): the verbs that may send requests. */
    private static boolean talksToRegistries(Class<?> verb) {
        for (var field : verb.getDeclaredFields()) if (field.getType() == RemoteOptions.class) return true;
        return false;
    }

    /**
     * Makes the verbs and their mixins, which are package-private: picocli's default factory tries
     * each without suppressing access checks first, throwing twice per class before it succeeds.
     */
    private static final CommandLine.IFactory FACTORY = new CommandLine.IFactory() {
        @Override
        public <K> K create(Class<K> cls) throws Exception {
            if (cls.getPackage() != Strata.class.getPackage()) return CommandLine.defaultFactory().create(cls);
            var constructor = cls.getDeclaredConstructor();
            constructor.setAccessible(true);
            return constructor.newInstance();
        }
    };

    /** Every verb (help, completion, man pages, tests). */
    static CommandLine commandLine() {
        return commandLine(null);
    }

    /** Only the verb {@code args} name, when they name one; every verb otherwise (help, a mistyped verb). */
    static CommandLine commandLine(String[] args) {
        return commandLine(args, args == null ? null : verb(args));
    }

    /** {@link #commandLine(String[])}, given the verb the arguments name (or null). */
    private static CommandLine commandLine(String[] args, Class<?> only) {
        CommandLine cl = new CommandLine(new Strata().spec(), FACTORY);
        boolean versionOnly = args != null && args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"));
        if (versionOnly) {
            // nothing to add: the version is the root command's
        } else if (only != null) {
            cl.addSubcommand(only.getAnnotation(Command.class).name(), only);
        } else {
            // The list of verbs that `strata`, `strata --help`, `strata -h` and `strata help` print needs
            // each verb's name and description, not the model of its options (0.5 s for all of them, EPYC
            // machine); `strata help VERB` needs that one verb's.
            boolean listOnly = args != null && (args.length == 0
                    || args.length == 1 && (args[0].equals("--help") || args[0].equals("-h")) || isHelp(args));
            Class<?> helped = isHelp(args) && args.length > 1 ? named(args[1]) : null;
            for (Class<?> verb : VERBS) {
                cl.addSubcommand(verb.getAnnotation(Command.class).name(), listOnly && verb != helped ? listed(verb) : verb);
            }
            CommandLine completion = new CommandLine(new picocli.AutoComplete.GenerateCompletion());
            completion.getCommandSpec().usageMessage().description("Print a bash/zsh completion script: source <(strata completion)");
            cl.addSubcommand("completion", completion);
            cl.addSubcommand("help", CommandLine.HelpCommand.class);
        }
        // Everything after the image is the container's command, its options included (as docker run).
        for (String verb : List.of("run", "create", "exec")) {
            CommandLine sub = cl.getSubcommands().get(verb);
            if (sub != null) sub.setStopAtPositional(true);
        }
        return cl
                .setParameterExceptionHandler(Strata::invalidInput)
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    // 1, or 125 for the verbs whose exit code is a container's command's (run, exec).
                    int failed = cmd.getCommandSpec().exitCodeOnExecutionException();
                    // It said why; its 1 is this verb's failure, a signal's code stays.
                    if (e instanceof QuickJit.ChildFailed child) return child.exitCode == 1 ? failed : child.exitCode;
                    cmd.getErr().println("strata: " + Errors.describe(e));
                    // STRATA_DEBUG=1: the whole trace, for a bug report.
                    if (System.getenv("STRATA_DEBUG") != null) e.printStackTrace(cmd.getErr());
                    // A container's command that could not run ends the command as docker's does: 126 or 127.
                    return e instanceof io.strata.runner.Runner.CommandNotRunnable refused ? refused.exitCode() : failed;
                });
    }

    /**
     * A mistake in the arguments: what is wrong in one line, the verbs close to a mistyped one, and
     * where the help is, as docker and podman answer (not the whole usage, 45 lines for run).
     */
    private static int invalidInput(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        java.io.PrintWriter err = cmd.getErr();
        String name = cmd.getCommandSpec().qualifiedName(" ");
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !cmd.getSubcommands().isEmpty() && !u.getUnmatched().isEmpty()
                && !u.getUnmatched().getFirst().startsWith("-")) {
            // A verb that is none: say so, and name only the verbs a typo away from it.
            String typed = u.getUnmatched().getFirst();
            err.println("strata: '" + typed + "' is not a " + name + " command.");
            List<String> close = cmd.getSubcommands().keySet().stream().filter(v -> distance(v, typed) <= Math.max(1, typed.length() / 3))
                    .sorted().toList();
            if (!close.isEmpty()) err.println("Did you mean: " + String.join(", ", close) + "?");
        } else {
            err.println(ex.getMessage());
        }
        err.println("See '" + name + " --help'.");
        return cmd.getCommandSpec().exitCodeOnInvalidInput();
    }

    /** Levenshtein's edit distance, for the verbs close to a mistyped one. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /** Whether the arguments are {@code help} and at most one more: the help verb, of the root or of a verb. */
    private static boolean isHelp(String[] args) {
        return args != null && (args.length == 1 || args.length == 2) && args[0].equals("help");
    }

    /** A verb as the list of verbs shows it: its name and description, without its options. */
    private static CommandLine listed(Class<?> verb) {
        Command c = verb.getAnnotation(Command.class);
        CommandSpec spec = CommandSpec.create().name(c.name()).aliases(c.aliases());
        spec.usageMessage().description(c.description()).hidden(c.hidden());
        return new CommandLine(spec, FACTORY);
    }

    /** The verb class called {@code name}, or null. */
    private static Class<?> named(String name) {
        for (Class<?> verb : VERBS) if (verb.getAnnotation(Command.class).name().equals(name)) return verb;
        return null;
    }

    /** The verb class the first argument that is not a global option names, or null. */
    private static Class<?> verb(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) return null;
            if (a.startsWith("-")) {
                if (GLOBALS_WITH_VALUE.contains(a)) i++;
                else if (a.equals("--tls-verify") && i + 1 < args.length && args[i + 1].matches("(?i)true|false")) i++;
                continue;
            }
            return named(a);
        }
        return null;
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
