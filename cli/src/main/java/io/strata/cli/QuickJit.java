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

    /**
     * Where SHA-256 comes from the JDK (no libcrypto on the machine), work under this many bytes
     * stays in the quick JVM: a second JVM costs about half a second more (its start, and its
     * optimising compiler at work on two cores), which the quick compiler's slower hashing only
     * loses back beyond that (pulls of one image from a local registry, quick against handed off:
     * 16 MiB 0.37 s against 0.86 s, 48 MiB 0.55 against 0.96, 128 MiB 0.93 against 0.99; with
     * unpacking 0.77 against 1.03 at 48 MiB, 1.46 against 1.20 at 128 MiB). With libcrypto's
     * SHA-256 the quick JVM is faster at every size (128 MiB 0.59 s against 1.03, unpacking 0.74
     * against 1.22; 1 GiB 2.13 s against 2.64), and nothing is handed off.
     */
    static final long HAND_OFF_BYTES = 64L << 20;

    static boolean active() {
        return Boolean.getBoolean("strata.quickJit");
    }

    /** Thrown where work that needs the optimising compiler begins, to run it in a JVM that has it. */
    static final class HandOff extends RuntimeException {
        HandOff() {
            super("handed to a JVM with the optimising compiler", null, false, false);
        }

        /** Hands work of {@code bytes} off when it is worth a second JVM. */
        static void ifLarge(long bytes) {
            if (bytes >= HAND_OFF_BYTES && !io.strata.oci.DigestAlgorithm.SHA256.streamsNatively()) throw new HandOff();
        }
    }

    /**
     * This JVM's java and its own options (heap, AOT cache, the user's STRATA_JAVA_OPTS) up to -jar:
     * the start of a command line for another strata JVM, started as the launcher started this one.
     * No option may be added that the AOT cache was not made with (--enable-native-access on the
     * command line, which the jar's manifest gives already, made the JVM drop it).
     */
    static List<String> thisJvm() {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String a : ProcessHandle.current().info().arguments().orElse(new String[0])) {
            if (a.equals("-jar") || a.equals("-cp") || a.equals("-classpath") || a.equals("--class-path")) break;
            command.add(a);
        }
        return command;
    }

    /** {@link #thisJvm()} without the quick compiler's options. */
    static List<String> jvmWithOptimisingCompiler() {
        List<String> command = new ArrayList<>();
        for (String a : thisJvm()) if (!a.startsWith("-XX:TieredStopAtLevel") && !a.startsWith("-Dstrata.quickJit")) command.add(a);
        return command;
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
     * Runs {@code strata ARGS} with the optimising compiler, on this one's terminal; its standard
     * output goes to this one's standard error when {@code outputToStderr} (when the verb's own
     * output must stay the container's). Throws {@link ChildFailed} when it fails.
     */
    static void runWithOptimisingCompiler(List<String> args, boolean outputToStderr) throws IOException, InterruptedException {
        List<String> command = jvmWithOptimisingCompiler();
        command.add("-jar");
        command.add(System.getProperty("java.class.path"));
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.INHERIT)
                .redirectOutput(outputToStderr ? ProcessBuilder.Redirect.to(new java.io.File("/dev/stderr"))
                        : ProcessBuilder.Redirect.INHERIT)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        // A signal that ends this JVM (SIGTERM, or SIGINT off a terminal) ends the child the same way,
        // and this one waits for it to say what it kept.
        Thread forward = new Thread(() -> {
            p.destroy();
            try {
                p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        });
        Runtime.getRuntime().addShutdownHook(forward);
        int exit;
        try {
            exit = p.waitFor();
        } catch (InterruptedException e) {
            p.destroy();
            throw e;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(forward);
        } catch (IllegalStateException shuttingDown) {
            // A signal ended the child: the hook is running, and the JVM exits when it is done.
        }
        if (exit != 0) throw new ChildFailed(exit);
    }
}
