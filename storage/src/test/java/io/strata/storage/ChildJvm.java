package io.strata.storage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Starts a main class in a separate JVM with this test's classpath, for tests that need a small heap or a kill. */
public final class ChildJvm {
    private ChildJvm() {}

    public static Process start(Class<?> main, List<String> jvmOptions, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("--add-opens", "java.base/java.security=ALL-UNNAMED",
                "--add-opens", "java.base/sun.security.provider=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }
}
