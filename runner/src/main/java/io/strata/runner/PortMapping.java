package io.strata.runner;

import java.util.ArrayList;
import java.util.List;

/**
 * A published port: traffic to {@code hostIp:hostPort} (any host address when {@code hostIp} is
 * empty) goes to the container's {@code containerPort}. As docker's {@code -p} writes it.
 *
 * @param protocol tcp or udp
 */
public record PortMapping(String hostIp, int hostPort, int containerPort, String protocol) {
    public PortMapping {
        if (hostPort < 1 || hostPort > 65535 || containerPort < 1 || containerPort > 65535) {
            throw new IllegalArgumentException("ports are 1 to 65535");
        }
        if (!protocol.equals("tcp") && !protocol.equals("udp")) throw new IllegalArgumentException("a port's protocol is tcp or udp, was " + protocol);
    }

    /** As docker lists it: {@code 80/tcp -> 0.0.0.0:8080}. */
    @Override
    public String toString() {
        return containerPort + "/" + protocol + " -> " + (hostIp.isEmpty() ? "0.0.0.0" : hostIp) + ":" + hostPort;
    }

    /**
     * {@code [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp]}, each port a number or a range {@code A-B}; a
     * host port range must be as long as the container's. Without a host port, {@code freePort}
     * gives one per container port (as {@code -P} does).
     */
    public static List<PortMapping> parse(String text, java.util.function.IntSupplier freePort) {
        String spec = text;
        String protocol = "tcp";
        int slash = spec.lastIndexOf('/');
        if (slash >= 0) {
            protocol = spec.substring(slash + 1).toLowerCase(java.util.Locale.ROOT);
            spec = spec.substring(0, slash);
        }
        String ip = "";
        String host = null;
        String container;
        // An IPv6 host address is bracketed: [::1]:8080:80.
        if (spec.startsWith("[")) {
            int close = spec.indexOf("]:");
            if (close < 0) throw bad(text);
            ip = spec.substring(1, close);
            spec = spec.substring(close + 2);
            String[] p = spec.split(":", -1);
            if (p.length != 2) throw bad(text);
            host = p[0];
            container = p[1];
        } else {
            String[] p = spec.split(":", -1);
            switch (p.length) {
                case 1 -> container = p[0];
                case 2 -> {
                    host = p[0];
                    container = p[1];
                }
                case 3 -> {
                    ip = p[0];
                    host = p[1];
                    container = p[2];
                }
                default -> throw bad(text);
            }
        }
        if (!ip.isEmpty() && !ip.matches("[0-9.]+|[0-9a-fA-F:]+")) throw bad(text);
        int[] c = range(container, text);
        int[] h = host == null || host.isEmpty() ? null : range(host, text);
        if (h != null && h[1] - h[0] != c[1] - c[0]) {
            throw new IllegalArgumentException("invalid port mapping " + text + ": the host's range and the container's differ in length");
        }
        List<PortMapping> out = new ArrayList<>();
        try {
            for (int i = 0; i <= c[1] - c[0]; i++) {
                out.add(new PortMapping(ip, h != null ? h[0] + i : freePort.getAsInt(), c[0] + i, protocol));
            }
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid port mapping " + text + ": " + e.getMessage());
        }
        return out;
    }

    private static int[] range(String s, String text) {
        String[] p = s.split("-", -1);
        if (p.length > 2) throw bad(text);
        try {
            int a = Integer.parseInt(p[0]);
            int b = p.length == 2 ? Integer.parseInt(p[1]) : a;
            if (b < a) throw bad(text);
            return new int[] {a, b};
        } catch (NumberFormatException e) {
            throw bad(text);
        }
    }

    private static IllegalArgumentException bad(String text) {
        return new IllegalArgumentException("invalid port mapping " + text + ": expected [IP:][HOSTPORT:]CONTAINERPORT[/tcp|udp]");
    }
}
