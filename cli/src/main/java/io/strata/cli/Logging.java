package io.strata.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Applies the configured log level to Strata's own loggers. */
final class Logging {
    private Logging() {}

    static void setLevel(String level) {
        Level parsed = Level.toLevel(level, null);
        if (parsed == null) throw new IllegalArgumentException("log.level must be trace, debug, info, warn or error, was " + level);
        ((Logger) LoggerFactory.getLogger("io.strata")).setLevel(parsed);
    }
}
