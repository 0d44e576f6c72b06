package io.strata.remote;

import java.io.IOException;

/** A registry refused or failed a request; the message is one line a user can act on. */
public final class RegistryException extends IOException {
    private final int status;

    public RegistryException(int status, String message) {
        super(message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
