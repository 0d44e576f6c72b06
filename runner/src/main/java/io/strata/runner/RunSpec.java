package io.strata.runner;

import java.util.List;

/** What a container runs and with what: everything the runtime spec's config.json is written from. */
public record RunSpec(
        List<String> args,
        List<String> env,
        String cwd,
        Users.Ids user,
        boolean terminal,
        int[] consoleSize,
        String hostname,
        Network network,
        List<Bind> binds,
        boolean readOnly,
        Long memoryBytes,
        Double cpus,
        Long pidsLimit) {

    /** none: only loopback; host: the host's; bridge: the default network (see {@link Networking}). */
    public enum Network { NONE, HOST, BRIDGE }

    /** A host path bound into the container. */
    public record Bind(String host, String container, boolean readOnly) {
        /** {@code HOST:CTR[:ro|:rw]}, as {@code -v} takes it. */
        public static Bind parse(String text) {
            String[] p = text.split(":", -1);
            if (p.length < 2 || p.length > 3 || p[0].isEmpty() || p[1].isEmpty()) {
                throw new IllegalArgumentException("a volume is HOST:CONTAINER[:ro], was " + text);
            }
            if (!p[0].startsWith("/") || !p[1].startsWith("/")) {
                throw new IllegalArgumentException("volume paths must be absolute: " + text);
            }
            boolean ro = false;
            if (p.length == 3) {
                switch (p[2]) {
                    case "ro" -> ro = true;
                    case "rw" -> ro = false;
                    default -> throw new IllegalArgumentException("volume option must be ro or rw, was " + p[2]);
                }
            }
            return new Bind(p[0], p[1], ro);
        }
    }

    public RunSpec {
        if (args == null || args.isEmpty()) throw new IllegalArgumentException("no command: the image has no Entrypoint or Cmd, and none was given");
        args = List.copyOf(args);
        env = List.copyOf(env);
        binds = List.copyOf(binds);
        if (memoryBytes != null && memoryBytes < 6 * 1024 * 1024) throw new IllegalArgumentException("--memory must be at least 6 MiB");
        if (cpus != null && cpus <= 0) throw new IllegalArgumentException("--cpus must be positive");
        if (pidsLimit != null && pidsLimit < 1) throw new IllegalArgumentException("--pids-limit must be positive");
    }
}
