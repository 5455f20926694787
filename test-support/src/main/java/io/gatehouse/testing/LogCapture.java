package io.gatehouse.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Records what a java.util.logging logger (and its children) logs while it runs, for tests that
 * assert something was logged, or that a secret never was:
 *
 * <pre>{@code
 * @RegisterExtension final LogCapture securityLog = LogCapture.of("gatehouse.security");
 * }</pre>
 *
 * The handler is removed and the logger's level restored when it stops, so one test's capture never
 * sees (or slows) the next test's logging.
 */
public final class LogCapture extends Fixture {

    private final String loggerName;
    private final String levelLoggerName;
    private final Level level;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Handler handler = new Handler() {
        @Override
        public void publish(LogRecord record) {
            lines.add(record.getMessage() + (record.getThrown() == null ? "" : " " + record.getThrown()));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    /** Held while running: java.util.logging keeps loggers only weakly, and the level must stick. */
    private Logger logger;
    private Logger levelLogger;
    private Level previousLevel;

    private LogCapture(String loggerName, String levelLoggerName, Level level) {
        this.loggerName = loggerName;
        this.levelLoggerName = levelLoggerName;
        this.level = level;
    }

    /** Captures {@code loggerName} and its children at their configured levels ("" = every logger). */
    public static LogCapture of(String loggerName) {
        return new LogCapture(loggerName, loggerName, null);
    }

    /** Captures {@code loggerName} and its children with the logger set to {@code level} meanwhile. */
    public static LogCapture of(String loggerName, Level level) {
        return new LogCapture(loggerName, loggerName, level);
    }

    /**
     * Captures {@code loggerName} with {@code levelLoggerName} set to {@code level} meanwhile: e.g. every
     * logger ("") with Gatehouse's own at FINE, to check that no log line at all shows a secret.
     */
    public static LogCapture of(String loggerName, String levelLoggerName, Level level) {
        return new LogCapture(loggerName, levelLoggerName, level);
    }

    /** Message (and exception, if any) of each record so far, oldest first; a live view. */
    public List<String> lines() {
        return lines;
    }

    /** Everything captured, one record a line: for {@code contains}/{@code doesNotContain} checks. */
    public String text() {
        return String.join("\n", lines);
    }

    @Override
    protected void open() {
        lines.clear();
        logger = Logger.getLogger(loggerName);
        levelLogger = Logger.getLogger(levelLoggerName);
        previousLevel = levelLogger.getLevel();
        if (level != null) {
            levelLogger.setLevel(level);
        }
        logger.addHandler(handler);
    }

    @Override
    protected void release() {
        logger.removeHandler(handler);
        if (level != null) {
            levelLogger.setLevel(previousLevel);
        }
        logger = null;
        levelLogger = null;
    }

    @Override
    public String toString() {
        return "LogCapture[" + loggerName + "]";
    }
}
