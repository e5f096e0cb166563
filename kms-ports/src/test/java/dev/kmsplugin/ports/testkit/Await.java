package dev.kmsplugin.ports.testkit;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits for tests that must not flake on a loaded machine. A test waits on a latch, a future or a condition; the
 * bound only guards against a hang, so it is generous ({@link #HANG_GUARD}) and never what a test asserts.
 */
public final class Await {

    /** How long a test waits for something that normally happens within milliseconds before it calls it a hang. */
    public static final Duration HANG_GUARD = Duration.ofSeconds(30);

    private Await() {
    }

    /** True once {@code condition} holds, false if it still does not after {@code timeout}; parks briefly between checks. */
    public static boolean until(BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = TimeUnit.MICROSECONDS.toNanos(100);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline >= 0) {
                return condition.getAsBoolean();
            }
            LockSupport.parkNanos(pause);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting");
            }
            pause = Math.min(pause * 2, TimeUnit.MILLISECONDS.toNanos(10));
        }
        return true;
    }

    /** Blocks until {@code condition} holds; fails naming {@code what} after {@code timeout}. */
    public static void awaitCondition(BooleanSupplier condition, Duration timeout, String what) {
        if (!until(condition, timeout)) {
            throw new AssertionError("not within " + timeout.toSeconds() + " s: " + what);
        }
    }

    /** {@link #awaitCondition(BooleanSupplier, Duration, String)} within {@link #HANG_GUARD}. */
    public static void awaitCondition(BooleanSupplier condition, String what) {
        awaitCondition(condition, HANG_GUARD, what);
    }

    /** As {@link #awaitCondition(BooleanSupplier, String)}, {@code what} told as it is on timeout. */
    public static void awaitCondition(BooleanSupplier condition, Supplier<String> what) {
        if (!until(condition, HANG_GUARD)) {
            throw new AssertionError("not within " + HANG_GUARD.toSeconds() + " s: " + what.get());
        }
    }

    /** Blocks until {@code latch} opens; fails naming {@code what} after {@link #HANG_GUARD}. */
    public static void await(CountDownLatch latch, String what) {
        try {
            if (!latch.await(HANG_GUARD.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new AssertionError("not within " + HANG_GUARD.toSeconds() + " s: " + what + " ("
                        + latch.getCount() + " count(s) left)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting: " + what, e);
        }
    }

    /**
     * The value of {@code future}, which must complete within {@link #HANG_GUARD}; a failure of the future is thrown
     * as the {@link ExecutionException} it is, for tests that assert on it.
     */
    public static <T> T await(Future<T> future, String what) throws ExecutionException {
        try {
            return future.get(HANG_GUARD.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            throw new AssertionError("not within " + HANG_GUARD.toSeconds() + " s: " + what, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting: " + what, e);
        }
    }
}
