package io.strata.builder;

import java.util.List;
import java.util.Map;

/**
 * One instruction of a Containerfile, as the Dockerfile reference defines it, with the line it
 * starts on. Arguments are kept as written (quotes and variables in place): what the build
 * expands, and when, depends on the ARG and ENV in effect at that step.
 */
public sealed interface Instruction {
    int line();

    /** The instruction as written, on one line (what the history's created_by is made from). */
    String text();

    /**
     * A command in the exec form (a JSON array: run as it is) or the shell form (a string: run
     * through the SHELL, /bin/sh -c by default).
     */
    record Command(List<String> exec, String shell) {
        public boolean isExec() {
            return exec != null;
        }
    }

    /** A here-document: its name (the file COPY writes, or the delimiter), its body, and whether variables in it are expanded. */
    record Heredoc(String name, String body, boolean expand) {}

    record From(int line, String text, String image, String stage, Map<String, String> flags) implements Instruction {}

    record Run(int line, String text, Command command, Map<String, List<String>> flags, List<Heredoc> heredocs) implements Instruction {}

    /** COPY and ADD: sources (context paths, URLs for ADD, or here-documents) and a destination. */
    record Copy(int line, String text, boolean add, List<String> sources, String destination, Map<String, List<String>> flags,
                List<Heredoc> heredocs) implements Instruction {}

    /** ENV and LABEL: KEY=VALUE pairs as written (the legacy ENV KEY VALUE made into one pair). */
    record Env(int line, String text, List<String> pairs) implements Instruction {}

    record Label(int line, String text, List<String> pairs) implements Instruction {}

    /** ARG NAME[=DEFAULT]…, each as written. */
    record Arg(int line, String text, List<String> declarations) implements Instruction {}

    record Workdir(int line, String text, String path) implements Instruction {}

    record User(int line, String text, String user) implements Instruction {}

    record Cmd(int line, String text, Command command) implements Instruction {}

    record Entrypoint(int line, String text, Command command) implements Instruction {}

    record Expose(int line, String text, List<String> ports) implements Instruction {}

    record Volume(int line, String text, List<String> paths) implements Instruction {}

    record StopSignal(int line, String text, String signal) implements Instruction {}

    /** HEALTHCHECK NONE (command null) or HEALTHCHECK [--interval … ] CMD command. */
    record Healthcheck(int line, String text, Command command, Map<String, String> flags) implements Instruction {}

    record Shell(int line, String text, List<String> shell) implements Instruction {}

    /** ONBUILD: an instruction kept in the image, run when a later build starts FROM it. */
    record OnBuild(int line, String text, String trigger) implements Instruction {}

    record Maintainer(int line, String text, String name) implements Instruction {}
}
