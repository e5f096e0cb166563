package dev.kmsplugin.adapter.keyvault;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.http.HttpResponse;
import com.azure.identity.CredentialUnavailableException;
import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.outbound.Telemetry;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import reactor.core.Exceptions;

/**
 * Runs one Key Vault operation with bounded retries and turns every SDK failure into the domain's error.
 * Retries: 408, 429, 5xx and network errors, exponential backoff with full jitter, at least what Retry-After asks,
 * never past the caller's deadline. Each attempt is cut at {@code call-timeout} or the time left, whichever is less.
 */
final class Resilience {

    // An attempt with less time than this cannot finish a TLS round trip; don't start it.
    private static final Duration MIN_ATTEMPT = Duration.ofMillis(50);

    private final KeyVaultSettings settings;
    private final Telemetry telemetry;

    Resilience(KeyVaultSettings settings, Telemetry telemetry) {
        this.settings = settings;
        this.telemetry = telemetry;
    }

    /** What an operation is, for messages: e.g. {@code wrapKey}, and the key it touched. */
    record Operation(String name, String permission, String target) {
    }

    <T> T run(Operation operation, CallContext call, Function<Duration, T> attempt) {
        int attempts = 0;
        while (true) {
            Duration remaining = call.remaining();
            if (remaining.compareTo(MIN_ATTEMPT) < 0) {
                throw new KmsException.DeadlineExceeded("the caller's deadline passed before Key Vault "
                        + operation.name() + " on " + operation.target() + " could " + (attempts == 0 ? "start" : "be retried"));
            }
            Duration timeout = remaining.compareTo(settings.callTimeout()) < 0 ? remaining : settings.callTimeout();
            attempts++;
            try {
                return attempt.apply(timeout);
            } catch (RuntimeException e) {
                Failure failure = classify(Exceptions.unwrap(e), operation, timeout);
                if (!failure.retryable() || attempts >= settings.maxAttempts()) {
                    throw failure.exception();
                }
                Duration delay = backoff(attempts, failure.retryAfter());
                if (call.remaining().minus(delay).compareTo(MIN_ATTEMPT) < 0) {
                    throw failure.exception();
                }
                telemetry.backendRetried(operation.name(), failure.reason());
                sleep(delay);
            }
        }
    }

    private Duration backoff(int attempt, Optional<Duration> retryAfter) {
        long cap = Math.min(settings.retryMaxDelay().toMillis(),
                settings.retryBaseDelay().toMillis() << Math.min(attempt - 1, 16));
        long jittered = ThreadLocalRandom.current().nextLong(cap / 2, cap + 1);
        Duration delay = Duration.ofMillis(jittered);
        return retryAfter.filter(ra -> ra.compareTo(delay) > 0).orElse(delay);
    }

    private static void sleep(Duration delay) {
        try {
            Thread.sleep(delay.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KmsException.BackendUnavailable("interrupted while waiting to retry Key Vault");
        }
    }

    record Failure(KmsException exception, boolean retryable, String reason, Optional<Duration> retryAfter) {
    }

    static Failure classify(Throwable error, Operation op, Duration timeout) {
        if (error instanceof CredentialUnavailableException) {
            return hard(new KmsException.Misconfigured("no token for Key Vault: the credential is not available here ("
                    + oneLine(error.getMessage()) + ")", error));
        }
        if (error instanceof ClientAuthenticationException auth && auth.getResponse() == null) {
            return hard(new KmsException.AccessDenied("Entra ID refused a token for Key Vault: "
                    + oneLine(error.getMessage()), error));
        }
        Throwable entra = entraRejection(error);
        if (entra != null) {
            return hard(new KmsException.AccessDenied("Entra ID refused a token for Key Vault: "
                    + oneLine(entra.getMessage()), error));
        }
        if (error instanceof HttpResponseException http && http.getResponse() != null) {
            HttpResponse response = http.getResponse();
            int status = response.getStatusCode();
            String detail = oneLine(http.getMessage());
            Optional<Duration> retryAfter = retryAfter(response);
            if (status == 429) {
                return new Failure(new KmsException.Throttled("Key Vault throttled " + op.name() + " on "
                        + op.target() + " (429); the plugin retried within the caller's deadline", retryAfter.orElse(null)),
                        true, "throttled", retryAfter);
            }
            if (status == 408 || status >= 500) {
                return new Failure(new KmsException.BackendUnavailable("Key Vault answered " + status + " to "
                        + op.name() + " on " + op.target() + ": " + detail, error), true,
                        status == 408 ? "timeout" : "server_error", retryAfter);
            }
            return switch (status) {
                case 401 -> hard(new KmsException.AccessDenied("Key Vault rejected the plugin's token for "
                        + op.name() + " on " + op.target() + " (401): check the tenant and the identity", error));
                case 403 -> hard(forbidden(op, detail, error));
                case 404 -> hard(new KmsException.UnknownKeyVersion(op.target() + " does not exist in the vault "
                        + "(404 on " + op.name() + "); was the key or this version deleted?", error));
                case 400 -> hard(op.name().equals("unwrapKey") || op.name().equals("decrypt")
                        ? new KmsException.IntegrityFailure("Key Vault could not " + op.name() + " with "
                        + op.target() + ": the ciphertext was not produced by this key version or was altered", error)
                        : new KmsException.InvalidInput("Key Vault refused " + op.name() + " on " + op.target()
                        + " (400): " + detail));
                default -> hard(new KmsException.BackendUnavailable("Key Vault answered " + status + " to "
                        + op.name() + " on " + op.target() + ": " + detail, error));
            };
        }
        if (error instanceof TimeoutException || error instanceof IllegalStateException
                && String.valueOf(error.getMessage()).startsWith("Timeout")) {
            return new Failure(new KmsException.BackendUnavailable("Key Vault did not answer " + op.name() + " on "
                    + op.target() + " within " + timeout.toMillis() + " ms"), true, "timeout", Optional.empty());
        }
        if (error instanceof KmsException kms) {
            return hard(kms);
        }
        return new Failure(new KmsException.BackendUnavailable("Key Vault is unreachable for " + op.name() + " on "
                + op.target() + ": " + oneLine(String.valueOf(error)), error), true, "unreachable", Optional.empty());
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

    private static KmsException forbidden(Operation op, String detail, Throwable cause) {
        if (detail.toLowerCase(Locale.ROOT).contains("disabled")) {
            return new KmsException.AccessDenied(op.target() + " is disabled in Key Vault (403 on " + op.name()
                    + "); enable it or configure another version", cause);
        }
        if (List.of("create", "setrotationpolicy").contains(op.permission())) {
            // Provisioning is an administrator's act, outside what the serving identity should hold.
            return new KmsException.AccessDenied("the identity may not " + op.permission() + " " + op.target()
                    + " (403): grant the key permission '" + op.permission() + "' (RBAC role 'Key Vault Crypto "
                    + "Officer', or access policy key permissions create, update, setrotationpolicy)", cause);
        }
        return new KmsException.AccessDenied("the plugin's identity may not " + op.permission() + " " + op.target()
                + " (403): grant the key permission '" + op.permission() + "' (RBAC role 'Key Vault Crypto Service "
                + "Encryption User', or access policy key permissions get, wrapKey, unwrapKey)", cause);
    }

    private static Failure hard(KmsException e) {
        return new Failure(e, false, "", Optional.empty());
    }

    // Retry-After is seconds or an HTTP date (RFC 9110); Azure also sends x-ms-retry-after-ms / retry-after-ms.
    static Optional<Duration> retryAfter(HttpResponse response) {
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
                Duration until = Duration.between(ZonedDateTime.now(when.getZone()), when);
                return Optional.of(until.isNegative() ? Duration.ZERO : until);
            } catch (RuntimeException unparsable) {
                return Optional.empty();
            }
        }
    }

    // SDK messages span lines and may quote the response body (never a token or secret); keep logs one line.
    static String oneLine(String text) {
        if (text == null) {
            return "";
        }
        String flat = text.replaceAll("\\s+", " ").trim();
        return flat.length() > 300 ? flat.substring(0, 300) + "..." : flat;
    }
}
