package io.strata.oci;

/** A value from outside (a name, tag, digest, reference) that breaks the spec's grammar. */
public final class InvalidValueException extends IllegalArgumentException {
    /** Which grammar was broken; the registry maps each to the spec's error code. */
    public enum Kind { NAME, TAG, DIGEST, REFERENCE, MEDIA_TYPE }

    private final Kind kind;

    public InvalidValueException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** Quotes a rejected value for a message, bounded so a huge input cannot flood a log. */
    static String quote(String value) {
        if (value == null) return "null";
        String shown = value.length() > 80 ? value.substring(0, 80) + "…" : value;
        StringBuilder out = new StringBuilder("\"");
        for (char c : shown.toCharArray()) {
            if (c < 0x20 || c == 0x7f) out.append(String.format("\\u%04x", (int) c));
            else out.append(c);
        }
        return out.append('"').toString();
    }
}
