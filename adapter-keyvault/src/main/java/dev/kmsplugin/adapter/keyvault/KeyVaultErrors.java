package dev.kmsplugin.adapter.keyvault;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.http.HttpResponse;
import com.azure.identity.CredentialUnavailableException;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.failure.Messages;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeoutException;

/**
 * Turns every Key Vault SDK failure into the domain's error, and says whether retrying can help: 408, 429, 5xx
 * and network errors can; authentication, permission, not-found and bad-input answers cannot.
 */
final class KeyVaultErrors {

    /** How every refusal of a disabled key version is worded, here and by the local wrap; see {@link #saysDisabled}. */
    static final String DISABLED = " is disabled in Key Vault";

    /** Whether {@code failure} says the key version is disabled (Key Vault's 403, or the local wrap's refusal). */
    static boolean saysDisabled(KmsException failure) {
        return failure.getMessage() != null && failure.getMessage().contains(DISABLED);
    }

    /**
     * The access-policy key permissions serving needs: list for versionless mode and the key inventory, wrapKey
     * only where Key Vault wraps (--wrap=remote).
     */
    static final String SERVING_PERMISSIONS = "get, list, unwrapKey (and wrapKey with "
            + KeyVaultBackendProvider.flag("wrap") + "=remote)";

    private KeyVaultErrors() {
    }

    record Failure(KmsException exception, boolean retryable, String reason, Optional<Duration> retryAfter) {
    }

    /**
     * What an operation acts on: its name in messages and, for a key version other than the current one, the
     * command that restores it. Key Vault refuses to unwrap or decrypt with a disabled version (403, "not allowed on
     * a disabled key"); a version that is not current was disabled by {@code keyvault retire-version}, so that
     * answer means "retired", not "forbidden".
     */
    record Target(String text, Optional<String> restoreCommand) {
        static Target of(String text) {
            return new Target(text, Optional.empty());
        }

        @Override
        public String toString() {
            return text;
        }
    }

    static Failure classify(Throwable error, Operation op, String target, Duration timeout, Clock clock) {
        return classify(error, op, Target.of(target), timeout, clock);
    }

    static Failure classify(Throwable error, Operation op, Target subject, Duration timeout, Clock clock) {
        String target = subject.text();
        if (error instanceof KmsException kms) {
            return hard(kms);
        }
        if (error instanceof CredentialUnavailableException) {
            return hard(new KmsException.Misconfigured("no token for Key Vault: the credential is not available here ("
                    + oneLine(error.getMessage()) + ")", error));
        }
        // Normally explained by EntraIdRejection with the credential's details; this is the fallback.
        if (error instanceof ClientAuthenticationException auth && auth.getResponse() == null
                || entraRejection(error) != null) {
            Throwable entra = entraRejection(error);
            return hard(new KmsException.Misconfigured("authentication failed: Entra ID refused a token for Key "
                    + "Vault: " + oneLine((entra == null ? error : entra).getMessage()), error));
        }
        if (error instanceof HttpResponseException http && http.getResponse() != null) {
            HttpResponse response = http.getResponse();
            int status = response.getStatusCode();
            String detail = oneLine(http.getMessage());
            Optional<Duration> retryAfter = retryAfter(response, clock);
            if (status == 429) {
                return new Failure(new KmsException.Throttled("Key Vault throttled " + op.wireName() + " on "
                        + target + " (429); the plugin retried within the caller's deadline", retryAfter.orElse(null)),
                        true, "throttled", retryAfter);
            }
            if (status == 408 || status >= 500) {
                return new Failure(new KmsException.BackendUnavailable("Key Vault answered " + status + " to "
                        + op.wireName() + " on " + target + ": " + detail, error), true,
                        status == 408 ? "timeout" : "server_error", retryAfter);
            }
            return switch (status) {
                case 401 -> hard(new KmsException.AccessDenied("Key Vault rejected the plugin's token for "
                        + op.wireName() + " on " + target + " (401): check the tenant and the identity", error));
                case 403 -> hard(forbidden(op, subject, detail, error));
                case 404 -> hard(new KmsException.UnknownKeyVersion(target + " does not exist in the vault "
                        + "(404 on " + op.wireName() + "); was the key or this version deleted?", error));
                case 400 -> hard(op.decrypts()
                        ? new KmsException.IntegrityFailure("Key Vault could not " + op.wireName() + " with "
                        + target + ": the ciphertext was not produced by this key version or was altered", error)
                        : new KmsException.InvalidInput("Key Vault refused " + op.wireName() + " on " + target
                        + " (400): " + detail));
                default -> hard(new KmsException.BackendUnavailable("Key Vault answered " + status + " to "
                        + op.wireName() + " on " + target + ": " + detail, error));
            };
        }
        if (error instanceof TimeoutException || error instanceof IllegalStateException
                && String.valueOf(error.getMessage()).startsWith("Timeout")) {
            return new Failure(new KmsException.BackendUnavailable("Key Vault did not answer " + op.wireName() + " on "
                    + target + " within " + timeout.toMillis() + " ms"), true, "timeout", Optional.empty());
        }
        return new Failure(new KmsException.BackendUnavailable("Key Vault is unreachable for " + op.wireName() + " on "
                + target + ": " + oneLine(String.valueOf(error)), error), true, "unreachable", Optional.empty());
    }

    // MSAL reports a refused token request (AADSTS error codes: bad secret, unknown client, expired assertion) as
    // its own exception type, which azure-identity lets through; retrying it cannot help.
    private static Throwable entraRejection(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t.getClass().getName().equals("com.microsoft.aad.msal4j.MsalServiceException")
                    && String.valueOf(t.getMessage()).contains("AADSTS")) {
                return t;
            }
        }
        return null;
    }

    private static KmsException forbidden(Operation op, Target subject, String detail, Throwable cause) {
        String target = subject.text();
        boolean disabled = detail.toLowerCase(Locale.ROOT).contains("disabled");
        if (disabled && op.decrypts() && subject.restoreCommand().isPresent()) {
            return new KmsException.UnknownKeyVersion(target + DISABLED + " (retired; 403 on "
                    + op.wireName() + "): what it wrapped cannot be read until it is restored with: "
                    + subject.restoreCommand().get(), cause);
        }
        if (disabled) {
            return new KmsException.AccessDenied(target + DISABLED + " (403 on " + op.wireName()
                    + "); enable it or configure another version", cause);
        }
        if (op == Operation.UPDATE) {
            return new KmsException.AccessDenied("the identity may not update " + target + " (403): retiring and "
                    + "restoring a version need the key permission 'update'; run the command as an operator identity "
                    + "with the RBAC role 'Key Vault Crypto Officer', or "
                    + "access policy key permissions get, list, update; the serving identity's role 'Key Vault Crypto "
                    + "Service Encryption User' does not include it", cause);
        }
        if (op.provisions()) {
            return new KmsException.AccessDenied("the identity may not " + op.permission() + " " + target
                    + " (403): grant the key permission '" + op.permission() + "' (RBAC role 'Key Vault Crypto "
                    + "Officer', or access policy key permissions create, update, setrotationpolicy)", cause);
        }
        return new KmsException.AccessDenied("the plugin's identity may not " + op.permission() + " " + target
                + " (403): grant the key permission '" + op.permission() + "' (RBAC role 'Key Vault Crypto Service "
                + "Encryption User', or access policy key permissions " + SERVING_PERMISSIONS + ")", cause);
    }

    private static Failure hard(KmsException e) {
        return new Failure(e, false, "", Optional.empty());
    }

    // Retry-After is seconds or an HTTP date (RFC 9110); Azure also sends x-ms-retry-after-ms / retry-after-ms.
    static Optional<Duration> retryAfter(HttpResponse response, Clock clock) {
        for (String name : new String[] {"retry-after-ms", "x-ms-retry-after-ms"}) {
            String ms = response.getHeaderValue(name);
            if (ms != null) {
                try {
                    return Optional.of(Duration.ofMillis(Long.parseLong(ms.trim())));
                } catch (NumberFormatException ignored) {
                    // fall through to Retry-After
                }
            }
        }
        String value = response.getHeaderValue("Retry-After");
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Duration.ofSeconds(Long.parseLong(value.trim())));
        } catch (NumberFormatException notSeconds) {
            try {
                ZonedDateTime when = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration until = Duration.between(ZonedDateTime.now(clock.withZone(when.getZone())), when);
                return Optional.of(until.isNegative() ? Duration.ZERO : until);
            } catch (RuntimeException unparsable) {
                return Optional.empty();
            }
        }
    }

    /**
     * Key Vault's and Entra ID's messages, and names read from them, as one printable line of at most 300
     * characters: SDK messages span lines and may quote the response body (never a token or secret).
     */
    static String oneLine(String text) {
        return Messages.oneLine(text, 300);
    }
}
