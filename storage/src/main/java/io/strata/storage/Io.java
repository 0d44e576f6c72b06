package io.strata.storage;

import java.io.IOException;
import java.io.UncheckedIOException;

/** Storage's public API throws unchecked exceptions; backend I/O failures become UncheckedIOException here. */
final class Io {
    private Io() {}

    interface Call<T> {
        T call() throws IOException;
    }

    static <T> T io(Call<T> call) {
        try {
            return call.call();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
