package dev.kmsplugin.app.ops.http;

import dev.kmsplugin.domain.failure.Messages;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.TimeUnit;

/**
 * Refusals and bad requests come in floods when someone tries: the first is logged at once, then a count with the
 * last one at most every 10 s. Used on the selector thread only.
 */
final class FloodLog {

    private static final long LOG_EVERY_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final String what;
    private final Logger log;
    private long nextLog;
    private long unlogged;
    private String lastEvent = "";

    FloodLog(String what, Logger log) {
        this.what = what;
        this.log = log;
    }

    void note(String event) {
        unlogged++;
        lastEvent = event;
        flushIfDue(System.nanoTime());
    }

    /** Logs what was noted since the last line, if there is any and a line is due. */
    void flushIfDue(long now) {
        if (unlogged > 0 && now - nextLog >= 0) {
            log.log(Level.WARNING, "{0}: {1} connection(s) refused or cut off in the last {2} s; last: {3}", what,
                    unlogged, TimeUnit.NANOSECONDS.toSeconds(LOG_EVERY_NANOS), Messages.oneLine(lastEvent));
            unlogged = 0;
            nextLog = now + LOG_EVERY_NANOS;
        }
    }
}
