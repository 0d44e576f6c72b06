package io.strata.cli;

import io.strata.runner.AttachOptions;
import picocli.CommandLine.Option;

/** The flags of the verbs that join this terminal to a container (run, start -a, attach), in one place. */
final class AttachFlags {
    @Option(names = "--detach-keys", paramLabel = "KEYS", description = "Keys that detach from the container, leaving it running "
            + "(default ctrl-p,ctrl-q; empty: none).")
    String detachKeys = AttachOptions.DEFAULT_DETACH_KEYS;

    @Option(names = "--sig-proxy", paramLabel = "BOOL", arity = "0..1", fallbackValue = "true", description = "Pass the signals this "
            + "command receives (^C, kill) to the container (default true); with false a ^C ends this command and the container runs on.")
    boolean sigProxy = true;

    /** The options as given; fails with one line on detach keys docker would not take. */
    AttachOptions options() {
        return new AttachOptions(detachKeys, sigProxy);
    }
}
