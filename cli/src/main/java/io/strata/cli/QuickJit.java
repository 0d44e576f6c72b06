package io.strata.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The launcher starts verbs that finish quickly without the optimising compiler
 * ({@code -XX:TieredStopAtLevel=1}, and {@code -Dstrata.quickJit=true} so this program knows): on
 * two cores its threads slowed every such start by a third ({@code run --rm IMG true} 0.42 s against
 * 0.29 s). Work such a verb meets that needs the compiler (a pull: SHA-256 hashes ten times slower
 * without it) runs as a verb of its own, in a JVM started like this one but with it.
 */
final class QuickJit {
    private QuickJit() {}

    static boolean active() {
        return Boolean.getBoolean("strata.quickJit");
    }

    /** The child failed and said why on the terminal: the command ends with its exit code and no second message. */
    static final class ChildFailed extends RuntimeException {
        final int exitCode;

        ChildFailed(int exitCode) {
            super("exit code " + exitCode, null, false, false);
            this.exitCode = exitCode;
        }
    }

    /**
     * Runs {@code strata ARGS} with the optimising compiler; what it prints goes to this one's
     * standard error (a verb's own output stays the container's or the result's). Throws
     * {@link ChildFailed} when it fails.
     */
    static void runWithOptimisingCompiler(List<String> args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // This JVM's own options (heap, AOT cache, the user's STRATA_JAVA_OPTS), up to -jar, without the quick ones.
        for (String a : ProcessHandle.current().info().arguments().orElse(new String[0])) {
            if (a.equals("-jar")) break;
            if (!a.startsWith("-XX:TieredStopAtLevel") && !a.startsWith("-Dstrata.quickJit")) command.add(a);
        }
        command.add("-jar");
        command.add(System.getProperty("java.class.path"));
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(ProcessBuilder.Redirect.to(new java.io.File("/dev/stderr")))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        int exit;
        try {
            exit = p.waitFor();
        } catch (InterruptedException e) {
            p.destroy();
            throw e;
        }
        if (exit != 0) throw new ChildFailed(exit);
    }
}
