package io.strata.runner;

import java.nio.file.Path;
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
        Long pidsLimit,
        Dns dns,
        List<ExtraHost> extraHosts,
        List<Tmpfs> tmpfs,
        Path joinNetns) {

    /** {@code --tmpfs /path[:options]}: a tmpfs of its own at {@code destination} (docker's defaults: rw, noexec, nosuid, nodev). */
    public record Tmpfs(String destination, List<String> options) {
        public Tmpfs {
            if (!destination.startsWith("/")) throw new IllegalArgumentException("a tmpfs path must be absolute, was " + destination);
            options = List.copyOf(options);
            for (String o : options) {
                if (!o.matches("(size=[0-9]+[kmgKMG%]?|mode=[0-7]{3,4}|nr_inodes=[0-9]+[kmgKMG]?|uid=[0-9]+|gid=[0-9]+|ro|rw|exec|noexec"
                        + "|suid|nosuid|dev|nodev)")) {
                    throw new IllegalArgumentException("unsupported tmpfs option " + o + " (size=, mode=, nr_inodes=, uid=, gid=, ro, exec, suid, dev)");
                }
            }
        }

        /** {@code /path[:opt,opt]}, as --tmpfs takes it. */
        public static Tmpfs parse(String text) {
            int colon = text.indexOf(':');
            String path = colon < 0 ? text : text.substring(0, colon);
            List<String> options = colon < 0 || colon == text.length() - 1 ? List.of() : List.of(text.substring(colon + 1).split(","));
            return new Tmpfs(path, options);
        }

        /** The mount's options: docker's defaults, then the given ones (a later option wins in the kernel's parse). */
        List<String> mountOptions() {
            java.util.List<String> all = new java.util.ArrayList<>(List.of("rw", "noexec", "nosuid", "nodev"));
            all.addAll(options);
            return all;
        }
    }

    /** {@code --dns}, {@code --dns-search}, {@code --dns-option}: each, when given, replaces the host's line (see ResolvConf). */
    public record Dns(List<String> servers, List<String> search, List<String> options) {
        public static final Dns HOST = new Dns(List.of(), List.of(), List.of());

        public Dns {
            servers = List.copyOf(servers);
            search = List.copyOf(search);
            options = List.copyOf(options);
            for (String s : servers) {
                if (!ExtraHost.isAddress(s)) throw new IllegalArgumentException("--dns takes an IP address, was " + s);
            }
            for (String s : search) {
                if (!s.matches("[A-Za-z0-9.-]{1,253}")) throw new IllegalArgumentException("--dns-search takes a domain, was " + s);
            }
            for (String o : options) {
                if (!o.matches("[A-Za-z0-9_.:-]{1,64}")) throw new IllegalArgumentException("--dns-option takes a resolver option, was " + o);
            }
        }
    }

    /** {@code --add-host NAME:IP}: a line of the container's /etc/hosts. */
    public record ExtraHost(String name, String ip) {
        public static ExtraHost parse(String text) {
            int colon = text.indexOf(':');
            String name = colon < 0 ? "" : text.substring(0, colon);
            String ip = colon < 0 ? "" : text.substring(colon + 1);
            if (ip.startsWith("[") && ip.endsWith("]")) ip = ip.substring(1, ip.length() - 1);
            if (!name.matches("[A-Za-z0-9][A-Za-z0-9.-]{0,252}") || !isAddress(ip)) {
                throw new IllegalArgumentException("invalid --add-host " + text + ": expected NAME:IP");
            }
            return new ExtraHost(name, ip);
        }

        /** An IPv4 or IPv6 literal (never a name: nothing is looked up). */
        static boolean isAddress(String s) {
            if (s.matches("(\\d{1,3}\\.){3}\\d{1,3}")) {
                for (String part : s.split("\\.")) if (Integer.parseInt(part) > 255) return false;
                return true;
            }
            return s.contains(":") && s.matches("[0-9A-Fa-f:.]+");
        }
    }

    /**
     * none: only loopback; host: the host's; bridge: a network of its own (the default one or a
     * user's, see {@link Networking}); container: another container's, joined at {@code joinNetns}.
     */
    public enum Network { NONE, HOST, BRIDGE, CONTAINER }

    /** A host path bound into the container. */
    /** docker's --mount (and RUN --mount) options: comma-separated KEY=VALUE, a KEY alone being true. */
    public static java.util.Map<String, String> mountOptions(String spec) {
        java.util.Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String part : spec.split(",")) {
            int eq = part.indexOf('=');
            out.put(eq < 0 ? part : part.substring(0, eq), eq < 0 ? "true" : part.substring(eq + 1));
        }
        return out;
    }

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
        dns = dns == null ? Dns.HOST : dns;
        extraHosts = extraHosts == null ? List.of() : List.copyOf(extraHosts);
        tmpfs = tmpfs == null ? List.of() : List.copyOf(tmpfs);
        if ((network == Network.CONTAINER) != (joinNetns != null)) throw new IllegalArgumentException("a joined network needs its namespace, and only it");
        if (memoryBytes != null && memoryBytes < 6 * 1024 * 1024) throw new IllegalArgumentException("--memory must be at least 6 MiB");
        if (cpus != null && cpus <= 0) throw new IllegalArgumentException("--cpus must be positive");
        if (pidsLimit != null && pidsLimit < 1) throw new IllegalArgumentException("--pids-limit must be positive");
    }
}
