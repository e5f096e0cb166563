package dev.kmsplugin.adapter.keyvault;

import com.azure.core.exception.HttpResponseException;
import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.outbound.Telemetry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import reactor.core.Exceptions;

/**
 * Runs one Key Vault operation with bounded retries, never past the caller's deadline: exponential backoff with
 * full jitter, at least what Retry-After asks. Each attempt is cut at {@code call-timeout} or the time left,
 * whichever is less. What is retryable is {@link KeyVaultErrors}' decision. A 401 from Key Vault (a token it no
 * longer accepts) is retried once, at once, after the cached token was dropped, so that a fresh token is fetched.
 */
final class RetryLoop {

    // An attempt with less time than this cannot finish a TLS round trip; don't start it.
    private static final Duration MIN_ATTEMPT = Duration.ofMillis(50);

    private final KeyVaultSettings settings;
    private final Telemetry telemetry;
    private final Clock clock;
    private final Runnable tokenRejected;

    /** The operations a serving plugin runs through this loop. */
    static final List<Operation> SERVING = List.of(Operation.GET, Operation.LIST, Operation.WRAP_KEY,
            Operation.UNWRAP_KEY, Operation.DECRYPT);

    /** Every reason a retry is counted under: {@link KeyVaultErrors}' retryable failures and a rejected token. */
    static final List<String> REASONS = List.of("throttled", "server_error", "timeout", "unreachable",
            "token_rejected");

    /** Declares the retry series of a serving plugin at zero, so a rate over them exists before the first retry. */
    static void expectRetries(Telemetry telemetry) {
        for (Operation operation : SERVING) {
            REASONS.forEach(reason -> telemetry.retriesExpected(operation.wireName(), reason));
        }
    }

    /** Without a token to drop (unit tests): a 401 is not retried. */
    RetryLoop(KeyVaultSettings settings, Telemetry telemetry, Clock clock) {
        this(settings, telemetry, clock, null);
    }

    /** @param tokenRejected drops the cached token after Key Vault answered 401 (see {@link KeyVaultConnection}) */
    RetryLoop(KeyVaultSettings settings, Telemetry telemetry, Clock clock, Runnable tokenRejected) {
        this.settings = settings;
        this.telemetry = telemetry;
        this.clock = clock;
        this.tokenRejected = tokenRejected;
    }

    <T> T run(Operation operation, String target, CallContext call, Function<Duration, T> attempt) {
        return run(operation, KeyVaultErrors.Target.of(target), call, attempt);
    }

    <T> T run(Operation operation, KeyVaultErrors.Target target, CallContext call, Function<Duration, T> attempt) {
        int attempts = 0;
        boolean freshToken = false;
        while (true) {
            Duration remaining = call.remaining();
            if (remaining.compareTo(MIN_ATTEMPT) < 0) {
                throw new KmsException.DeadlineExceeded("the caller's deadline passed before Key Vault "
                        + operation.wireName() + " on " + target + " could "
                        + (attempts == 0 ? "start" : "be retried"));
            }
            Duration timeout = remaining.compareTo(settings.callTimeout()) < 0 ? remaining : settings.callTimeout();
            attempts++;
            try {
                return attempt.apply(timeout);
            } catch (RuntimeException e) {
                Throwable cause = Exceptions.unwrap(e);
                KeyVaultErrors.Failure failure = KeyVaultErrors.classify(cause, operation, target, timeout, clock);
                if (tokenRejected != null && !freshToken && rejectedToken(cause)) {
                    // One rejected token is not an outage: fetch a new one and try again, once, without waiting.
                    freshToken = true;
                    tokenRejected.run();
                    telemetry.backendRetried(operation.wireName(), "token_rejected");
                    attempts--;
                    continue;
                }
                if (!failure.retryable() || attempts >= settings.maxAttempts()) {
                    throw failure.exception();
                }
                Duration delay = backoff(attempts, failure.retryAfter());
                if (call.remaining().minus(delay).compareTo(MIN_ATTEMPT) < 0) {
                    throw failure.exception();
                }
                telemetry.backendRetried(operation.wireName(), failure.reason());
                sleep(delay);
            }
        }
    }

    private static boolean rejectedToken(Throwable error) {
        return error instanceof HttpResponseException http && http.getResponse() != null
                && http.getResponse().getStatusCode() == 401;
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
}
