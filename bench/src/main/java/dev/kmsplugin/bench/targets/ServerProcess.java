package dev.kmsplugin.bench.targets;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A server the harness started as its own process and talks to over a unix socket: the plugin or the minimal
 * plugin. Stopped with SIGTERM, as the kubelet stops a pod, and killed when it does not exit in time.
 */
public abstract class ServerProcess implements AutoCloseable {

    final Process process;
    private final Path socket;
    private final Path log;
    private final Duration closePatience;

    /** @param closePatience how long {@link #close} waits for the exit after SIGTERM */
    ServerProcess(Process process, Path socket, Path log, Duration closePatience) {
        this.process = process;
        this.socket = socket;
        this.log = log;
        this.closePatience = closePatience;
    }

    public Path socket() {
        return socket;
    }

    public Path log() {
        return log;
    }

    public long pid() {
        return process.pid();
    }

    /** SIGTERM; returns the exit code, or -1 when it had to be killed after {@code patience}. */
    public int stop(Duration patience) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(patience.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            process.waitFor();
            return -1;
        }
        return process.exitValue();
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            stop(closePatience);
        }
    }
}
