package io.strata.runner;

import java.util.List;
import java.util.Locale;

/**
 * Signals as users and images name them: {@code SIGINT}, {@code INT}, {@code int} or {@code 2}
 * (Linux's numbers; 34 to 64 are the real-time ones, also as {@code SIGRTMIN+N} and
 * {@code SIGRTMAX-N}). Anything else is refused as podman refuses it: "invalid signal".
 */
public final class Signals {
    private Signals() {}

    /** Linux x86-64's standard signals, numbered from 1. */
    private static final List<String> NAMES = List.of("HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV",
            "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM",
            "PROF", "WINCH", "IO", "PWR", "SYS");

    /** The signal as the runtime takes it ({@code SIGINT}, or a number for a real-time one); refused when it is none. */
    public static String parse(String text) {
        String t = text.strip().toUpperCase(Locale.ROOT);
        if (t.startsWith("SIG")) t = t.substring(3);
        if (t.matches("\\d{1,2}")) {
            int n = Integer.parseInt(t);
            if (n >= 1 && n <= NAMES.size()) return "SIG" + NAMES.get(n - 1);
            if (n >= 34 && n <= 64) return Integer.toString(n);
        } else if (NAMES.contains(t)) {
            return "SIG" + t;
        } else if (t.matches("RTMIN\\+\\d{1,2}|RTMAX-\\d{1,2}|RTMIN|RTMAX")) {
            int n = t.startsWith("RTMIN") ? 34 + (t.length() > 5 ? Integer.parseInt(t.substring(6)) : 0)
                    : 64 - (t.length() > 5 ? Integer.parseInt(t.substring(6)) : 0);
            if (n >= 34 && n <= 64) return Integer.toString(n);
        }
        throw new IllegalArgumentException("invalid signal: " + text);
    }
}
