package dev.kmsplugin.ports.testkit;

import java.text.MessageFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * A java.util.logging handler that keeps every record it is given, for tests that check what was logged (System.Logger's
 * default backend is java.util.logging). Either handed to the code under test as its handler, or attached to a logger
 * with {@link #LogCapture(String, boolean)} until {@link #close()}, which detaches it and gives the logger back its level.
 */
public class LogCapture extends Handler implements AutoCloseable {

    /** Every record published, in order. */
    public final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Logger logger;
    private final Level previous;

    /** A capture attached to no logger: give it to the code under test as its handler. */
    public LogCapture() {
        this.logger = null;
        this.previous = null;
    }

    /**
     * Listens on the named logger until {@link #close()}; while attached the logger passes every level when
     * {@code allLevels}, else the levels it passes anyway.
     */
    public LogCapture(String loggerName, boolean allLevels) {
        this.logger = Logger.getLogger(loggerName);
        this.previous = logger.getLevel();
        if (allLevels) {
            logger.setLevel(Level.ALL);
        }
        logger.addHandler(this);
    }

    /** The messages of the records at {@code least} or above, their parameters filled in as the log formats them. */
    public List<String> messages(Level least) {
        return records.stream().filter(r -> r.getLevel().intValue() >= least.intValue())
                .map(r -> r.getParameters() == null ? r.getMessage()
                        : MessageFormat.format(r.getMessage(), r.getParameters()))
                .toList();
    }

    @Override
    public void publish(LogRecord record) {
        records.add(record);
    }

    @Override
    public void flush() {
    }

    /** Detaches from the logger it was attached to, if any, and gives that logger back its level. */
    @Override
    public void close() {
        if (logger != null) {
            logger.removeHandler(this);
            logger.setLevel(previous);
        }
    }
}
