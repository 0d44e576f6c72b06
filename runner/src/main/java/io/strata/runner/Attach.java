package io.strata.runner;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * This terminal (or these pipes) joined to a container through its monitor's attach socket: the
 * container's output to stdout and stderr, and with {@code stdin} what is typed to the container,
 * until the container's streams end or the user types the detach keys (docker's ctrl-p ctrl-q).
 */
final class Attach {
    static final String DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q";

    private Attach() {}

    /**
     * The bytes of a detach-keys list as docker takes it: comma-separated, each a character or
     * {@code ctrl-X} (X a letter or one of {@code @[\]^_}); empty: none.
     */
    static byte[] detachKeys(String spec) {
        if (spec == null || spec.isEmpty()) return new byte[0];
        List<Byte> keys = new ArrayList<>();
        for (String k : spec.split(",", -1)) {
            String key = k.toLowerCase(Locale.ROOT);
            if (key.length() == 1) {
                keys.add((byte) key.charAt(0));
            } else if (key.matches("ctrl-[a-z@\\[\\\\\\]^_]")) {
                keys.add((byte) (Character.toUpperCase(key.charAt(5)) & 0x1f));
            } else {
                throw new IllegalArgumentException("invalid detach keys '" + spec + "': give keys such as ctrl-p,ctrl-q (a character, or ctrl- and "
                        + "a letter or one of @[\\]^_)");
            }
        }
        byte[] out = new byte[keys.size()];
        for (int i = 0; i < out.length; i++) out[i] = keys.get(i);
        return out;
    }

    /**
     * Relays until the container's output ends (true) or the user detached (false). {@code stdin}
     * null: nothing is sent, and the container's stdin is left as it is.
     */
    static boolean relay(AttachSocket socket, InputStream stdin, PrintStream out, PrintStream err, byte[] detachKeys) throws IOException {
        var detached = new java.util.concurrent.atomic.AtomicBoolean();
        Thread input = null;
        if (stdin != null) {
            // A platform thread: it blocks in read(2) on this process's stdin, and nothing joins it.
            input = Thread.ofPlatform().daemon().name("attach-stdin").start(() -> {
                try {
                    if (forward(stdin, socket, detachKeys)) {
                        detached.set(true);
                        socket.close(); // ends the output's read
                    } else {
                        socket.shutdownOutput();
                    }
                } catch (IOException e) {
                    // the container's stdin is gone (it closed it, or exited): its output goes on
                }
            });
        }
        byte[] packet = new byte[AttachSocket.PACKET];
        try {
            for (int n; (n = socket.read(packet)) > 0; ) {
                PrintStream to = packet[0] == AttachSocket.STDERR ? err : out;
                to.write(packet, 1, n - 1);
                to.flush();
            }
        } catch (IOException e) {
            if (!detached.get()) throw e;
        } finally {
            socket.close();
        }
        return !detached.get();
    }

    /** Copies stdin to the socket; true when it stopped at the detach keys, false at the end of stdin. */
    private static boolean forward(InputStream stdin, AttachSocket socket, byte[] keys) throws IOException {
        byte[] buf = new byte[8192];
        byte[] send = new byte[8192 + keys.length];
        int matched = 0; // how many of the detach keys the last bytes typed were
        for (int n; (n = stdin.read(buf)) > 0; ) {
            int len = 0;
            for (int i = 0; i < n; i++) {
                byte b = buf[i];
                if (keys.length > 0 && b == keys[matched]) {
                    if (++matched == keys.length) {
                        if (len > 0) socket.write(send, 0, len);
                        return true;
                    }
                    continue;
                }
                // Not the sequence after all: what was held back goes through.
                for (int j = 0; j < matched; j++) send[len++] = keys[j];
                matched = 0;
                if (keys.length > 0 && b == keys[0]) {
                    matched = 1;
                    continue;
                }
                send[len++] = b;
            }
            if (len > 0) socket.write(send, 0, len);
        }
        return false;
    }

    /**
     * Puts this process's terminal in raw mode (what is typed goes to the container's terminal as it
     * is, ^C too) until the returned handle is closed; nothing when stdin is not a terminal.
     */
    static AutoCloseable rawTerminal() throws IOException {
        if (!io.strata.snapshots.Native.isTerminal(0)) return () -> {};
        String saved = stty("-g").strip();
        stty("raw", "-echo");
        return () -> stty(saved);
    }

    private static String stty(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("stty"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.INHERIT).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
            if (p.waitFor() != 0) throw new IOException("stty " + String.join(" ", args) + " failed");
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
