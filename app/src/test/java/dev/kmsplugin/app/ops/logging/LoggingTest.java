package dev.kmsplugin.app.ops.logging;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.app.config.Configuration;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class LoggingTest {

    @Test
    void netty_frame_dumps_never_reach_the_log_even_at_the_highest_verbosity() {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Logging.configure(Configuration.load(Map.of("kms.log.verbosity", "9"), List.of(), Map.of())
                    .settings("kms.log"));
            String secretHex = "3031323334353637383961626364656630313233343536373839616263646566";
            Logger.getLogger("io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2FrameLogger")
                    .log(Level.FINE, "[id: 0x1] OUTBOUND DATA: streamId=3 length=34 bytes=" + secretHex);
            Logger.getLogger("io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler")
                    .log(Level.FINEST, "INBOUND DATA " + secretHex);
            Logger.getLogger("io.grpc.netty.shaded.io.netty.channel.DefaultChannelPipeline")
                    .log(Level.FINE, "library debug is still written at -v 9");
            System.err.flush();
        } finally {
            System.setErr(original);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        assertFalse(log.contains("3031323334"), "a frame dump reached the log:\n" + log);
        assertTrue(log.contains("library debug is still written"), log);
    }

    private static String logAt(int verbosity, Runnable events) {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            Logging.configure(Configuration.load(Map.of("kms.log.verbosity", String.valueOf(verbosity)), List.of(),
                    Map.of()).settings("kms.log"));
            events.run();
            System.err.flush();
        } finally {
            System.setErr(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void the_azure_sdks_healthy_call_chatter_is_debug_but_real_library_failures_still_log() {
        Runnable events = () -> {
            Logger.getLogger("com.azure.core.http.jdk.httpclient.JdkHttpClient").log(Level.WARNING,
                    "{\"az.sdk.message\":\"The header is restricted by 'java.net.http.HttpClient' and will be"
                            + " ignored.\",\"header\":\"content-length\"}");
            Logger.getLogger("com.azure.core.http.policy.RetryPolicy").log(Level.INFO,
                    "{\"az.sdk.message\":\"Retry attempts have been exhausted.\",\"tryCount\":0}");
            Logger.getLogger("com.microsoft.aad.msal4j.HttpHelper").log(Level.INFO, "[Correlation ID: x] Sent (x)"
                    + " Correlation Id is not same as received (null).");
            Logger.getLogger("com.azure.core.http.policy.RetryPolicy").log(Level.WARNING,
                    "{\"az.sdk.message\":\"Service returned 503, retrying\"}");
        };
        String quiet = logAt(2, events);
        assertFalse(quiet.contains("restricted") || quiet.contains("exhausted") || quiet.contains("Correlation"),
                quiet);
        assertTrue(quiet.contains("Service returned 503"), "a real library failure still logs:\n" + quiet);
        String debug = logAt(4, events);
        assertTrue(debug.contains("restricted") && debug.contains("exhausted") && debug.contains("Correlation"), debug);
    }
}
