package io.strata.runner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * docker's {@code --restart}: whether a detached container is started again when it exits. Its
 * monitor's clean-up applies it; a container stopped by the user ({@code stop}, {@code kill},
 * {@code rm -f}) is not restarted until it is started again, and {@code start --all} (the systemd
 * unit's, after a host restart) starts those with {@code always} and, unless stopped by the user,
 * {@code unless-stopped}.
 */
public record RestartPolicy(String name, int maxRetries) {
    public static final RestartPolicy NO = new RestartPolicy("no", 0);
    static final String FILE = "restart.json";
    /** The marker of a container the user stopped. */
    static final String STOPPED = "stopped-by-user";
    /** How many times its policy restarted it since the user last started it. */
    static final String COUNT = "restart-count";

    public RestartPolicy {
        if (!java.util.List.of("no", "always", "unless-stopped", "on-failure").contains(name)) {
            throw new IllegalArgumentException("--restart is no, always, unless-stopped or on-failure[:N], was " + name);
        }
        if (maxRetries < 0) throw new IllegalArgumentException("--restart on-failure's retries must not be negative");
    }

    /** {@code no}, {@code always}, {@code unless-stopped}, {@code on-failure[:N]}. */
    public static RestartPolicy parse(String text) {
        if (text == null || text.isEmpty()) return NO;
        int colon = text.indexOf(':');
        if (colon < 0) return new RestartPolicy(text, 0);
        String name = text.substring(0, colon);
        if (!name.equals("on-failure")) throw new IllegalArgumentException("--restart " + text + ": only on-failure takes a count of retries");
        try {
            return new RestartPolicy(name, Integer.parseInt(text.substring(colon + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--restart " + text + ": the retries are a number");
        }
    }

    /** Whether a container that exited with {@code exitCode}, restarted {@code count} times, starts again. */
    boolean restarts(int exitCode, int count, boolean stoppedByUser) {
        if (stoppedByUser) return false;
        return switch (name) {
            case "always", "unless-stopped" -> true;
            case "on-failure" -> exitCode != 0 && (maxRetries == 0 || count < maxRetries);
            default -> false;
        };
    }

    /** Whether {@code start --all} starts it (after a host restart). */
    boolean startsAtBoot(boolean stoppedByUser) {
        return name.equals("always") || name.equals("unless-stopped") && !stoppedByUser;
    }

    /** docker's delay before the Nth restart: 100 ms, doubling, at most a minute. */
    static long delayMillis(int count) {
        return Math.min(60_000L, 100L << Math.min(count, 10));
    }

    void write(Path containerDir) throws IOException {
        Files.writeString(containerDir.resolve(FILE), toString());
    }

    static RestartPolicy read(Path containerDir) throws IOException {
        Path f = containerDir.resolve(FILE);
        return Files.exists(f) ? parse(Files.readString(f).strip()) : NO;
    }

    @Override
    public String toString() {
        return name + (maxRetries > 0 ? ":" + maxRetries : "");
    }
}
