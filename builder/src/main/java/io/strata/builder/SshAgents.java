package io.strata.builder;

import io.strata.runner.Executables;
import io.strata.snapshots.Native;
import io.strata.snapshots.OverlaySnapshotter;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The SSH agents a build's {@code RUN --mount=type=ssh} reach, by id, from {@code --ssh} as
 * BuildKit takes it: {@code default} (this environment's SSH_AUTH_SOCK), {@code ID=SOCKET} (a
 * running agent), or {@code ID=KEY[,KEY]} (key files, loaded into an agent of the build's own:
 * OpenSSH's ssh-agent, given them by ssh-add, stopped when the build ends). A RUN gets a socket of
 * its own that forwards each connection to the agent, owned and moded as the mount asks, so the
 * agent's own socket and the keys never enter the container.
 */
public final class SshAgents implements AutoCloseable {
    private final Map<String, Path> sockets = new LinkedHashMap<>();
    private final List<Process> agents = new ArrayList<>();
    private final Path dir;
    /** Stops the agents when the JVM ends another way (a ^C ends a build through its shutdown hooks). */
    private final Thread onExit = new Thread(this::stopAgents);

    private SshAgents(Path dir) {
        this.dir = dir;
    }

    /** No agent: a build without --ssh. */
    public static SshAgents none() {
        return new SshAgents(null);
    }

    /** The agents the --ssh values name; an agent of the build's own is started for key files. */
    public static SshAgents open(List<String> specs) throws IOException, InterruptedException {
        if (specs.isEmpty()) return none();
        // Under /tmp: a unix socket's path has at most 107 bytes, and a store's may be long.
        SshAgents agents = new SshAgents(Files.createTempDirectory("strata-ssh-"));
        Runtime.getRuntime().addShutdownHook(agents.onExit);
        try {
            for (String spec : specs) agents.add(spec);
            return agents;
        } catch (IOException | InterruptedException | RuntimeException e) {
            agents.close();
            throw e;
        }
    }

    private void add(String spec) throws IOException, InterruptedException {
        int eq = spec.indexOf('=');
        String id = eq < 0 ? spec : spec.substring(0, eq);
        if (id.isEmpty() || !id.matches("[A-Za-z0-9._-]+")) throw new IllegalArgumentException("--ssh " + spec + ": the id is letters, digits, . _ and -");
        if (sockets.containsKey(id)) throw new IllegalArgumentException("--ssh " + id + " is given twice");
        List<Path> paths = new ArrayList<>();
        if (eq < 0) {
            String env = System.getenv("SSH_AUTH_SOCK");
            if (env == null || env.isEmpty()) throw new IllegalArgumentException("--ssh " + id + ": SSH_AUTH_SOCK is not set (give --ssh " + id + "=SOCKET|KEY)");
            paths.add(Path.of(env));
        } else {
            for (String p : spec.substring(eq + 1).split(",")) paths.add(Path.of(p));
        }
        for (Path p : paths) {
            if (!Files.exists(p)) throw new IllegalArgumentException("--ssh " + id + ": no such file " + p);
        }
        Path first = paths.getFirst();
        boolean socket = paths.size() == 1 && !Files.isRegularFile(first) && Files.readAttributes(first, "unix:mode").get("mode") instanceof Integer m
                && (m & 0170000) == 0140000;
        sockets.put(id, socket ? first : agentWith(id, paths));
    }

    /** Starts ssh-agent on a socket of the build's and loads the keys into it. */
    private Path agentWith(String id, List<Path> keys) throws IOException, InterruptedException {
        Path agent = Executables.find("ssh-agent").orElseThrow(() -> new IllegalArgumentException(
                "--ssh " + id + " names key files, which need OpenSSH's ssh-agent (Debian's openssh-client)"));
        Path add = Executables.find("ssh-add").orElseThrow(() -> new IllegalArgumentException("--ssh " + id + ": no ssh-add (Debian's openssh-client)"));
        Path socket = dir.resolve("agent-" + id + ".sock");
        Process p = new ProcessBuilder(agent.toString(), "-D", "-a", socket.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        agents.add(p);
        for (int i = 0; i < 200 && !Files.exists(socket); i++) {
            if (!p.isAlive()) throw new IOException("ssh-agent ended at once (exit " + p.exitValue() + ")");
            Thread.sleep(10);
        }
        if (!Files.exists(socket)) throw new IOException("ssh-agent made no socket at " + socket);
        for (Path key : keys) {
            ProcessBuilder pb = new ProcessBuilder(add.toString(), key.toString()).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().put("SSH_AUTH_SOCK", socket.toString());
            pb.environment().remove("DISPLAY"); // no askpass window: a key with a passphrase is refused
            pb.environment().put("SSH_ASKPASS_REQUIRE", "never");
            Process added = pb.start();
            String said = new String(added.getInputStream().readAllBytes()).strip();
            if (added.waitFor() != 0) throw new IllegalArgumentException("--ssh " + id + ": ssh-add " + key + " failed: " + said);
        }
        return socket;
    }

    /**
     * A socket for one RUN that forwards to agent {@code id}, owned by uid:gid with {@code mode};
     * empty when the build has no such agent. Closing it stops the forwarding and removes it.
     */
    public java.util.Optional<Forward> forward(String id, int uid, int gid, int mode) throws IOException {
        Path agent = sockets.get(id);
        if (agent == null) return java.util.Optional.empty();
        Path socket = Files.createTempDirectory(dir, "run-").resolve("agent.sock");
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Native.lchown(socket, uid, gid);
        Native.chmod(socket, mode);
        Thread accepting = Thread.ofVirtual().start(() -> {
            while (server.isOpen()) {
                try {
                    SocketChannel in = server.accept();
                    Thread.ofVirtual().start(() -> connect(in, agent));
                } catch (IOException closedOrAgentGone) {
                    // closed: the RUN is over; an agent gone: this connection fails, as it would without us
                }
            }
        });
        return java.util.Optional.of(new Forward(socket, server, accepting));
    }

    /** One RUN's socket. */
    public record Forward(Path socket, ServerSocketChannel server, Thread accepting) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            server.close();
            OverlaySnapshotter.deleteTree(socket.getParent());
        }
    }

    /** One connection: bytes both ways until each side has said all it will; then both are closed. */
    private static void connect(SocketChannel in, Path agent) {
        try (in; SocketChannel out = SocketChannel.open(UnixDomainSocketAddress.of(agent))) {
            Thread back = Thread.ofVirtual().start(() -> pump(out, in));
            pump(in, out);
            back.join();
        } catch (IOException | InterruptedException agentGone) {
            // the client sees its connection closed, as it would with the agent gone
        }
    }

    /** Copies until end of input, then half-closes the other side (an agent's client may wait for its answer after that). */
    private static void pump(SocketChannel from, SocketChannel to) {
        ByteBuffer buf = ByteBuffer.allocate(16384);
        try {
            while (from.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) to.write(buf);
                buf.clear();
            }
            to.shutdownOutput();
        } catch (IOException closed) {
            // the other side went away: connect closes both
        }
    }

    @Override
    public void close() {
        stopAgents();
        if (dir != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(onExit);
            } catch (IllegalStateException exiting) {
                // the JVM is ending: the hook runs anyway
            }
            try {
                OverlaySnapshotter.deleteTree(dir);
            } catch (IOException ignored) {
                // a temporary directory: nothing depends on it
            }
        }
    }

    private void stopAgents() {
        for (Process p : agents) {
            p.destroy();
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly();
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
