package dev.kmsplugin.domain.failure;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Every failure the plugin reports to a caller. The hierarchy is closed so that each transport maps every case
 * in one place; {@link #kind()} gives Java 17 code an exhaustive {@code switch}.
 *
 * <p>Messages are written for the operator reading them in the apiserver's log: they say what went wrong and
 * what to do. They never contain plaintext, key material, tokens or secrets.
 */
public abstract sealed class KmsException extends RuntimeException {

    /** The kinds of failure, one per subclass. */
    public enum Kind {
        INVALID_INPUT,
        UNKNOWN_KEY_VERSION,
        INTEGRITY_FAILURE,
        BACKEND_UNAVAILABLE,
        THROTTLED,
        ACCESS_DENIED,
        DEADLINE_EXCEEDED,
        MISCONFIGURED
    }

    private KmsException(String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
    }

    public abstract Kind kind();

    /** The request itself is wrong (empty, too large, malformed); retrying it unchanged cannot succeed. */
    public static final class InvalidInput extends KmsException {
        public InvalidInput(String message) {
            super(message, null);
        }

        @Override
        public Kind kind() {
            return Kind.INVALID_INPUT;
        }
    }

    /** The ciphertext names a key or key version that the backend does not have (deleted, or another key). */
    public static final class UnknownKeyVersion extends KmsException {
        public UnknownKeyVersion(String message) {
            super(message, null);
        }

        public UnknownKeyVersion(String message, Throwable cause) {
            super(message, cause);
        }

        @Override
        public Kind kind() {
            return Kind.UNKNOWN_KEY_VERSION;
        }
    }

    /** The ciphertext was not produced by this key, or was altered: authentication of the wrapped key failed. */
    public static final class IntegrityFailure extends KmsException {
        public IntegrityFailure(String message) {
            super(message, null);
        }

        public IntegrityFailure(String message, Throwable cause) {
            super(message, cause);
        }

        @Override
        public Kind kind() {
            return Kind.INTEGRITY_FAILURE;
        }
    }

    /** The key-encryption-key backend cannot be reached or failed; the same request may succeed later. */
    public static final class BackendUnavailable extends KmsException {
        public BackendUnavailable(String message) {
            super(message, null);
        }

        public BackendUnavailable(String message, Throwable cause) {
            super(message, cause);
        }

        @Override
        public Kind kind() {
            return Kind.BACKEND_UNAVAILABLE;
        }
    }

    /** The backend, or the plugin's own admission control, asks the caller to slow down. */
    public static final class Throttled extends KmsException {
        private final Duration retryAfter;

        public Throttled(String message, Duration retryAfter) {
            super(message, null);
            this.retryAfter = retryAfter;
        }

        /** How long the backend asked us to wait, when it said. */
        public Optional<Duration> retryAfter() {
            return Optional.ofNullable(retryAfter);
        }

        @Override
        public Kind kind() {
            return Kind.THROTTLED;
        }
    }

    /** The plugin's identity may not use the key for this operation. */
    public static final class AccessDenied extends KmsException {
        public AccessDenied(String message) {
            super(message, null);
        }

        public AccessDenied(String message, Throwable cause) {
            super(message, cause);
        }

        @Override
        public Kind kind() {
            return Kind.ACCESS_DENIED;
        }
    }

    /** The caller's deadline passed before the work could finish; the work was abandoned. */
    public static final class DeadlineExceeded extends KmsException {
        public DeadlineExceeded(String message) {
            super(message, null);
        }

        @Override
        public Kind kind() {
            return Kind.DEADLINE_EXCEEDED;
        }
    }

    /** The plugin's own configuration is wrong (missing key name, unreadable PIN file, ...). */
    public static final class Misconfigured extends KmsException {
        public Misconfigured(String message) {
            super(message, null);
        }

        public Misconfigured(String message, Throwable cause) {
            super(message, cause);
        }

        @Override
        public Kind kind() {
            return Kind.MISCONFIGURED;
        }
    }
}
