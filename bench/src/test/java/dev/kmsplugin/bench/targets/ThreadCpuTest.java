package dev.kmsplugin.bench.targets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class ThreadCpuTest {

    @Test
    void groups_threads_by_name_without_their_number() {
        assertEquals("kms-grpc-call", ThreadCpu.group("kms-grpc-call-17"));
        assertEquals("kms-grpc-io-3", ThreadCpu.group("kms-grpc-io-3-1"));
        assertEquals("grpc-default-executor", ThreadCpu.group("grpc-default-executor-0"));
        assertEquals("C2 CompilerThread", ThreadCpu.group("C2 CompilerThread0"));
        assertEquals("main", ThreadCpu.group("main"));
    }

    @Test
    void attributes_this_processs_cpu_to_the_thread_that_spent_it() throws InterruptedException {
        long pid = ProcessHandle.current().pid();
        ThreadCpu before = ThreadCpu.of(pid);
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch spent = new CountDownLatch(1);
        CountDownLatch measured = new CountDownLatch(1);
        Thread burner = new Thread(() -> {
            // work until this thread's own CPU clock has advanced 300 ms, well above the 10 ms tick
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long start = threads.getCurrentThreadCpuTime();
            while (!stop.get() && threads.getCurrentThreadCpuTime() - start < 300_000_000L) {
                Thread.onSpinWait();
            }
            spent.countDown();
            try {
                measured.await(); // a thread that has ended is no longer listed in /proc
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "cpu-burner-7");
        burner.start();
        spent.await();
        List<String> lines = ThreadCpu.of(pid).perOperation(before, 1);
        stop.set(true);
        measured.countDown();
        burner.join();
        assertTrue(lines.get(0).startsWith("all threads"), lines.toString());
        assertTrue(lines.stream().anyMatch(line -> line.startsWith("cpu-burner ")), lines.toString());
    }
}
