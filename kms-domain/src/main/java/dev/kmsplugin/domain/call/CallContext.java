package dev.kmsplugin.domain.call;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.failure.Messages;
import java.time.Duration;

/**
 * Who asked and until when the answer is useful. Backends bound their retries by
 * {@link #remaining()}, and every layer stops working on a call whose deadline has passed.
 *
 * @param uid         the apiserver's request uid (KMS v2), or a generated one; safe to log
 * @param deadlineNanos the {@link System#nanoTime()} after which the caller no longer waits
 */
public record CallContext(String uid, long deadlineNanos) {

    private static final int MAX_UID_LENGTH = 128;

    public CallContext {
        uid = Messages.identifier(uid, MAX_UID_LENGTH);
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
}
