package dev.kmsplugin.domain.call;

import dev.kmsplugin.domain.failure.KmsException;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Who asked and until when the answer is useful. Backends bound their retries by
 * {@link #remaining()}, and every layer stops working on a call whose deadline has passed.
 *
 * @param uid         the apiserver's request uid (KMS v2), or a generated one; safe to log
 * @param deadlineNanos the {@link System#nanoTime()} after which the caller no longer waits
 */
public record CallContext(String uid, long deadlineNanos) {

    private static final int MAX_UID_LENGTH = 128;
    // Compiled once: every request builds a CallContext.
    private static final Pattern UNSAFE_UID_CHARACTERS = Pattern.compile("[^A-Za-z0-9._:/-]");

    public CallContext {
        uid = sanitize(uid);
    }

    /** A context whose deadline is {@code timeout} from now. */
    public static CallContext of(String uid, Duration timeout) {
        return new CallContext(uid, System.nanoTime() + timeout.toNanos());
    }

    /** For the plugin's own work (health probes, start-up checks). */
    public static CallContext internal(String purpose, Duration timeout) {
        return of(purpose, timeout);
    }

    /** Time left before the deadline; zero or negative once it has passed. */
    public Duration remaining() {
        return Duration.ofNanos(deadlineNanos - System.nanoTime());
    }

    public boolean expired() {
        return deadlineNanos - System.nanoTime() <= 0;
    }

    /** Fails with {@link KmsException.DeadlineExceeded} when the caller has stopped waiting. */
    public void checkDeadline(String stage) {
        if (expired()) {
            throw new KmsException.DeadlineExceeded("the caller's deadline passed " + stage + "; the call was abandoned");
        }
    }

    // A uid is logged; keep it short and printable whatever the client sent.
    private static String sanitize(String uid) {
        if (uid == null || uid.isEmpty()) {
            return "-";
        }
        String cut = uid.length() > MAX_UID_LENGTH ? uid.substring(0, MAX_UID_LENGTH) : uid;
        return UNSAFE_UID_CHARACTERS.matcher(cut).replaceAll("_");
    }
}
