package io.strata.storage;

import java.util.List;
import java.util.stream.Stream;

/**
 * One page of a lexically ordered listing (tags, repositories): at most {@code n} items after
 * {@code last}; {@code more} tells whether items follow, so a server can send a Link header.
 */
public record Page<T>(List<T> items, boolean more) {
    /** Sorts, skips what is not after {@code last}, and cuts at {@code n} (null: no limit). */
    static <T extends Comparable<T>> Page<T> of(Stream<T> all, T last, Integer n) {
        if (n != null && n < 0) throw new IllegalArgumentException("n must not be negative");
        List<T> sorted = all.filter(t -> last == null || t.compareTo(last) > 0).sorted().distinct().toList();
        if (n == null || sorted.size() <= n) return new Page<>(sorted, false);
        return new Page<>(sorted.subList(0, n), true);
    }
}
