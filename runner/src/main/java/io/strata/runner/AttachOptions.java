package io.strata.runner;

/**
 * How this terminal is joined to a container (run, start -a, attach): the keys that detach from it,
 * and whether signals sent to this process go to the container (docker's {@code --sig-proxy}).
 * Without the proxy a ^C ends this process only, and the container runs on, as docker's does.
 */
public record AttachOptions(String detachKeys, boolean sigProxy) {
    public static final String DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q";
    public static final AttachOptions DEFAULT = new AttachOptions(DEFAULT_DETACH_KEYS, true);

    /** Fails with one line when the detach keys are not keys docker would take. */
    public AttachOptions {
        Attach.detachKeys(detachKeys);
    }

    byte[] keys() {
        return Attach.detachKeys(detachKeys);
    }
}
