package io.strata.runner;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Names on the networks a user made, answered by aardvark-dns (podman's name server; Debian's
 * {@code aardvark-dns}) on each network's gateway, port 53; other names it forwards to the host's
 * resolvers. Its configuration is a file per network under {@code /run/strata/aardvark}: the
 * gateway, then a line per container ({@code ID IPV4 IPV6 NAME,ALIAS…}). A change is a rewrite of the
 * file and a SIGHUP; the server is started with the first container and stopped with the last, so
 * no process stays when no container is on such a network.
 */
final class NameServer {
    static final Path DIR = Networking.RUN.resolve("aardvark");

    private NameServer() {}

    /** A container's names on a network. */
    record Entry(String containerId, String ip, List<String> names) {}

    static Path binary() throws IOException {
        return Executables.find("aardvark-dns", "/usr/lib/podman", "/usr/libexec/podman")
                .orElseThrow(() -> new IOException("aardvark-dns, the name server of user networks, is not installed (Debian: apt-get install aardvark-dns)"));
    }

    /** Adds the container's names to the network's (gateway {@code gateway}) and has the server answer them. */
    static void add(String network, String gateway, Entry e) throws IOException {
        binary();
        change(network, gateway, lines -> {
            lines.removeIf(l -> l.startsWith(e.containerId() + " "));
            lines.add(e.containerId() + " " + e.ip() + "  " + String.join(",", e.names()));
        });
        // The server says it is ready before it binds, and rereads its files after a SIGHUP on its own
        // time: the container starts once its name is answered, so that one started next finds it.
        awaitAnswer(gateway, e.names().getFirst());
    }

    /** Asks the server at {@code gateway}:53 for {@code name}'s A record until it answers with one (at most 3 s). */
    private static void awaitAnswer(String gateway, String name) throws IOException {
        java.io.ByteArrayOutputStream q = new java.io.ByteArrayOutputStream();
        q.writeBytes(new byte[] {0x53, 0x74, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}); // id, recursion desired, one question
        for (String label : name.split("\\.")) {
            byte[] b = label.getBytes(StandardCharsets.US_ASCII);
            q.write(b.length);
            q.writeBytes(b);
        }
        q.writeBytes(new byte[] {0, 0, 1, 0, 1}); // end of name, type A, class IN
        byte[] query = q.toByteArray();
        long deadline = System.nanoTime() + 3_000_000_000L;
        try (java.net.DatagramSocket s = new java.net.DatagramSocket()) {
            s.setSoTimeout(100);
            java.net.InetSocketAddress server = new java.net.InetSocketAddress(java.net.InetAddress.getByName(gateway), 53);
            while (System.nanoTime() < deadline) {
                s.send(new java.net.DatagramPacket(query, query.length, server));
                byte[] answer = new byte[512];
                java.net.DatagramPacket reply = new java.net.DatagramPacket(answer, answer.length);
                try {
                    s.receive(reply);
                    boolean answered = reply.getLength() >= 12 && answer[0] == 0x53 && answer[1] == 0x74 && ((answer[6] & 0xff) << 8 | (answer[7] & 0xff)) > 0;
                    if (answered) return;
                } catch (java.net.SocketTimeoutException | java.net.PortUnreachableException notYet) {
                    // not serving yet, or not this name yet
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
        throw new IOException("the network's name server at " + gateway + " did not answer for " + name + " within 3 s (see "
                + Networking.RUN.resolve("aardvark.log") + ")");
    }

    /** Removes a container's names from every network. */
    static void remove(String containerId) throws IOException {
        if (!Files.isDirectory(DIR)) return;
        List<Path> files;
        try (var s = Files.list(DIR)) {
            files = s.filter(f -> !f.getFileName().toString().contains(".")).toList();
        }
        for (Path f : files) change(f.getFileName().toString(), null, lines -> lines.removeIf(l -> l.startsWith(containerId + " ")));
    }

    /** Removes a container's names from one network. */
    static void remove(String network, String containerId) throws IOException {
        if (!Files.exists(DIR.resolve(network))) return;
        change(network, null, lines -> lines.removeIf(l -> l.startsWith(containerId + " ")));
    }

    private interface Edit {
        void apply(List<String> entries);
    }

    private static void change(String network, String gateway, Edit edit) throws IOException {
        Files.createDirectories(DIR);
        try (FileChannel ch = FileChannel.open(Networking.RUN.resolve("aardvark.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             var ignored = ch.lock()) {
            Path file = DIR.resolve(network);
            List<String> lines = Files.exists(file) ? new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8)) : new ArrayList<>();
            String head = !lines.isEmpty() ? lines.removeFirst() : gateway;
            if (head == null) return; // a network this server never knew
            edit.apply(lines);
            if (lines.isEmpty()) {
                Files.deleteIfExists(file);
            } else {
                Path temp = DIR.resolve(network + ".tmp");
                Files.writeString(temp, head + "\n" + String.join("\n", lines) + "\n");
                Files.move(temp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
            signal();
        }
    }

    /** Starts the server, has it reread its files, or stops it when no network has names left. */
    private static void signal() throws IOException {
        boolean anyNames;
        try (var s = Files.list(DIR)) {
            anyNames = s.anyMatch(f -> !f.getFileName().toString().contains("."));
        }
        ProcessHandle running = running();
        if (!anyNames) {
            if (running != null) {
                running.destroy();
                try {
                    running.onExit().get(3, java.util.concurrent.TimeUnit.SECONDS); // gone when the last container is
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    running.destroyForcibly();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            Files.deleteIfExists(DIR.resolve("aardvark.pid"));
            return;
        }
        if (running != null) {
            run(List.of("kill", "-HUP", Long.toString(running.pid())));
            return;
        }
        // It forks, writes its pid file and returns once it serves.
        run(List.of(binary().toString(), "--config", DIR.toString(), "-p", "53", "run"));
    }

    private static ProcessHandle running() throws IOException {
        Path pid = DIR.resolve("aardvark.pid");
        if (!Files.exists(pid)) return null;
        try {
            return ProcessHandle.of(Long.parseLong(Files.readString(pid).strip()))
                    .filter(p -> p.info().command().map(c -> c.contains("aardvark")).orElse(false)).orElse(null);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static void run(List<String> command) throws IOException {
        // The server's child keeps what it inherited open: its output goes to a file, never to a pipe read to its end.
        Path log = Networking.RUN.resolve("aardvark.log"); // not in its directory: it reads every file there as a network
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        try {
            if (p.waitFor() != 0) {
                List<String> said = Files.readAllLines(log, StandardCharsets.UTF_8);
                throw new IOException(String.join(" ", command) + ": " + (said.isEmpty() ? "failed" : said.getLast()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
