package dev.kmsplugin.app.serve;

import java.util.concurrent.CountDownLatch;
import sun.misc.Signal;

/**
 * Turns SIGTERM and SIGINT into a stop request. A JVM shutdown hook would make the process exit with status 143;
 * handling the signal ourselves lets the plugin drain in-flight calls and then exit 0, as a static pod expects.
 */
final class Signals {

    private Signals() {
    }

    static CountDownLatch stopOnTermination() {
        CountDownLatch stop = new CountDownLatch(1);
        for (String name : new String[] {"TERM", "INT"}) {
            Signal.handle(new Signal(name), signal -> stop.countDown());
        }
        return stop;
    }
}
