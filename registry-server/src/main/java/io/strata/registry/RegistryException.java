package io.strata.registry;

import java.util.Map;

/**
 * A request the registry refuses: the spec's code, a message for people, and a detail for
 * programs. {@code status} is the code's own unless the spec asks for another (e.g. 416 or 413).
 */
public final class RegistryException extends RuntimeException {
    private final ErrorCode code;
    private final int status;
    private final Object detail;
    private final Map<String, String> headers;

    public RegistryException(ErrorCode code, String message) {
        this(code, code.status(), message, null, Map.of());
    }

    public RegistryException(ErrorCode code, String message, Object detail) {
        this(code, code.status(), message, detail, Map.of());
    }

    public RegistryException(ErrorCode code, int status, String message, Object detail, Map<String, String> headers) {
        super(message);
        this.code = code;
        this.status = status;
        this.detail = detail;
        this.headers = headers;
    }

    public ErrorCode code() {
        return code;
    }

    public int status() {
        return status;
    }

    public Object detail() {
        return detail;
    }

    /** Headers the failure response carries (e.g. Range on a 416 for an upload). */
    public Map<String, String> headers() {
        return headers;
    }
}
