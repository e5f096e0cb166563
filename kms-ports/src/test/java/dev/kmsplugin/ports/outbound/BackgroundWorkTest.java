package dev.kmsplugin.ports.outbound;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.key.KeyId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class BackgroundWorkTest {

    private final List<String> reported = new CopyOnWriteArrayList<>();
    private final Telemetry telemetry = new Telemetry() {
        @Override
        public void requestCompleted(String api, String method, String code, Duration elapsed) {
        }

        @Override
        public void backendCallCompleted(String operation, String outcome, Duration elapsed) {
            reported.add(operation + "=" + outcome);
        }

        @Override
        public void backendRetried(String operation, String reason) {
        }

        @Override
        public void currentKeyChanged(KeyId keyId) {
        }
    };

    @Test
    void each_run_is_reported_with_its_outcome_and_failures_reach_the_handler_as_kms_exceptions() {
        AtomicReference<KmsException> failure = new AtomicReference<>();
        try (BackgroundWork work = new BackgroundWork("test-background", telemetry)) {
            work.run("probe", () -> { }, failure::set);
            KmsException denied = new KmsException.AccessDenied("no");
            work.run("probe", () -> {
                throw denied;
            }, failure::set);
            assertSame(denied, failure.get());
            work.run("refresh", () -> {
                throw new IllegalStateException("bug");
            }, failure::set);
            assertInstanceOf(KmsException.BackendUnavailable.class, failure.get());
            assertTrue(failure.get().getMessage().contains("refresh failed") && failure.get().getMessage()
                    .contains("bug"), failure.get().getMessage());
        }
        assertEquals(List.of("probe=ok", "probe=access_denied", "refresh=internal_error"), reported);
    }

    @Test
    void soon_queues_one_run_however_often_it_is_asked_before_that_run_starts() throws Exception {
        List<String> runs = new CopyOnWriteArrayList<>();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch last = new CountDownLatch(1);
        try (BackgroundWork work = new BackgroundWork("test-background", telemetry)) {
            work.soon("refresh", () -> {
                runs.add("a");
                started.countDown();
                await(release);
            }, e -> { });
            assertTrue(started.await(30, TimeUnit.SECONDS));
            work.soon("refresh", () -> runs.add("b"), e -> { }); // queued: "a" began before it was asked
            work.soon("refresh", () -> runs.add("c"), e -> { }); // refused: "b" has not started yet
            work.soon("probe", () -> runs.add("p"), e -> { });   // another operation queues on its own
            release.countDown();
            work.run("refresh", () -> { }, e -> { });             // the caller's thread; does not touch the queue
            await(started);
            // one thread, first in first out: once "p" ran, "b" ran and "c" would have
            work.soon("last", last::countDown, e -> { });
            assertTrue(last.await(30, TimeUnit.SECONDS));
        }
        assertEquals(List.of("a", "b", "p"), runs);
    }

    @Test
    void after_close_nothing_more_runs_and_asking_is_harmless() {
        BackgroundWork work = new BackgroundWork("test-background", telemetry);
        work.close();
        work.soon("refresh", () -> {
            throw new AssertionError("ran after close");
        }, e -> { });
        assertEquals(List.of(), reported);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
