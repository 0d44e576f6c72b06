package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strata.registry.ExternalTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The habits docker users rely on, as one table: each step runs through {@code strata} and through
 * {@code podman} (runc, the same image from the same registry), in order, on containers each made the
 * same way, and must answer the same exit code and the same output. Where Strata differs on purpose,
 * the step says so and why, and compares what still must agree.
 */
class HabitsIT extends ContainerCliTest {
    /**
     * What a step compares: exit codes always; the output of both against the table's, or, where
     * podman's differs for a stated reason, Strata's alone against it (null: any output).
     */
    sealed interface Compare permits Same, Differs {}

    record Same() implements Compare {}

    record Differs(String why) implements Compare {}

    static final Compare SAME = new Same();

    /**
     * One habit: the verb's words and its arguments (IMG: the image), what is piped to stdin (null:
     * nothing, /dev/null), variables set (a null value: unset) for both, the exit code and output both
     * must give, and how they are compared.
     */
    record Step(String what, List<String> verb, List<String> args, String stdin, Map<String, String> env, int exit, String out, Compare compare) {
        Step(String what, String verb, List<String> args, int exit, String out) {
            this(what, List.of(verb), args, null, Map.of(), exit, out, SAME);
        }

        Step stdin(String s) {
            return new Step(what, verb, args, s, env, exit, out, compare);
        }

        Step env(Map<String, String> e) {
            return new Step(what, verb, args, stdin, e, exit, out, compare);
        }

        Step differs(String why) {
            return new Step(what, verb, args, stdin, env, exit, out, new Differs(why));
        }
    }

    private static final String UNSET = "STRATA_HABIT_SURELY_UNSET";

    private static final String PODMAN_ETC = "podman counts /etc as changed for the mountpoints it made there (hosts, resolv.conf); "
            + "docker leaves them out of diff, and so does strata";

    private static Map<String, String> unset() {
        Map<String, String> m = new java.util.HashMap<>();
        m.put(UNSET, null);
        return m;
    }

    private List<Step> steps(Path envFile) {
        List<String> none = List.of("--network", "none");
        return List.of(
                // Setup, through both: a running container h, an exited one e.
                new Step("a detached container", "run", cat(List.of("-d", "--name", "h"), none, List.of("IMG", "sleep", "1000")), 0, null)
                        .differs("the id printed is each tool's own"),
                new Step("a container that exits 2", "run", cat(List.of("--name", "e"), none, List.of("IMG", "sh", "-c", "echo hi; exit 2")), 2, "hi\n"),

                new Step("the command's exit code", "run", cat(List.of("--rm"), none, List.of("IMG", "sh", "-c", "exit 3")), 3, ""),
                new Step("a command not found: 127", "run", cat(List.of("--rm"), none, List.of("IMG", "nosuch")), 127, ""),
                new Step("a command not executable: 126", "run", cat(List.of("--rm"), none, List.of("IMG", "/data/script")), 126, ""),
                new Step("the image's command, env and workdir", "run", cat(List.of("--rm"), none, List.of("IMG")), 0, "default command\n"),
                new Step("the image's env and workdir", "run", cat(List.of("--rm"), none, List.of("IMG", "sh", "-c", "echo $GREETING $PWD")), 0,
                        "hello /data\n"),
                new Step("stdout and stderr apart", "run", cat(List.of("--rm"), none, List.of("IMG", "sh", "-c", "echo out; echo err >&2")), 0, "out\n"),
                new Step("stdin is not read without -i", "run", cat(List.of("--rm"), none, List.of("IMG", "cat")), 0, "").stdin("piped\n"),
                new Step("stdin is read with -i", "run", cat(List.of("--rm", "-i"), none, List.of("IMG", "cat")), 0, "piped\n").stdin("piped\n"),
                new Step("-t without a terminal here: a terminal there, TERM=xterm", "run", cat(List.of("--rm", "-t"), none,
                        List.of("IMG", "sh", "-c", "test -t 0 && echo tty; echo $TERM")), 0, "tty\r\nxterm\r\n"),
                new Step("-e VAR unset on the host stays unset", "run", cat(List.of("--rm", "-e", UNSET), none,
                        List.of("IMG", "sh", "-c", "echo ${" + UNSET + "-unset}")), 0, "unset\n").env(unset()),
                new Step("-e VAR set on the host passes its value", "run", cat(List.of("--rm", "-e", "STRATA_HABIT_SET"), none,
                        List.of("IMG", "sh", "-c", "echo $STRATA_HABIT_SET")), 0, "from-host\n").env(Map.of("STRATA_HABIT_SET", "from-host")),
                new Step("--env-file: a bare name unset on the host stays unset", "run", cat(List.of("--rm", "--env-file", envFile.toString()), none,
                        List.of("IMG", "sh", "-c", "echo ${" + UNSET + "-unset} $A")), 0, "unset 1\n").env(unset()),
                new Step("--init: the command is not PID 1", "run", cat(List.of("--rm", "--init"), none,
                        List.of("IMG", "sh", "-c", "test $$ != 1 && echo not PID 1")), 0, "not PID 1\n"),
                new Step("-u NAME: its groups from the image", "run", cat(List.of("--rm", "-u", "app"), none, List.of("IMG", "id")), 0,
                        "uid=1000(app) gid=1000(app) groups=1000(app),2000(extra)\n"),
                new Step("--restart with --rm is refused", "run", cat(List.of("--rm", "--restart", "always"), none, List.of("IMG", "true")), 125, "")
                        .differs("the error's words are each tool's own"),
                new Step("an unknown option is refused", "run", List.of("--bogus", "IMG"), 125, "").differs("the error's words are each tool's own"),
                new Step("a bad stop signal is refused", "run", cat(List.of("--rm", "--stop-signal", "BOGUS"), none, List.of("IMG", "true")), 125, "")
                        .differs("the error's words are each tool's own"),

                new Step("kill -s BOGUS: invalid signal, 125", "kill", List.of("-s", "BOGUS", "h"), 125, ""),
                new Step("kill -s 99: invalid signal, 125", "kill", List.of("-s", "99", "h"), 125, ""),
                new Step("exec's exit code", "exec", List.of("h", "sh", "-c", "exit 4"), 4, ""),
                new Step("exec -e -w", "exec", List.of("-e", "A=1", "-w", "/tmp", "h", "sh", "-c", "echo $A $PWD"), 0, "1 /tmp\n"),
                new Step("exec -u", "exec", List.of("-u", "app", "h", "id", "-u"), 0, "1000\n"),
                new Step("exec -e VAR unset on the host", "exec", List.of("-e", UNSET, "h", "sh", "-c", "echo ${" + UNSET + "-unset}"), 0, "unset\n")
                        .env(unset()),
                new Step("exec reads no stdin without -i", "exec", List.of("h", "cat"), 0, "").stdin("piped\n"),
                new Step("exec -i reads stdin", "exec", List.of("-i", "h", "cat"), 0, "piped\n").stdin("piped\n"),
                new Step("exec of a command not found: 127", "exec", List.of("h", "nosuch"), 127, ""),
                new Step("exec -d", "exec", List.of("-d", "h", "touch", "/tmp/new"), 0, "")
                        .differs("podman prints its exec session's id; docker prints nothing, and so does strata"),
                new Step("inspect a container's state", "inspect", List.of("--format", "{{.State.Status}} {{.State.Running}}", "h"), 0, "running true\n"),
                new Step("inspect an image's command", "inspect", List.of("--format", "{{.Config.Cmd}}", "IMG"), 0, "[/bin/sh -c echo default command]\n"),
                new Step("inspect an image's platform", "inspect", List.of("--format", "{{.Architecture}} {{.Os}}", "IMG"), 0, "amd64 linux\n"),
                new Step("diff", "diff", List.of("h"), 0, "C /tmp\nA /tmp/new\n").differs(PODMAN_ETC),
                new Step("commit", "commit", List.of("-q", "h"), 0, null).differs("the new image's id is each tool's own"),
                new Step("commit again", "commit", List.of("-q", "h"), 0, null).differs("the new image's id is each tool's own"),
                new Step("diff after a commit: still the container's changes", "diff", List.of("h"), 0, "C /tmp\nA /tmp/new\n").differs(PODMAN_ETC),
                new Step("ps --filter status=exited", "ps", List.of("-a", "--filter", "status=exited", "--format", "{{.Names}}"), 0, "e\n"),
                new Step("ps --filter name=", "ps", List.of("-a", "--filter", "name=h", "--format", "{{.Names}} {{.Command}}"), 0, "h sleep 1000\n"),
                new Step("port of a container without ports", "port", List.of("h"), 0, ""),
                new Step("pause", "pause", List.of("h"), 0, "h\n"),
                new Step("inspect a paused container", "inspect", List.of("--format", "{{.State.Status}}", "h"), 0, "paused\n"),
                new Step("unpause", "unpause", List.of("h"), 0, "h\n"),
                new Step("start -a: the output, the exit code", "start", List.of("-a", "e"), 2, "hi\n"),
                new Step("wait of an exited container", "wait", List.of("e"), 0, "2\n"),
                new Step("logs of every run", "logs", List.of("e"), 0, "hi\nhi\n"),
                new Step("rename", "rename", List.of("e", "e2"), 0, ""),
                new Step("create --rm", "create", cat(List.of("--rm", "--name", "r"), none, List.of("IMG", "sh", "-c", "echo once; exit 5")), 0, null)
                        .differs("the id printed is each tool's own"),
                new Step("start -a of a --rm container: its exit code, though it is removed", "start", List.of("-a", "r"), 5, "once\n"),
                new Step("a --rm container is gone once it ran", "ps", List.of("-a", "--filter", "name=r", "--format", "{{.Names}}"), 0, ""),
                new Step("kill of a stopped container", "kill", List.of("e2"), 125, "").differs("the error's words are each tool's own"),
                new Step("stop", "stop", List.of("-t", "1", "h"), 0, "h\n"),
                new Step("rm of no such container", "rm", List.of("nosuch"), 1, "").differs("the error's words are each tool's own"),
                // One at a time: podman removes several at once and prints them as they end.
                new Step("rm", "rm", List.of("h"), 0, "h\n"),
                new Step("rm of the renamed", "rm", List.of("e2"), 0, "e2\n"));
    }

    @SafeVarargs
    private static List<String> cat(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> p : parts) all.addAll(p);
        return all;
    }

    @Test
    void strataAnswersAsPodmanDoes() throws Exception {
        ExternalTool.require("podman");
        ExternalTool.require("catatonit");
        ExternalTool.Result pulled = podmanRun("pull", "--quiet", "--tls-verify=false", image);
        assertEquals(0, pulled.exit(), pulled.err());
        assertEquals(0, strata("pull", "--root", store, "--quiet", image).exit());
        Path envFile = Files.writeString(tmp.resolve("env.list"), UNSET + "\nA=1\n");
        Path conf = Files.writeString(tmp.resolve("containers.conf"),
                "[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n");
        List<String> failures = new ArrayList<>();
        try {
            for (Step s : steps(envFile)) {
                List<String> args = s.args().stream().map(a -> a.equals("IMG") ? image : a).toList();
                List<String> ours = new ArrayList<>(List.of(LAUNCHER.toString()));
                ours.addAll(s.verb());
                ours.addAll(List.of("--root", store));
                ours.addAll(args);
                List<String> theirs = new ArrayList<>(podman());
                theirs.addAll(s.verb());
                theirs.addAll(args);
                Map<String, String> env = new java.util.HashMap<>(s.env());
                ExternalTool.Result p = exec(theirs, env, s.stdin(), Map.of("CONTAINERS_CONF", conf.toString()));
                ExternalTool.Result r = exec(ours, env, s.stdin(), Map.of("STRATA_NO_BUILD", "1"));
                String where = s.what() + " (" + String.join(" ", s.verb()) + " " + String.join(" ", args) + ")";
                // podman is the reference: that it answers as the table says shows the step is a habit and not a guess.
                if (p.exit() != s.exit() || s.compare() instanceof Same && !p.out().equals(s.out())) {
                    failures.add(where + ": podman answered " + p.exit() + " " + show(p.out()) + ", the table says " + s.exit() + " " + show(s.out())
                            + " (" + p.err().strip() + ")");
                }
                if (r.exit() != p.exit() || s.out() != null && !r.out().equals(s.out())) {
                    failures.add(where + ": strata answered " + r.exit() + " " + show(r.out()) + ", podman " + p.exit() + " " + show(p.out())
                            + " (strata's stderr: " + r.err().strip() + ")");
                }
            }
        } finally {
            exec(cat(podman(), List.of("rm", "-f", "-a")), Map.of(), null, Map.of("CONTAINERS_CONF", conf.toString()));
        }
        assertTrue(failures.isEmpty(), String.join("\n", failures));
    }

    private static String show(String out) {
        return out == null ? "(any)" : "\"" + out.replace("\r", "\\r").replace("\n", "\\n") + "\"";
    }

    /** Runs {@code cmd} with {@code env} changed (null values unset) and {@code stdin} piped (null: /dev/null). */
    private ExternalTool.Result exec(List<String> cmd, Map<String, String> env, String stdin, Map<String, String> more) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(tmp.toFile());
        env.forEach((k, v) -> {
            if (v == null) pb.environment().remove(k);
            else pb.environment().put(k, v);
        });
        pb.environment().putAll(more);
        Path in = stdin == null ? Path.of("/dev/null") : Files.writeString(Files.createTempFile(tmp, "in", ".txt"), stdin);
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        Process p = pb.redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(2, TimeUnit.MINUTES), String.join(" ", cmd));
        return new ExternalTool.Result(p.exitValue(), Files.readString(out), Files.readString(err));
    }
}
