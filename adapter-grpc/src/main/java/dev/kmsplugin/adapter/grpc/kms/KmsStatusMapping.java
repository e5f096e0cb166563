package dev.kmsplugin.adapter.grpc.kms;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.failure.Messages;
import io.grpc.Status;

/**
 * The one place where failures become gRPC status codes (docs/grpc.md has the table and the reasons): domain
 * failures, the adapter's own refusals ({@link CallRefusal}), and anything unexpected. Descriptions are the
 * messages about the request, which name no secret and no plaintext, cut to one line; failures of the backend or
 * of the plugin's configuration tell the caller only their kind (the details, paths and library errors included,
 * stay in the plugin's log). Nothing maps to UNKNOWN: failures
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
        return status.withDescription(oneLine(forCaller(failure)));
    }

    /**
     * What a caller is told. A failure of the backend or of the plugin's own configuration is the operator's to fix,
     * and its message names paths, tokens and library errors that are none of the caller's business: the caller
     * gets the kind, the plugin's log the message (under the call's uid). Everything else is about the request and
     * its message is the answer.
     */
    static String forCaller(KmsException failure) {
        return switch (failure.kind()) {
            case BACKEND_UNAVAILABLE -> "the key-encryption-key backend is unavailable; the KMS plugin's log says why";
            case MISCONFIGURED -> "the KMS plugin is misconfigured; its log says what to fix";
            default -> describe(failure);
        };
    }

    /** The whole message, for the plugin's own log. */
    public static String forLog(Throwable failure) {
        return oneLine(failure instanceof KmsException known ? describe(known) : failure.toString());
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

    /** A message as one printable line of at most {@link #MAX_DESCRIPTION} characters. */
    static String oneLine(String message) {
        return Messages.oneLine(message, MAX_DESCRIPTION - 3);
    }
}
