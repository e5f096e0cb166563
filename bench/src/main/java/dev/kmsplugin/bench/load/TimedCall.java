package dev.kmsplugin.bench.load;

/** One call (or one round trip) a caller makes; thrown exceptions count as errors or timeouts. */
@FunctionalInterface
public interface TimedCall {

    void call() throws Exception;
}
