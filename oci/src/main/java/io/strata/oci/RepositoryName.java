package io.strata.oci;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.regex.Pattern;

/**
 * A repository name, {@code <name>} in the distribution spec: path components of lowercase
 * alphanumerics joined by separators. Components never start with '.', '_' or '-', so a name
 * can hold no {@code ..}, no absolute path and nothing that collides with storage's own
 * underscore-prefixed entries.
 */
public record RepositoryName(String value) implements Comparable<RepositoryName> {
    private static final Pattern GRAMMAR = Pattern.compile(
            "[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:\\.|_|__|-+)[a-z0-9]+)*)*");
    /** Clients commonly cap host + name at 255 characters; the name alone can be no longer. */
    public static final int MAX_LENGTH = 255;

    public RepositoryName {
        if (!isValid(value)) {
            throw new InvalidValueException(InvalidValueException.Kind.NAME,
                    "invalid repository name " + InvalidValueException.quote(value)
                            + ": lowercase letters, digits and separators (. _ __ -), components joined by /, at most "
                            + MAX_LENGTH + " characters");
        }
    }

    /** Whether {@code value} is a repository name (or a path of components that can start one). */
    public static boolean isValid(String value) {
        return value != null && !value.isEmpty() && value.length() <= MAX_LENGTH && GRAMMAR.matcher(value).matches();
    }

    @JsonCreator
    public static RepositoryName of(String value) {
        return new RepositoryName(value);
    }

    @JsonValue
    @Override
    public String toString() {
        return value;
    }

    @Override
    public int compareTo(RepositoryName o) {
        return value.compareTo(o.value);
    }
}
