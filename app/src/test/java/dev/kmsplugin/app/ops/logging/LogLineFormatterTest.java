package dev.kmsplugin.app.ops.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.app.ops.Json;
import java.io.IOException;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class LogLineFormatterTest {

    private static final LogLineFormatter JSON = new LogLineFormatter(true, false);
    private static final LogLineFormatter JSON_DEBUG = new LogLineFormatter(true, true);
    private static final LogLineFormatter PLAIN = new LogLineFormatter(false, false);

    private static LogRecord record(Level level, String message, Object... parameters) {
        LogRecord record = new LogRecord(level, message);
        record.setLoggerName("dev.kmsplugin.adapter.grpc.kms.UnaryCalls");
        record.setMillis(1_700_000_000_123L);
        record.setParameters(parameters.length == 0 ? null : parameters);
        return record;
    }

    private static Map<String, String> json(LogLineFormatter formatter, LogRecord record) {
        String line = formatter.format(record);
        assertTrue(line.endsWith("\n"), line);
        assertEquals(1, line.split("\n", -1).length - 1, "not exactly one line: " + line);
        return Json.object(line.substring(0, line.length() - 1));
    }

    @Test
    void a_json_line_carries_time_level_logger_and_message() {
        Map<String, String> fields = json(JSON, record(Level.INFO, "serving KMS on {0}", "unix:///run/kms.sock"));
        assertFields(fields, "time", "2023-11-14T22:13:20.123Z", "level", "info",
                "logger", "dev.kmsplugin.adapter.grpc.kms.UnaryCalls",
                "message", "serving KMS on unix:///run/kms.sock");
    }

    private static Map<String, String> call(String... keyValues) {
        Map<String, String> fields = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            fields.put(keyValues[i], keyValues[i + 1]);
        }
        return fields;
    }

    /** Asserts each named field has its value: names and values alternate, as in {@link #call}. */
    private static void assertFields(Map<String, String> fields, String... namesAndValues) {
        call(namesAndValues).forEach((name, value) -> assertEquals(value, fields.get(name), name + " in " + fields));
    }

    @Test
    void the_fields_of_a_structured_call_outcome_become_fields() {
        Map<String, String> fields = json(JSON, record(Level.WARNING, "{0}", call("uid", "0b1c-22", "method",
                "v2/Decrypt", "code", "FAILED_PRECONDITION", "micros", "412", "detail", "key version \"7\" is gone")));
        assertFields(fields, "level", "warn", "uid", "0b1c-22", "method", "v2/Decrypt",
                "code", "FAILED_PRECONDITION", "micros", "412", "detail", "key version \"7\" is gone");
    }

    @Test
    void a_field_cannot_overwrite_the_core_fields() {
        Map<String, String> fields = json(JSON, record(Level.INFO, "forged",
                call("level", "error", "message", "forged", "time", "0", "uid", "u1")));
        assertFields(fields, "level", "info", "message", "forged", "uid", "u1");
    }

    @Test
    void caller_strings_in_the_text_never_become_fields() {
        // A v1 request's version string, echoed in a message, tried to add a field; only structured fields count.
        Map<String, String> fields = json(JSON, record(Level.INFO, "request version is 'x\" user=system:admin'"));
        assertFalse(fields.containsKey("user"), fields.toString());
        Map<String, String> call = json(JSON, record(Level.INFO, "{0}", call("uid", "u1", "method", "v1beta1/Encrypt",
                "code", "INVALID_ARGUMENT", "detail", "version is 'x\" user=system:admin'")));
        assertFalse(call.containsKey("user"), call.toString());
        assertEquals("version is 'x\" user=system:admin'", call.get("detail"));
    }

    @Test
    void an_exception_is_named_without_its_stack_trace_at_info_verbosity() {
        LogRecord record = record(Level.SEVERE, "uid=u2 method=v2/Encrypt: unexpected failure");
        record.setThrown(new IllegalStateException("session closed\nby the token"));
        Map<String, String> fields = json(JSON, record);
        assertFields(fields, "level", "error", "exception", "java.lang.IllegalStateException",
                "exception_message", "session closed\nby the token");
        assertFalse(fields.containsKey("stack"));
        assertFalse(JSON.format(record).contains("\tat "));
    }

    @Test
    void a_structured_event_with_its_exception_keeps_both() {
        LogRecord record = record(Level.SEVERE, "{0}");
        record.setParameters(new Object[] {Map.of("uid", "u3", "code", "INTERNAL"),
                new IllegalStateException("a bug")});
        Map<String, String> fields = json(JSON, record);
        assertFields(fields, "uid", "u3", "code", "INTERNAL", "exception", "java.lang.IllegalStateException",
                "exception_message", "a bug");
    }

    @Test
    void the_stack_trace_is_one_escaped_field_at_debug_verbosity() {
        LogRecord record = record(Level.SEVERE, "unexpected failure");
        record.setThrown(new IOException("broken pipe"));
        Map<String, String> fields = json(JSON_DEBUG, record);
        assertTrue(fields.get("stack").startsWith("java.io.IOException: broken pipe\n\tat "), fields.get("stack"));
    }

    @Test
    void line_breaks_and_control_characters_never_split_a_line() {
        String message = "first\nsecond\r\n\u0000\u001b[31m\u2028end";
        Map<String, String> fields = json(JSON, record(Level.INFO, message));
        assertEquals(message, fields.get("message"));
        String plain = PLAIN.format(record(Level.INFO, message));
        assertEquals(1, plain.split("\n", -1).length - 1, plain);
        assertTrue(plain.contains("first\\nsecond\\r\\n\\u0000\\u001b[31m\\u2028end"), plain);
    }

    @Test
    void plain_text_is_one_line_with_time_level_logger_and_message() {
        LogRecord record = record(Level.FINE, "uid=u3 method=v1beta1/Version code=OK micros=80");
        record.setThrown(new IllegalArgumentException("bad"));
        assertEquals("2023-11-14T22:13:20.123Z DEBUG dev.kmsplugin.adapter.grpc.kms.UnaryCalls: uid=u3"
                + " method=v1beta1/Version code=OK micros=80 exception=java.lang.IllegalArgumentException"
                + " exception_message=\"bad\"\n", PLAIN.format(record));
    }

    @Test
    void slf4j_events_such_as_the_azure_sdks_become_the_same_json_lines() throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        java.util.logging.StreamHandler handler = new java.util.logging.StreamHandler(out, JSON);
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.addHandler(handler);
        try {
            // The SLF4J API is a run-time dependency only (azure-core brings it), so the test calls it as the SDK
            // would, by name: LoggerFactory.getLogger(name).warn(format, argument).
            Object logger = Class.forName("org.slf4j.LoggerFactory").getMethod("getLogger", String.class)
                    .invoke(null, "com.azure.identity.ManagedIdentityCredential");
            Class.forName("org.slf4j.Logger").getMethod("warn", String.class, Object.class)
                    .invoke(logger, "Azure Identity => token request failed: {}", "timeout");
        } finally {
            root.removeHandler(handler);
        }
        handler.flush();
        String text = out.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(1, text.lines().count(), text);
        Map<String, String> fields = Json.object(text.strip());
        assertFields(fields, "level", "warn", "logger", "com.azure.identity.ManagedIdentityCredential",
                "message", "Azure Identity => token request failed: timeout");
    }

    @Test
    void system_logger_levels_map_to_short_names() {
        assertEquals("error", LogLineFormatter.level(Level.SEVERE));
        assertEquals("warn", LogLineFormatter.level(Level.WARNING));
        assertEquals("info", LogLineFormatter.level(Level.INFO));
        assertEquals("debug", LogLineFormatter.level(Level.FINE));
        assertEquals("trace", LogLineFormatter.level(Level.FINER));
    }
}
