package io.strata.registry;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** The lines a class logs while a test runs, as formatted (logback's list appender). */
public final class LogLines implements AutoCloseable {
    private final Logger logger;
    private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
    private ch.qos.logback.classic.Level level;
    private boolean restore;

    private LogLines(String name) {
        logger = (Logger) LoggerFactory.getLogger(name);
        lines.start();
        logger.addAppender(lines);
    }

    public static LogLines of(Class<?> source) {
        return new LogLines(source.getName());
    }

    /** The lines of the logger named so, from INFO up whatever the configuration says (its level is restored on close). */
    public static LogLines info(String logger) {
        LogLines l = new LogLines(logger);
        l.level = l.logger.getLevel();
        l.restore = true;
        l.logger.setLevel(ch.qos.logback.classic.Level.INFO);
        return l;
    }

    public List<String> messages() {
        return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Override
    public void close() {
        logger.detachAppender(lines);
        if (restore) logger.setLevel(level);
    }
}
