package io.strata.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.strata.client.Trees;
import io.strata.registry.ExternalTool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * strata build against Debian's buildah (bud --layers) on the same Containerfile and context: the
 * same tree, config and history; then the cache: a rebuild runs nothing, a changed file reruns its
 * step and those after it only, --no-cache runs all.
 */
class BuildIT extends ContainerCliTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * A base image built by strata FROM scratch (busybox, a user, a data file) and pushed to the
     * test's registry: an image with a history, which buildah 1.28 wants of a base.
     */
    private String base() throws Exception {
        Path ctx = Files.createDirectories(tmp.resolve("base"));
        Path root = Files.createDirectories(ctx.resolve("rootfs"));
        for (String d : List.of("bin", "etc", "tmp", "data")) Files.createDirectories(root.resolve(d));
        io.strata.snapshots.Native.chmod(root.resolve("tmp"), 01777);
        Files.copy(Path.of(ExternalTool.ok("sh", "-c", "command -v busybox").trim()), root.resolve("bin/busybox"));
        for (String applet : List.of("sh", "echo", "cat", "rm", "mkdir", "true", "ls", "id")) Files.createSymbolicLink(root.resolve("bin/" + applet), Path.of("busybox"));
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n");
        Files.writeString(root.resolve("etc/group"), "root:x:0:\napp:x:1000:\n");
        Files.writeString(root.resolve("data/base.txt"), "base\n");
        Files.writeString(ctx.resolve("Containerfile"), "FROM scratch\nCOPY rootfs/ /\nENV PATH=/bin\nCMD [\"sh\"]\n");
        String ref = "127.0.0.1:" + registry.port() + "/lib/base:v1";
        Run built = strata("build", "--root", store, "-t", ref, ctx.toString());
        assertEquals(0, built.exit(), built.err());
        Run pushed = strata("push", "--root", store, ref);
        assertEquals(0, pushed.exit(), pushed.err());
        return ref;
    }

    /** A context with files to copy, files the ignore file leaves out, and a Containerfile of two stages using most instructions. */
    private Path context() throws Exception {
        String base = base();
        Path ctx = Files.createDirectories(tmp.resolve("ctx"));
        Files.writeString(ctx.resolve("app.txt"), "app\n");
        Files.writeString(ctx.resolve("README.md"), "readme\n");
        Files.writeString(ctx.resolve("NOTES.md"), "left out\n");
        Files.writeString(ctx.resolve("secret.key"), "left out\n");
        Files.createDirectories(ctx.resolve("conf/sub"));
        Files.writeString(ctx.resolve("conf/a.conf"), "a\n");
        Files.writeString(ctx.resolve("conf/sub/b.conf"), "b\n");
        Files.writeString(ctx.resolve(".dockerignore"), "*.key\n*.md\n!README.md\n");
        Files.writeString(ctx.resolve("Containerfile"), """
                # syntax=docker/dockerfile:1
                ARG BASE=%s
                FROM ${BASE} AS build
                RUN echo built > /built.txt
                FROM ${BASE}
                ARG GREETING=hi
                ENV APP_HOME=/srv/app MODE="two words"
                WORKDIR $APP_HOME
                COPY app.txt README.md ./
                COPY conf/ conf/
                COPY --chown=1000:1000 --chmod=0600 app.txt owned.txt
                COPY --from=build /built.txt /srv/
                RUN echo "$GREETING from $APP_HOME ($MODE)" > greeting && rm /data/base.txt
                LABEL org.example.title="a title" version=2
                EXPOSE 8080 53/udp
                VOLUME /srv/data
                USER app
                STOPSIGNAL SIGINT
                ENTRYPOINT ["/bin/sh", "-c"]
                CMD ["cat greeting"]
                """.formatted(base));
        return ctx;
    }

    /**
     * One Containerfile with every instruction and every option buildah 1.28 takes (its parser has
     * no here-documents, COPY --link, ADD --checksum or RUN --network: each is built and checked by
     * a test of its own below), in two stages.
     */
    private Path everyInstruction() throws Exception {
        Path ctx = context(); // its files, and the base image it pushed
        String base = "127.0.0.1:" + registry.port() + "/lib/base:v1";
        String config = strata("inspect", "--root", store, "--format", "{{.Id}}", base).out().strip();
        Path packed = Files.createDirectories(tmp.resolve("packed"));
        Files.writeString(packed.resolve("packed.txt"), "packed\n");
        ExternalTool.ok("tar", "-czf", ctx.resolve("archive.tar.gz").toString(), "-C", packed.toString(), "packed.txt");
        Files.writeString(ctx.resolve("Containerfile"), """
                # syntax=docker/dockerfile:1
                # escape=\\
                ARG BASE=%1$s
                FROM ${BASE} AS build
                SHELL ["/bin/sh", "-c"]
                RUN echo built > /built.txt
                FROM ${BASE}
                MAINTAINER someone@example.org
                ARG GREETING=hi
                ARG HTTP_PROXY
                ENV APP_HOME=/srv/app MODE="two words"
                WORKDIR $APP_HOME
                COPY app.txt README.md ./
                COPY conf/ conf/
                COPY --chown=1000:1000 --chmod=0600 app.txt owned.txt
                COPY --chown=app:app app.txt named.txt
                COPY --from=build /built.txt /srv/
                ADD archive.tar.gz /srv/unpacked/
                ADD http://127.0.0.1:%2$d/v2/lib/base/blobs/%3$s /srv/config.json
                RUN --mount=type=cache,target=/cache --mount=type=bind,source=app.txt,target=/mnt/app.txt \\
                    --mount=type=secret,id=token --mount=type=tmpfs,target=/scratch \\
                    echo "$GREETING from $APP_HOME ($MODE)" > greeting && cat /mnt/app.txt /run/secrets/token | wc -l >> greeting \\
                    && rm /data/base.txt
                LABEL org.example.title="a title" version=2
                EXPOSE 8080 53/udp
                VOLUME /srv/data
                USER app
                STOPSIGNAL SIGINT
                HEALTHCHECK --interval=30s --timeout=5s --start-period=2s --retries=3 CMD ["cat", "greeting"]
                ONBUILD RUN echo triggered
                SHELL ["/bin/sh", "-ec"]
                ENTRYPOINT ["/bin/sh", "-c"]
                CMD ["cat greeting"]
                """.formatted(base, registry.port(), config));
        return ctx;
    }

    @Test
    void buildsWhatBuildahBuilds() throws Exception {
        ExternalTool.require("buildah");
        Path ctx = everyInstruction();
        Path secret = Files.writeString(tmp.resolve("token"), "s3cr3t\n");
        Run built = strata("build", "--root", store, "--secret", "id=token,src=" + secret, "-t", "localhost/built:v1", ctx.toString());
        assertEquals(0, built.exit(), built.err());
        assertTrue(built.out().strip().matches("sha256:[0-9a-f]{64}"), "the image's ID on stdout: " + built.out());
        assertEquals("hi from /srv/app (two words)\n2\n", run("--rm", "--network", "none", "localhost/built:v1").out());

        // buildah builds the same (in docker's format, which keeps HEALTHCHECK, ONBUILD and SHELL), and
        // its image is loaded into a store of its own to be read the same way.
        Path b = tmp.resolve("buildah");
        List<String> buildah = List.of("buildah", "--root", b.resolve("root").toString(), "--runroot", b.resolve("run").toString(),
                "--storage-driver", "vfs");
        ExternalTool.Result bud = ExternalTool.run(cat(buildah, List.of("bud", "--layers", "--format", "docker", "--tls-verify=false",
                "--isolation", "chroot", "--network", "host", "--secret", "id=token,src=" + secret, "-t", "localhost/built:v1", ctx.toString())));
        assertEquals(0, bud.exit(), bud.out() + bud.err());
        Path archive = tmp.resolve("buildah.tar");
        ExternalTool.Result pushed = ExternalTool.run(cat(buildah, List.of("push", "localhost/built:v1", "oci-archive:" + archive + ":localhost/built:v1")));
        assertEquals(0, pushed.exit(), pushed.err());
        String theirs = tmp.resolve("theirs").toString();
        Run loaded = strata("load", "--root", theirs, "-i", archive.toString());
        assertEquals(0, loaded.exit(), loaded.err());

        // The config as buildah keeps it (an OCI archive's config drops docker's extensions).
        JsonNode their = JSON.readTree(ExternalTool.ok(cat(buildah, List.of("inspect", "--type", "image", "localhost/built:v1")).toArray(String[]::new)))
                .path("Docker");
        JsonNode ours = inspect(store, "localhost/built:v1");
        // buildah marks its images with a label of its own version: a difference allowed.
        ((com.fasterxml.jackson.databind.node.ObjectNode) their.path("config").path("Labels")).remove("io.buildah.version");
        for (String field : List.of("Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Volumes", "Labels", "StopSignal",
                "Healthcheck", "OnBuild", "Shell")) {
            assertEquals(their.path("config").path(field), ours.path("Config").path(field), "Config." + field);
        }
        List<String> theirHistory = new ArrayList<>();
        for (JsonNode h : their.path("history")) theirHistory.add(createdBy(h));
        List<String> ourHistory = history(store);
        // Where buildah 1.28's history differs on purpose, strata writes docker's:
        // - ARG HTTP_PROXY: buildah names the stage's other ARGs again (ARG GREETING); docker names the one declared.
        // - ADD of a URL: buildah names its content by a bare digest, docker and strata as file:DIGEST.
        // - RUN --mount: buildah keeps the --mount flags in the command; BuildKit leaves them out (a
        //   secret's id and the mounts are not the command), and so does strata.
        int arg = ourHistory.indexOf("/bin/sh -c #(nop) ARG HTTP_PROXY empty_layer=true");
        assertEquals("/bin/sh -c #(nop) ARG GREETING empty_layer=true", theirHistory.set(arg, ourHistory.get(arg)));
        int url = ourHistory.indexOf("/bin/sh -c #(nop) ADD file:<content> in /srv/config.json  empty_layer=false");
        assertTrue(theirHistory.set(url, ourHistory.get(url)).matches("/bin/sh -c #\\(nop\\) ADD [0-9a-f]{64} in /srv/config.json  empty_layer=false"));
        int runStep = url + 1;
        String theirRun = theirHistory.set(runStep, ourHistory.get(runStep));
        assertEquals(ourHistory.get(runStep).replace("/bin/sh -c echo", "/bin/sh -c --mount=type=cache,target=/cache "
                + "--mount=type=bind,source=app.txt,target=/mnt/app.txt     --mount=type=secret,id=token --mount=type=tmpfs,target=/scratch     echo")
                .replace("greeting     && rm", "greeting     && rm"), theirRun);
        assertEquals(theirHistory, ourHistory, "created_by and empty_layer, step by step");
        // buildah's RUN (chroot isolation) leaves in its layer the mountpoints it made (empty files and
        // directories); docker leaves them out of a layer, and so does strata: a difference allowed.
        Map<String, String> theirTree = tree(theirs);
        for (String made : List.of("dev", "proc", "run", "run/secrets", "sys", "etc/hostname", "etc/hosts", "etc/resolv.conf", "mnt")) {
            assertTrue(theirTree.remove(made) != null, "buildah left " + made + ": " + theirTree.keySet());
        }
        assertEquals(theirTree, tree(store), "the image's files");
    }

    @Test
    void theCacheRerunsOnlyWhatChanged() throws Exception {
        Path ctx = context();
        Run first = strata("build", "--root", store, "-t", "localhost/cached:v1", ctx.toString());
        assertEquals(0, first.exit(), first.err());
        Run again = strata("build", "--root", store, "-t", "localhost/cached:v1", ctx.toString());
        assertEquals(0, again.exit(), again.err());
        assertEquals(first.out(), again.out(), "the same image");
        assertEquals(16, count(again.err(), "--> Using cache"), "every step from the cache: " + again.err());
        // One copied file changed: its COPY and the steps after it run again, the ones before do not.
        Files.writeString(ctx.resolve("conf/a.conf"), "changed\n");
        Run changed = strata("build", "--root", store, "-t", "localhost/cached:v2", ctx.toString());
        assertEquals(0, changed.exit(), changed.err());
        assertEquals(5, count(changed.err(), "--> Using cache"), "the first stage's RUN, ARG, ENV, WORKDIR, the first COPY: " + changed.err());
        assertTrue(!changed.out().equals(first.out()));
        // An ignored file changed: nothing runs.
        Files.writeString(ctx.resolve("NOTES.md"), "still left out\n");
        Run ignored = strata("build", "--root", store, ctx.toString());
        assertEquals(changed.out(), ignored.out());
        Run none = strata("build", "--root", store, "--no-cache", ctx.toString());
        assertEquals(0, none.exit(), none.err());
        assertEquals(0, count(none.err(), "--> Using cache"));
        // gc keeps the cache; builder prune lets it go.
        assertEquals(0, strata("gc", "--root", store).exit());
        assertEquals(16, count(strata("build", "--root", store, ctx.toString()).err(), "--> Using cache"));
        assertEquals(0, strata("builder", "prune", "-f", "--root", store).exit());
        assertEquals(0, count(strata("build", "--root", store, ctx.toString()).err(), "--> Using cache"));
    }

    @Test
    void hereDocumentsAndTheSameDigestWithSourceDateEpoch() throws Exception {
        Path ctx = Files.createDirectories(tmp.resolve("heredocs"));
        Path packed = Files.createDirectories(tmp.resolve("packed/x"));
        Files.writeString(packed.resolve("y.txt"), "from the archive\n");
        ExternalTool.ok("tar", "-C", tmp.resolve("packed").toString(), "-czf", ctx.resolve("files.tar.gz").toString(), "x");
        Files.writeString(ctx.resolve("Containerfile"), """
                FROM %s
                ARG WHO=docs
                RUN <<EOF
                echo "one for $WHO" > /tmp/one
                echo two >> /tmp/one
                EOF
                COPY <<greeting.txt <<'raw.txt' /etc/
                hello $WHO
                greeting.txt
                kept $WHO
                raw.txt
                RUN cat <<A > /tmp/two
                fed $WHO
                A
                ADD files.tar.gz /opt/
                WORKDIR /opt
                COPY files.tar.gz .
                COPY files.tar.gz /tmp
                CMD ["cat", "/tmp/one", "/etc/greeting.txt", "/etc/raw.txt", "/tmp/two", "/opt/x/y.txt"]
                """.formatted(image));
        Run first = strata("build", "--root", store, "--no-cache", "--build-arg", "SOURCE_DATE_EPOCH=1700000000", "-t", "localhost/docs:v1", ctx.toString());
        assertEquals(0, first.exit(), first.err());
        assertEquals("one for docs\ntwo\nhello docs\nkept $WHO\nfed docs\nfrom the archive\n", run("--rm", "--network", "none", "localhost/docs:v1").out(),
                "ADD unpacks a local archive; COPY copies it as a file");
        // "." is the working directory, and a directory the image has is copied into, not over.
        assertEquals(0, run("--rm", "--network", "none", "--entrypoint", "ls", "localhost/docs:v1", "/opt/files.tar.gz", "/tmp/files.tar.gz").exit());
        Thread.sleep(1100); // another second: without the clamp, times would differ
        Run second = strata("build", "--root", store, "--no-cache", "--build-arg", "SOURCE_DATE_EPOCH=1700000000", ctx.toString());
        assertEquals(0, second.exit(), second.err());
        assertEquals(first.out(), second.out(), "two builds at different times, one image");
        assertEquals("2023-11-14T22:13:20Z\n", strata("inspect", "--root", store, "--format", "{{.Created}}", "localhost/docs:v1").out());
        Run unclamped = strata("build", "--root", store, "--no-cache", ctx.toString());
        assertTrue(!unclamped.out().equals(first.out()), "without it, the times make another image");
    }

    @Test
    void runMountsCacheBindSecretAndTmpfs() throws Exception {
        Path ctx = Files.createDirectories(tmp.resolve("mounts"));
        Files.writeString(ctx.resolve("ctxfile.txt"), "ctx\n");
        Path secret = Files.writeString(tmp.resolve("token"), "s3cr3t\n");
        Files.writeString(ctx.resolve("Containerfile"), """
                FROM %1$s AS tools
                RUN echo tool > /tool.txt
                FROM %1$s
                RUN --mount=type=cache,target=/cache echo run >> /cache/count && cat /cache/count > /tmp/seen
                RUN --mount=type=secret,id=token test -s /run/secrets/token && echo yes > /tmp/secret-seen
                RUN --mount=type=bind,source=ctxfile.txt,target=/mnt/ctx.txt cat /mnt/ctx.txt > /tmp/from-context
                RUN --mount=type=bind,from=tools,source=/tool.txt,target=/mnt/tool.txt cat /mnt/tool.txt > /tmp/from-stage
                RUN --mount=type=tmpfs,target=/scratch touch /scratch/x && ls /scratch > /tmp/tmpfs
                CMD ["cat", "/tmp/seen", "/tmp/secret-seen", "/tmp/from-context", "/tmp/from-stage", "/tmp/tmpfs"]
                """.formatted(image));
        Run built = strata("build", "--root", store, "--secret", "id=token,src=" + secret, "-t", "localhost/mounts:v1", ctx.toString());
        assertEquals(0, built.exit(), built.err());
        assertEquals("run\nyes\nctx\ntool\nx\n", run("--rm", "--network", "none", "localhost/mounts:v1").out());
        // What was mounted is not in the image: not the secret, the cache, the binds or the tmpfs.
        Run left = run("--rm", "--network", "none", "--entrypoint", "ls", "localhost/mounts:v1", "/run/secrets/token", "/cache", "/mnt/ctx.txt", "/scratch");
        assertEquals(1, left.exit(), "none of them: " + left.out());
        assertTrue(!strata("history", "--root", store, "--format", "json", "localhost/mounts:v1").out().contains("s3cr3t"));
        // The cache directory outlives the build: a second run of the step sees the first one's file.
        Run again = strata("build", "--root", store, "--no-cache", "--secret", "id=token,src=" + secret, "-t", "localhost/mounts:v2", ctx.toString());
        assertEquals(0, again.exit(), again.err());
        assertTrue(run("--rm", "--network", "none", "localhost/mounts:v2").out().startsWith("run\nrun\nyes\n"));
        Run noSecret = strata("build", "--root", store, "--no-cache", ctx.toString());
        assertTrue(noSecret.exit() != 0, "an optional secret not given is not mounted, and the step's test fails: " + noSecret.err());
        assertEquals("", strata("ps", "-a", "-q", "--root", store).out(), "no container left");
    }

    /**
     * RUN --mount=type=ssh: the step reaches an agent holding the key (OpenSSH's ssh-add, with its
     * libraries, run in the container lists it), from key files (an agent of the build's own) and
     * from a running agent's socket; the socket is the mount's uid's; neither the socket, its
     * directories nor the key are in the image, and the build's agent is gone after.
     */
    @Test
    void sshMountsReachAnAgentNeverTheKey() throws Exception {
        ExternalTool.require("ssh-agent");
        Path ctx = Files.createDirectories(tmp.resolve("ssh"));
        Path key = tmp.resolve("id_ed25519");
        ExternalTool.ok("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "strata-test", "-f", key.toString());
        String fingerprint = ExternalTool.ok("ssh-keygen", "-lf", key + ".pub").strip();
        // ssh-add and what it links, run by its loader: the test image has busybox alone.
        Path tools = Files.createDirectories(ctx.resolve("tools"));
        List<String> files = new ArrayList<>(List.of("/usr/bin/ssh-add"));
        java.util.regex.Matcher lib = java.util.regex.Pattern.compile("(/\\S+)").matcher(ExternalTool.ok("ldd", "/usr/bin/ssh-add"));
        while (lib.find()) files.add(lib.group(1));
        String loader = null;
        for (String f : files) {
            Path name = Path.of(f).getFileName();
            Files.copy(Path.of(f), tools.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            if (name.toString().startsWith("ld-linux")) loader = name.toString();
        }
        String list = "/tools/" + loader + " --library-path /tools /tools/ssh-add -l";
        Files.writeString(ctx.resolve("Containerfile"), """
                FROM %1$s
                RUN --mount=type=bind,source=tools,target=/tools --mount=type=ssh,id=deploy,uid=1000,mode=0600 \\
                    stat -c '%%u %%a' $SSH_AUTH_SOCK > /tmp/socket && %2$s > /tmp/deploy-keys
                RUN --mount=type=bind,source=tools,target=/tools --mount=type=ssh,target=/agent.sock \\
                    test "$SSH_AUTH_SOCK" = /agent.sock && %2$s > /tmp/default-keys
                CMD ["cat", "/tmp/socket", "/tmp/deploy-keys", "/tmp/default-keys"]
                """.formatted(image, list));
        Path agentSocket = tmp.resolve("agent.sock");
        Process agent = new ProcessBuilder("ssh-agent", "-D", "-a", agentSocket.toString()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            for (int i = 0; i < 200 && !Files.exists(agentSocket); i++) Thread.sleep(10);
            ProcessBuilder add = new ProcessBuilder("ssh-add", key.toString()).redirectErrorStream(true);
            add.environment().put("SSH_AUTH_SOCK", agentSocket.toString());
            assertEquals(0, add.start().waitFor());
            Run built = strata("build", "--root", store, "--network", "none", "--ssh", "deploy=" + key, "--ssh", "default=" + agentSocket,
                    "-t", "localhost/ssh:v1", ctx.toString());
            assertEquals(0, built.exit(), built.err());
        } finally {
            agent.destroy();
        }
        assertEquals("1000 600\n" + fingerprint + "\n" + fingerprint + "\n", run("--rm", "--network", "none", "localhost/ssh:v1").out());
        Run left = run("--rm", "--network", "none", "--entrypoint", "ls", "localhost/ssh:v1", "/run/buildkit", "/agent.sock", "/tools");
        assertEquals(1, left.exit(), "no socket, stub directory or bind left in the image: " + left.out());
        Path tar = tmp.resolve("ssh.tar");
        assertEquals(0, strata("create", "--root", store, "--name", "ssh-files", "localhost/ssh:v1").exit());
        assertEquals(0, strata("export", "--root", store, "-o", tar.toString(), "ssh-files").exit());
        assertEquals(0, strata("rm", "--root", store, "ssh-files").exit());
        String exported = new String(Files.readAllBytes(tar), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(exported.contains("tmp/deploy-keys") && !exported.contains("OPENSSH PRIVATE KEY"), "the key is in no file of the image");
        assertEquals("", ExternalTool.ok("sh", "-c", "pgrep -f '[s]sh-agent -D -a /tmp/strata-ssh-' || true"), "the build's agent stopped");

        Files.writeString(ctx.resolve("Containerfile"), "FROM " + image + "\nRUN --mount=type=ssh,id=deploy,required=true true\n");
        Run missing = strata("build", "--root", store, ctx.toString());
        assertEquals(1, missing.exit());
        assertTrue(missing.err().contains("Containerfile:2: RUN --mount=type=ssh,id=deploy,required=true: no SSH agent deploy: give it with --ssh deploy"),
                missing.err());
    }

    @Test
    void aContextOnStdinPushedAndWrittenOut() throws Exception {
        Path ctx = Files.createDirectories(tmp.resolve("piped"));
        Files.writeString(ctx.resolve("note.txt"), "piped\n");
        Files.writeString(ctx.resolve("Containerfile"), "FROM " + image + "\nCOPY note.txt /\nCMD [\"cat\", \"/note.txt\"]\n");
        String ref = "127.0.0.1:" + registry.port() + "/lib/piped:v1";
        Path archive = tmp.resolve("piped.tar");
        Path script = Files.writeString(tmp.resolve("pipe.sh"), "tar -C " + ctx + " -cz . | STRATA_NO_BUILD=1 " + LAUNCHER + " build --root " + store
                + " -t " + ref + " --push --output type=oci,dest=" + archive + " -\n");
        var piped = ExternalTool.run(List.of("sh", script.toString()));
        assertEquals(0, piped.exit(), piped.err());
        assertEquals("piped\n", run("--rm", "--network", "none", ref).out());
        // Pushed: any client sees it; written out: another store loads it.
        assertEquals(0, ExternalTool.run(List.of("skopeo", "inspect", "--tls-verify=false", "docker://" + ref)).exit());
        ExternalTool.require("podman");
        ExternalTool.Result pulled = podmanRun("pull", "--quiet", "--tls-verify=false", ref);
        assertEquals(0, pulled.exit(), pulled.err());
        ExternalTool.Result ran = podmanRun("run", "--rm", "--network", "none", ref);
        assertEquals("piped\n", ran.out(), "podman runs what strata built: " + ran.err());
        Run loaded = strata("load", "--root", tmp.resolve("other").toString(), "-i", archive.toString());
        assertEquals("Loaded image: " + ref + "\n", loaded.out(), loaded.err());
        // A Containerfile alone on stdin: an empty context.
        Path alone = Files.writeString(tmp.resolve("alone.sh"), "printf 'FROM " + image + "\\nCMD [\"echo\", \"alone\"]\\n' | STRATA_NO_BUILD=1 "
                + LAUNCHER + " build --root " + store + " -t localhost/alone:v1 -\n");
        var fromStdin = ExternalTool.run(List.of("sh", alone.toString()));
        assertEquals(0, fromStdin.exit(), fromStdin.err());
        assertEquals("alone\n", run("--rm", "--network", "none", "localhost/alone:v1").out());
        assertTrue(strata("build", "--root", store, "--push", ctx.toString()).err().contains("--push needs a name"));
    }

    @Test
    void healthcheckAndOnbuildAsDockerRecordsThem() throws Exception {
        Path parent = Files.createDirectories(tmp.resolve("parent"));
        Files.writeString(parent.resolve("Containerfile"), """
                FROM %s
                HEALTHCHECK --interval=5s --timeout=1m30s --retries=3 CMD true
                ONBUILD COPY note.txt /from-onbuild.txt
                ONBUILD RUN echo triggered > /triggered.txt
                """.formatted(image));
        Run built = strata("build", "--root", store, "-t", "localhost/parent:v1", parent.toString());
        assertEquals(0, built.exit(), built.err());
        assertEquals("{\"Test\":[\"CMD-SHELL\",\"true\"],\"Interval\":5000000000,\"Timeout\":90000000000,\"Retries\":3}\n",
                strata("inspect", "--root", store, "--format", "{{json .Config.Healthcheck}}", "localhost/parent:v1").out());
        assertEquals("[\"COPY note.txt /from-onbuild.txt\",\"RUN echo triggered > /triggered.txt\"]\n",
                strata("inspect", "--root", store, "--format", "{{json .Config.OnBuild}}", "localhost/parent:v1").out());
        // A build FROM it runs the triggers first, in its own context, and does not pass them on.
        Path child = Files.createDirectories(tmp.resolve("child"));
        Files.writeString(child.resolve("note.txt"), "the child's note\n");
        Files.writeString(child.resolve("Containerfile"), "FROM localhost/parent:v1\nCMD [\"cat\", \"/from-onbuild.txt\", \"/triggered.txt\"]\n");
        Run childBuilt = strata("build", "--root", store, "-t", "localhost/child:v1", child.toString());
        assertEquals(0, childBuilt.exit(), childBuilt.err());
        assertEquals("the child's note\ntriggered\n", run("--rm", "--network", "none", "localhost/child:v1").out());
        assertEquals("null\n", strata("inspect", "--root", store, "--format", "{{json .Config.OnBuild}}", "localhost/child:v1").out());
    }

    @Test
    void addOfAUrlCheckedAgainstItsChecksum() throws Exception {
        assertEquals(0, strata("pull", "--root", store, "--quiet", image).exit());
        String id = strata("inspect", "--root", store, "--format", "{{.Id}}", image).out().strip(); // the config's digest
        String url = "http://127.0.0.1:" + registry.port() + "/v2/lib/busybox/blobs/" + id;
        Path ctx = Files.createDirectories(tmp.resolve("url"));
        Files.writeString(ctx.resolve("Containerfile"), "FROM " + image + "\nADD --checksum=" + id + " " + url + " /cfg.json\nCMD [\"cat\", \"/cfg.json\"]\n");
        Run built = strata("build", "--root", store, "-t", "localhost/url:v1", ctx.toString());
        assertEquals(0, built.exit(), built.err());
        assertTrue(run("--rm", "--network", "none", "localhost/url:v1").out().contains("\"rootfs\""), "the blob, fetched");
        String wrong = "sha256:" + "0".repeat(64);
        Files.writeString(ctx.resolve("Containerfile"), "FROM " + image + "\nADD --checksum=" + wrong + " " + url + " /cfg.json\n");
        Run refused = strata("build", "--root", store, ctx.toString());
        assertEquals(1, refused.exit());
        assertTrue(refused.err().contains("Containerfile:2: ADD " + url + " has digest " + id + ", not the --checksum " + wrong), refused.err());
    }

    /**
     * --platform: a two-platform index (pushed by buildah's manifest push, from images strata built
     * for amd64 and for arm64) gives each build the image of its platform, the platform ARGs say it,
     * and a RUN of a foreign image says it needs an emulator (this host has none registered) unless
     * binfmt_misc has one.
     */
    @Test
    void buildsForThePlatformAsked() throws Exception {
        ExternalTool.require("buildah");
        String registryHost = "127.0.0.1:" + registry.port();
        String busybox = ExternalTool.ok("sh", "-c", "command -v busybox").trim();
        for (String arch : List.of("amd64", "arm64")) {
            Path ctx = Files.createDirectories(tmp.resolve("plat-" + arch));
            Files.createDirectories(ctx.resolve("rootfs/bin"));
            Files.createDirectories(ctx.resolve("rootfs/data"));
            Files.copy(Path.of(busybox), ctx.resolve("rootfs/bin/busybox"));
            Files.createSymbolicLink(ctx.resolve("rootfs/bin/sh"), Path.of("busybox"));
            Files.writeString(ctx.resolve("rootfs/data/arch.txt"), arch + "\n");
            Files.writeString(ctx.resolve("Containerfile"), "FROM --platform=linux/" + arch + " scratch\nCOPY rootfs/ /\nCMD [\"sh\"]\n");
            String ref = registryHost + "/lib/plat:" + arch;
            Run built = strata("build", "--root", store, "-t", ref, ctx.toString());
            assertEquals(0, built.exit(), built.err());
            assertEquals(arch + "\n", strata("inspect", "--root", store, "--format", "{{.Architecture}}", ref).out());
            assertEquals(0, strata("push", "--root", store, ref).exit());
        }
        Path b = tmp.resolve("buildah-plat");
        List<String> buildah = List.of("buildah", "--root", b.resolve("root").toString(), "--runroot", b.resolve("run").toString(), "--storage-driver", "vfs");
        String index = registryHost + "/lib/plat:multi";
        ExternalTool.ok(cat(buildah, List.of("manifest", "create", "localhost/plat")).toArray(String[]::new));
        for (String arch : List.of("amd64", "arm64")) {
            ExternalTool.ok(cat(buildah, List.of("manifest", "add", "--tls-verify=false", "localhost/plat", "docker://" + registryHost + "/lib/plat:" + arch))
                    .toArray(String[]::new));
        }
        ExternalTool.ok(cat(buildah, List.of("manifest", "push", "--all", "--tls-verify=false", "localhost/plat", "docker://" + index)).toArray(String[]::new));

        Path ctx = Files.createDirectories(tmp.resolve("plat-build"));
        Files.writeString(ctx.resolve("Containerfile"), """
                ARG TARGETARCH
                FROM %s AS base
                FROM base
                ARG TARGETPLATFORM
                ARG TARGETARCH
                ENV BUILT_FOR=$TARGETPLATFORM ARCH=$TARGETARCH
                COPY --from=base /data/arch.txt /copied.txt
                """.formatted(index));
        for (String arch : List.of("arm64", "amd64")) {
            String fresh = tmp.resolve("plat-store-" + arch).toString(); // a store with no image of the index yet
            Run built = strata("build", "--root", fresh, "--platform", "linux/" + arch, "-t", "localhost/plat-built:v1", ctx.toString());
            assertEquals(0, built.exit(), built.err());
            assertEquals(arch + " [" + io.strata.runner.Runner.DEFAULT_PATH + " BUILT_FOR=linux/" + arch + " ARCH=" + arch + "]\n",
                    strata("inspect", "--root", fresh, "--format", "{{.Architecture}} {{.Config.Env}}", "localhost/plat-built:v1").out());
            Path tar = tmp.resolve("plat-" + arch + ".tar");
            Run created = strata("create", "--root", fresh, "--name", "plat-" + arch, "localhost/plat-built:v1");
            assertEquals(0, created.exit(), created.err());
            assertEquals(0, strata("export", "--root", fresh, "-o", tar.toString(), "plat-" + arch).exit());
            assertEquals(0, strata("rm", "--root", fresh, "plat-" + arch).exit());
            assertEquals(arch + "\n", ExternalTool.ok("tar", "-xOf", tar.toString(), "copied.txt"), "the base of " + arch + " from the index");
        }

        // The store's copy of the index's image is now the amd64 one; arm64 asked again is pulled again.
        Files.writeString(ctx.resolve("Containerfile"), "FROM " + index + "\nRUN cat /data/arch.txt\n");
        Run foreign = strata("build", "--root", store, "--platform", "linux/arm64", ctx.toString());
        boolean emulator = Files.exists(Path.of("/proc/sys/fs/binfmt_misc/qemu-aarch64"));
        if (emulator) {
            assertEquals(0, foreign.exit(), "binfmt_misc runs arm64 programs here: " + foreign.err());
        } else {
            assertEquals(1, foreign.exit(), foreign.err());
            assertTrue(foreign.err().contains("Containerfile:2: the image is for linux/arm64 and this host is " + io.strata.oci.Platform.host()
                    + ": running its programs needs an emulator registered with binfmt_misc"), foreign.err());
        }
        Run bad = strata("build", "--root", store, "--platform", "linux", ctx.toString());
        assertEquals(1, bad.exit(), bad.err());
        assertTrue(bad.err().contains("platform must be os/arch[/variant], was linux"), bad.err());
    }

    /** The options buildah 1.28's parser lacks: COPY --link (the same files), RUN --network; and those refused, by line. */
    @Test
    void copyLinkAndRunNetwork() throws Exception {
        Path ctx = Files.createDirectories(tmp.resolve("link"));
        Files.writeString(ctx.resolve("app.txt"), "app\n");
        Files.writeString(ctx.resolve("Containerfile"), """
                FROM %s
                COPY --link app.txt /srv/
                RUN --network=none cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' > /srv/interfaces
                CMD ["cat", "/srv/app.txt", "/srv/interfaces"]
                """.formatted(image));
        Run built = strata("build", "--root", store, "-t", "localhost/link:v1", ctx.toString());
        assertEquals(0, built.exit(), built.err());
        assertEquals("app\nlo\n", run("--rm", "--network", "none", "localhost/link:v1").out(), "--network=none: loopback alone");
        Files.writeString(ctx.resolve("Containerfile"), "FROM " + image + "\nCOPY --exclude=*.md . /srv/\n");
        Run refused = strata("build", "--root", store, ctx.toString());
        assertEquals(1, refused.exit());
        assertTrue(refused.err().contains("Containerfile:2: COPY --exclude is not built yet"), refused.err());
    }

    @Test
    void stagesThatDoNotDependOnEachOtherBuildAtOnce() throws Exception {
        // Each of the two stages waits (up to 20 s) to see the other's mark in a cache mount they share:
        // built one after the other, the first would give up and fail.
        String meet = "touch /sync/%1$s; i=0; while [ $i -lt 200 ]; do [ -e /sync/%2$s ] && break; sleep 0.1; i=$((i+1)); done; test -e /sync/%2$s";
        Path ctx = Files.createDirectories(tmp.resolve("parallel"));
        Files.writeString(ctx.resolve("Containerfile"), """
                FROM %1$s AS a
                RUN --mount=type=cache,id=sync,target=/sync %2$s && echo a > /a.txt
                FROM %1$s AS b
                RUN --mount=type=cache,id=sync,target=/sync %3$s && echo b > /b.txt
                FROM %1$s
                COPY --from=a /a.txt /
                COPY --from=b /b.txt /
                CMD ["cat", "/a.txt", "/b.txt"]
                """.formatted(image, meet.formatted("a", "b"), meet.formatted("b", "a")));
        Run built = strata("build", "--root", store, "-t", "localhost/parallel:v1", ctx.toString());
        assertEquals(0, built.exit(), built.err());
        assertEquals("a\nb\n", run("--rm", "--network", "none", "localhost/parallel:v1").out());
        assertTrue(built.err().contains("[a] STEP") && built.err().contains("[b] STEP"), "each line names its stage: " + built.err());
    }

    @Test
    void aCtrlCLeavesNoContainerMountOrCacheEntry() throws Exception {
        Path ctx = Files.createDirectories(tmp.resolve("interrupted"));
        Files.writeString(ctx.resolve("Containerfile"), "FROM " + image + "\nRUN sleep 600\n");
        Path err = tmp.resolve("interrupted.err");
        Process p = launcher("build", "--root", store, ctx.toString()).redirectErrorStream(false).redirectError(err.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        // Once the step's container runs (sleep, PID 1, ignores SIGINT itself), a ^C.
        for (int i = 0; i < 600 && !Files.readString(err).contains("RUN sleep 600"); i++) Thread.sleep(100);
        assertTrue(Files.readString(err).contains("RUN sleep 600"), Files.readString(err));
        for (int i = 0; i < 100 && strata("ps", "-q", "--root", store).out().isEmpty(); i++) Thread.sleep(100);
        ExternalTool.ok("kill", "-INT", String.valueOf(p.pid()));
        assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS), "the build stops");
        assertEquals(130, p.exitValue(), Files.readString(err));
        assertEquals("", strata("ps", "-a", "-q", "--root", store).out(), "no container left");
        assertTrue(!Files.readString(Path.of("/proc/self/mountinfo")).contains(store), "nothing mounted under the store");
        // FROM and RUN only: the RUN was the one step that could have been cached, and it was not.
        Path cache = Path.of(store, "build-cache");
        if (Files.isDirectory(cache)) {
            try (var entries = Files.list(cache)) {
                assertEquals(List.of(), entries.toList(), "the interrupted step was not cached");
            }
        }
    }

    @Test
    void badInputSaysWhereAndWhat() throws Exception {
        Path ctx = context();
        Files.writeString(ctx.resolve("Containerfile"), "FROM " + image + "\nCOPY NOTES.md /\n");
        Run ignored = strata("build", "--root", store, ctx.toString());
        assertEquals(1, ignored.exit());
        assertTrue(ignored.err().contains("Containerfile:2: COPY: NOTES.md is not in the build context (left out by the ignore file's pattern *.md)"),
                ignored.err());
        Files.writeString(ctx.resolve("Containerfile"), "FROM " + image + "\nRUN echo doing; exit 7\n");
        Run failed = strata("build", "--root", store, ctx.toString());
        assertEquals(7, failed.exit(), failed.err());
        assertTrue(failed.err().contains("doing\n"), "its output: " + failed.err());
        assertTrue(failed.err().contains("Containerfile:2: RUN echo doing; exit 7 failed with exit code 7"), failed.err());
        assertEquals("", strata("ps", "-a", "-q", "--root", store).out(), "no container left");
        Files.writeString(ctx.resolve("Containerfile"), "FROM " + image + "\nRUN true\n");
        Run never = strata("build", "--root", tmp.resolve("empty").toString(), "--pull=never", ctx.toString());
        assertEquals(1, never.exit(), "--pull=never and the image is not stored: " + never.err());
        Run always = strata("build", "--root", store, "--pull", ctx.toString());
        assertEquals(0, always.exit(), "--pull: pulled again, though stored: " + always.err());
        Files.writeString(ctx.resolve("Containerfile"), "FROM " + image + "\nFORM x\n");
        Run unknown = strata("build", "--root", store, ctx.toString());
        assertEquals(1, unknown.exit());
        assertEquals("strata: Containerfile:2:1: unknown instruction: FORM\n", unknown.err());
        Files.writeString(ctx.resolve("Containerfile"), "FROM " + image + "\nCOPY --chown=nosuchuser app.txt /\n");
        Run noUser = strata("build", "--root", store, ctx.toString());
        assertEquals(1, noUser.exit());
        assertTrue(noUser.err().contains("Containerfile:2: --chown=nosuchuser: unable to find user nosuchuser: no matching entries in the image's /etc/passwd"),
                noUser.err());
        assertEquals("", strata("ps", "-a", "-q", "--root", store).out(), "no container left");
        assertEquals("", ExternalTool.ok("sh", "-c", "grep -c ' " + store + "' /proc/self/mountinfo || true").strip().replace("0", ""),
                "no view left mounted");
    }

    private JsonNode inspect(String root, String name) throws Exception {
        Run r = strata("inspect", "--root", root, "--type", "image", name);
        assertEquals(0, r.exit(), r.err());
        JsonNode n = JSON.readTree(r.out());
        return n.isArray() ? n.get(0) : n;
    }

    private List<String> history(String root) throws Exception {
        Run r = strata("history", "--root", root, "--format", "json", "localhost/built:v1");
        assertEquals(0, r.exit(), r.err());
        List<String> out = new ArrayList<>();
        // A COPY's created_by names its content by a digest each tool computes its own way: compared without it.
        for (JsonNode h : JSON.readTree(r.out())) out.add(createdBy(h));
        return out;
    }

    /** A history entry's created_by and empty_layer, a COPY's content digest (each tool computes its own) left out. */
    private static String createdBy(JsonNode h) {
        return h.path("created_by").asText().replaceAll("(file|dir|multi):[0-9a-f]{64}", "$1:<content>") + " empty_layer=" + h.path("empty_layer").asBoolean();
    }

    private Map<String, String> tree(String root) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("mnt-" + Path.of(root).getFileName()));
        Run unpacked = strata("unpack", "--root", root, "localhost/built:v1"); // a loaded image is stored, not yet unpacked
        assertEquals(0, unpacked.exit(), unpacked.err());
        Run mounted = strata("mount", "--root", root, "localhost/built:v1", dir.toString());
        assertEquals(0, mounted.exit(), mounted.err());
        try {
            return new TreeMap<>(Trees.describe(dir));
        } finally {
            assertEquals(0, strata("umount", dir.toString()).exit());
        }
    }

    private static int count(String s, String what) {
        int n = 0;
        for (int i = s.indexOf(what); i >= 0; i = s.indexOf(what, i + 1)) n++;
        return n;
    }

    @SafeVarargs
    private static List<String> cat(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> p : parts) all.addAll(p);
        return all;
    }
}
