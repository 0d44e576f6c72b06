package io.strata.snapshots;

import java.io.IOException;

/** A layer that cannot be applied as it is: a hostile or malformed entry, a limit, a DiffID mismatch. */
public final class LayerException extends IOException {
    public LayerException(String message) {
        super(message);
    }

    static LayerException entry(String name, String why) {
        return new LayerException("entry " + quote(name) + ": " + why);
    }

    static String quote(String name) {
        String shown = name.length() > 200 ? name.substring(0, 200) + "…" : name;
        StringBuilder out = new StringBuilder();
        for (char c : shown.toCharArray()) out.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        return out.toString();
    }
}
