package io.strata.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Applies the configured log level to Strata's own loggers. */
final class Logging {
    private Logging() {}

    /** json: one JSON object a line (logback's JsonEncoder), for log collectors; text is the pattern of {@link LogSetup}. */
    static void setFormat(String format) {
        if (!format.equals("json")) return;
        Logger root = (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
        var appender = (ch.qos.logback.core.ConsoleAppender<ch.qos.logback.classic.spi.ILoggingEvent>) root.getAppender(LogSetup.APPENDER);
        var encoder = new ch.qos.logback.classic.encoder.JsonEncoder();
        encoder.setContext(root.getLoggerContext());
        // What a collector needs: time, level, logger, thread, the message as printed, and any throwable.
        encoder.setWithSequenceNumber(false);
        encoder.setWithNanoseconds(false);
        encoder.setWithContext(false);
        encoder.setWithMDC(false);
        encoder.setWithMessage(false);
        encoder.setWithArguments(false);
        encoder.setWithFormattedMessage(true);
        encoder.start();
        appender.stop();
        appender.setEncoder(encoder);
        appender.start();
    }

    static void setLevel(String level) {
        Level parsed = Level.toLevel(level, null);
        if (parsed == null) throw new IllegalArgumentException("log.level must be trace, debug, info, warn or error, was " + level);
        ((Logger) LoggerFactory.getLogger("io.strata")).setLevel(parsed);
    }
}
