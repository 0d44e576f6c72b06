package io.strata.oci;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.regex.Pattern;

/** A tag, {@code [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}} per the distribution spec. */
public record Tag(String value) implements Comparable<Tag> {
    private static final Pattern GRAMMAR = Pattern.compile("[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}");

    public Tag {
        if (value == null || !GRAMMAR.matcher(value).matches()) {
            throw new InvalidValueException(InvalidValueException.Kind.TAG,
                    "invalid tag " + InvalidValueException.quote(value)
                            + ": up to 128 of [a-zA-Z0-9._-], not starting with . or -");
        }
    }

    @JsonCreator
    public static Tag of(String value) {
        return new Tag(value);
    }

    /** True when the text would be a valid tag (used to tell tags from digests in a reference). */
    public static boolean isValid(String value) {
        return value != null && GRAMMAR.matcher(value).matches();
    }

    @JsonValue
    @Override
    public String toString() {
        return value;
    }

    @Override
    public int compareTo(Tag o) {
        return value.compareTo(o.value);
    }
}
