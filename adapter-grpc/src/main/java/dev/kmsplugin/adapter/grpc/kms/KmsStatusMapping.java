package dev.kmsplugin.adapter.grpc.kms;

import dev.kmsplugin.domain.failure.KmsException;
import io.grpc.Status;

/**
 * The one place where failures become gRPC status codes (docs/grpc.md has the table and the reasons): domain
 * failures, the adapter's own refusals ({@link CallRefusal}), and anything unexpected. Descriptions are the
 * messages, which name no secret and no plaintext; they are cut to one line. Nothing maps to UNKNOWN: failures
 * nobody anticipated become INTERNAL with a pointer to the log.
 */
public final class KmsStatusMapping {

    /** Longest description sent to a client; the apiserver copies it into its own log lines. */
    static final int MAX_DESCRIPTION = 512;

    private KmsStatusMapping() {
    }

    /** Any failure of a call; {@code uid} names the log lines that hold the details of an unexpected one. */
    public static Status toStatus(Throwable failure, String uid) {
        if (failure instanceof KmsException known) {
            return toStatus(known);
        }
        if (failure instanceof CallRefusal refusal) {
            Status status;
            if (refusal instanceof CallRefusal.Overloaded) {
                status = Status.RESOURCE_EXHAUSTED; // our own admission control: the code of a throttling backend
            } else if (refusal instanceof CallRefusal.Draining) {
                status = Status.UNAVAILABLE; // connected callers go to the successor, as after any restart
            } else {
                status = Status.INVALID_ARGUMENT; // Malformed: the bytes can never be decoded as sent
            }
            return status.withDescription(oneLine(refusal.getMessage()));
        }
        return internal(uid);
    }

    public static Status toStatus(KmsException failure) {
        Status status = switch (failure.kind()) {
            // The request itself can never succeed as sent.
            case INVALID_INPUT -> Status.INVALID_ARGUMENT;
            // The bytes fail authentication under the key they name: tampered, truncated or not ours.
            case INTEGRITY_FAILURE -> Status.INVALID_ARGUMENT;
            // The request is well-formed but the key version it needs is not (or no longer) in the backend:
            // the operator must restore or re-point the key, then the same request succeeds.
            case UNKNOWN_KEY_VERSION -> Status.FAILED_PRECONDITION;
            // The plugin's own configuration must be fixed before any request can succeed.
            case MISCONFIGURED -> Status.FAILED_PRECONDITION;
            case BACKEND_UNAVAILABLE -> Status.UNAVAILABLE;
            // Quota-style refusal from the backend.
            case THROTTLED -> Status.RESOURCE_EXHAUSTED;
            case ACCESS_DENIED -> Status.PERMISSION_DENIED;
            case DEADLINE_EXCEEDED -> Status.DEADLINE_EXCEEDED;
        };
        return status.withDescription(oneLine(describe(failure)));
    }

    /** For a failure nobody anticipated: the details stay in the plugin's log, under the call's uid. */
    public static Status internal(String uid) {
        return Status.INTERNAL.withDescription("internal error in the KMS plugin; its log has the details under uid "
                + oneLine(uid));
    }

    private static String describe(KmsException failure) {
        if (failure instanceof KmsException.Throttled throttled && throttled.retryAfter().isPresent()) {
            return failure.getMessage() + " (retry after " + throttled.retryAfter().get().toMillis() + " ms)";
        }
        return failure.getMessage();
    }

    static String oneLine(String message) {
        String flat = message == null ? "" : message.replaceAll("[\\r\\n\\t]+", " ").replaceAll("[^\\x20-\\x7e]", "?");
        return flat.length() > MAX_DESCRIPTION ? flat.substring(0, MAX_DESCRIPTION - 3) + "..." : flat;
    }
}
