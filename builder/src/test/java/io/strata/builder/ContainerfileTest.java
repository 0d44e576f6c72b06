package io.strata.builder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The parser against the Dockerfile reference's own examples and rules. */
class ContainerfileTest {
    private static Containerfile parse(String text) {
        return Containerfile.parse(text, "Containerfile");
    }

    @Test
    void everyInstructionAndItsForms() {
        Containerfile f = parse("""
                # syntax=docker/dockerfile:1
                ARG BASE=busybox
                FROM --platform=linux/amd64 ${BASE} AS build
                RUN echo shell form && \\
                    echo continued
                RUN ["/bin/sh", "-c", "echo exec form"]
                RUN --mount=type=cache,target=/var/cache --mount=type=secret,id=tok --network=none make
                COPY --from=other --chown=1000:1000 --chmod=0644 a.txt b/ /dest/
                ADD --checksum=sha256:abc https://example.com/f.tar.gz /opt/
                ENV A=1 B="two words" C=three\\ words
                ENV LEGACY value with spaces
                LABEL org.opencontainers.image.title="A title" version=1
                WORKDIR /app
                USER app:app
                EXPOSE 80/tcp 53/udp
                VOLUME ["/data", "/logs"]
                VOLUME /cache
                STOPSIGNAL SIGINT
                HEALTHCHECK --interval=5s --retries=3 CMD wget -q -O- http://localhost/ || exit 1
                SHELL ["/bin/bash", "-o", "pipefail", "-c"]
                ONBUILD RUN echo later
                MAINTAINER someone
                CMD ["serve"]
                ENTRYPOINT /bin/app --flag
                """);
        assertEquals("docker/dockerfile:1", f.syntax());
        List<Instruction> in = f.instructions();
        assertEquals(22, in.size());
        assertEquals(List.of("BASE=busybox"), ((Instruction.Arg) in.get(0)).declarations());
        var from = (Instruction.From) in.get(1);
        assertEquals("${BASE}", from.image());
        assertEquals("build", from.stage());
        assertEquals(Map.of("platform", "linux/amd64"), from.flags());
        assertEquals(3, from.line());
        var run = (Instruction.Run) in.get(2);
        assertEquals("echo shell form &&     echo continued", run.command().shell(), "the escape and the line break go; the next line's indent stays");
        assertEquals(4, run.line());
        assertEquals(List.of("/bin/sh", "-c", "echo exec form"), ((Instruction.Run) in.get(3)).command().exec());
        var mounts = (Instruction.Run) in.get(4);
        assertEquals(List.of("type=cache,target=/var/cache", "type=secret,id=tok"), mounts.flags().get("mount"));
        assertEquals(List.of("none"), mounts.flags().get("network"));
        assertEquals("make", mounts.command().shell());
        var copy = (Instruction.Copy) in.get(5);
        assertEquals(List.of("a.txt", "b/"), copy.sources());
        assertEquals("/dest/", copy.destination());
        assertEquals(List.of("other"), copy.flags().get("from"));
        assertEquals(List.of("0644"), copy.flags().get("chmod"));
        var add = (Instruction.Copy) in.get(6);
        assertTrue(add.add());
        assertEquals(List.of("https://example.com/f.tar.gz"), add.sources());
        assertEquals(List.of("A=1", "B=\"two words\"", "C=three\\ words"), ((Instruction.Env) in.get(7)).pairs());
        assertEquals(List.of("LEGACY=value with spaces"), ((Instruction.Env) in.get(8)).pairs());
        assertEquals(List.of("org.opencontainers.image.title=\"A title\"", "version=1"), ((Instruction.Label) in.get(9)).pairs());
        assertEquals("/app", ((Instruction.Workdir) in.get(10)).path());
        assertEquals("app:app", ((Instruction.User) in.get(11)).user());
        assertEquals(List.of("80/tcp", "53/udp"), ((Instruction.Expose) in.get(12)).ports());
        assertEquals(List.of("/data", "/logs"), ((Instruction.Volume) in.get(13)).paths());
        assertEquals(List.of("/cache"), ((Instruction.Volume) in.get(14)).paths());
        assertEquals("SIGINT", ((Instruction.StopSignal) in.get(15)).signal());
        var health = (Instruction.Healthcheck) in.get(16);
        assertEquals(Map.of("interval", "5s", "retries", "3"), health.flags());
        assertEquals("wget -q -O- http://localhost/ || exit 1", health.command().shell());
        assertEquals(List.of("/bin/bash", "-o", "pipefail", "-c"), ((Instruction.Shell) in.get(17)).shell());
        assertEquals("RUN echo later", ((Instruction.OnBuild) in.get(18)).trigger());
        assertInstanceOf(Instruction.Maintainer.class, in.get(19));
        assertEquals(List.of("serve"), ((Instruction.Cmd) in.get(20)).command().exec());
        assertEquals("/bin/app --flag", ((Instruction.Entrypoint) in.get(21)).command().shell());
    }

    @Test
    void commentsBlankLinesAndContinuations() {
        Containerfile f = parse("""
                FROM scratch

                # a comment
                RUN echo a \\
                # a comment inside a continuation is dropped
                \s
                    b
                  # an indented comment
                run echo lower-case keywords
                """);
        assertEquals(3, f.instructions().size());
        assertEquals("echo a     b", ((Instruction.Run) f.instructions().get(1)).command().shell());
        assertEquals(9, f.instructions().get(2).line());
        assertEquals("echo # not a comment", ((Instruction.Run) parse("FROM scratch\nRUN echo # not a comment\n").instructions().get(1))
                .command().shell(), "# is a comment only at a line's start");
    }

    @Test
    void theEscapeDirectiveAndTheDirectivesRules() {
        Containerfile f = parse("# escape=`\nFROM scratch\nRUN dir c:\\ `\n  && echo done\n");
        assertEquals('`', f.escape());
        assertEquals("dir c:\\   && echo done", ((Instruction.Run) f.instructions().get(1)).command().shell());
        // After any other line, a directive is a comment.
        Containerfile late = parse("FROM scratch\n# escape=`\nRUN echo a \\\n b\n");
        assertEquals('\\', late.escape());
        Containerfile afterComment = parse("# a comment\n# syntax=x\nFROM scratch\n");
        assertNull(afterComment.syntax());
        Containerfile afterUnknown = parse("# unknowndirective=value\n# syntax=x\nFROM scratch\n");
        assertNull(afterUnknown.syntax(), "an unknown directive is a comment, and ends the directives");
        ParseException twice = assertThrows(ParseException.class, () -> parse("# escape=`\n# escape=\\\nFROM scratch\n"));
        assertEquals("Containerfile:2:1: the escape directive is given twice", twice.getMessage());
        assertThrows(ParseException.class, () -> parse("# escape=x\nFROM scratch\n"));
    }

    @Test
    void hereDocuments() {
        Containerfile f = parse("""
                FROM busybox
                RUN <<EOF
                echo one
                echo $HOME
                EOF
                RUN <<-"END" sh
                \t\techo tabs stripped, no expansion $X
                \tEND
                COPY <<conf.ini <<'raw.txt' /etc/
                [a]
                conf.ini
                $literal
                raw.txt
                RUN echo after
                """);
        var run = (Instruction.Run) f.instructions().get(1);
        assertEquals(List.of(new Instruction.Heredoc("EOF", "echo one\necho $HOME\n", true)), run.heredocs());
        var stripped = (Instruction.Run) f.instructions().get(2);
        assertEquals(List.of(new Instruction.Heredoc("END", "echo tabs stripped, no expansion $X\n", false)), stripped.heredocs());
        var copy = (Instruction.Copy) f.instructions().get(3);
        assertEquals(List.of(new Instruction.Heredoc("conf.ini", "[a]\n", true), new Instruction.Heredoc("raw.txt", "$literal\n", false)),
                copy.heredocs());
        assertEquals("/etc/", copy.destination());
        assertEquals(5, f.instructions().size());
        ParseException open = assertThrows(ParseException.class, () -> parse("FROM busybox\nRUN <<EOF\necho never closed\n"));
        assertTrue(open.getMessage().startsWith("Containerfile:2:"), open.getMessage());
        assertTrue(open.getMessage().contains("not closed"), open.getMessage());
        assertEquals(0, ((Instruction.Run) parse("FROM busybox\nRUN echo '<<EOF'\n").instructions().get(1)).heredocs().size(),
                "a marker inside quotes is text");
    }

    @Test
    void badInputNamesTheFileLineAndWhat() {
        assertEquals("Containerfile:2:1: unknown instruction: FORM",
                assertThrows(ParseException.class, () -> parse("FROM scratch\nFORM x\n")).getMessage());
        assertEquals("Containerfile:1:1: FROM needs arguments", assertThrows(ParseException.class, () -> parse("FROM\n")).getMessage());
        assertTrue(assertThrows(ParseException.class, () -> parse("FROM a AS\n")).getMessage().contains("FROM IMAGE [AS NAME]"));
        assertTrue(assertThrows(ParseException.class, () -> parse("FROM scratch\nCOPY --form=x a b\n")).getMessage()
                .contains("unknown option --form for COPY"));
        assertTrue(assertThrows(ParseException.class, () -> parse("FROM scratch\nCOPY onlyone\n")).getMessage()
                .contains("needs a source and a destination"));
        assertTrue(assertThrows(ParseException.class, () -> parse("FROM scratch\nSHELL /bin/sh -c\n")).getMessage().contains("JSON array"));
        assertTrue(assertThrows(ParseException.class, () -> parse("FROM scratch\nONBUILD FROM x\n")).getMessage().contains("cannot trigger FROM"));
        assertTrue(assertThrows(ParseException.class, () -> parse("FROM scratch\nLABEL novalue\n")).getMessage().contains("KEY=VALUE"));
        assertTrue(assertThrows(ParseException.class, () -> parse("FROM scratch\nHEALTHCHECK --interval=1s NONE\n")).getMessage()
                .contains("takes no options"));
    }

    @Test
    void aJsonArrayThatIsNotValidIsTheShellForm() {
        var cmd = (Instruction.Cmd) parse("FROM scratch\nCMD [\"a\", b]\n").instructions().get(1);
        assertEquals("[\"a\", b]", cmd.command().shell(), "as docker falls back");
        assertNull(cmd.command().exec());
    }
}
