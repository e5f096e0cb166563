package dev.kmsplugin.adapter.keyvault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.ports.testkit.CommandRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A malformed azure.json must never bring its client secret onto the screen or into the log: the JSON parser's own
 * messages quote the source, so the error names path, line, column and field instead.
 */
class MalformedConfigFileTest {

    private static final String SECRET = "s3cr3t-Value-9f8e7d";

    @TempDir
    Path dir;
    Fixture fixture;
    private final List<String> logged = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(record.getMessage() + " " + record.getParameters() + " " + record.getThrown());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeEach
    void start() throws Exception {
        fixture = Fixture.create(dir);
        Logger.getLogger("").addHandler(capture);
    }

    @AfterEach
    void stop() {
        Logger.getLogger("").removeHandler(capture);
        fixture.close();
    }

    @Test
    void a_readable_file_is_warned_about_only_when_it_holds_a_secret_and_the_warning_names_the_field()
            throws Exception {
        Path identity = dir.resolve("identity.json");
        Files.writeString(identity, "{\"tenantId\":\"t\",\"useManagedIdentityExtension\":true,"
                + "\"userAssignedIdentityID\":\"11111111-2222-3333-4444-555555555555\"}");
        Files.setPosixFilePermissions(identity, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        AzureConfig.read(identity);
        assertTrue(logged.stream().noneMatch(line -> line.contains("accessible to group or others")), logged.toString());

        Path secret = dir.resolve("secret.json");
        Files.writeString(secret, "{\"tenantId\":\"t\",\"aadClientId\":\"app-1\",\"aadClientSecret\":\""
                + SECRET + "\"}");
        Files.setPosixFilePermissions(secret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        AzureConfig.read(secret);
        assertTrue(logged.stream().anyMatch(line -> line.contains("holding aadClientSecret")
                && line.contains("accessible to group or others")), logged.toString());
        assertTrue(logged.stream().noneMatch(line -> line.contains(SECRET)), "the secret itself is never logged");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        // a trailing comma
        "{\"tenantId\":\"t\",\"aadClientId\":\"app-1\",\"aadClientSecret\":\"" + SECRET + "\",}",
        // the secret unquoted: the parser's message names the bad token, which is the secret itself
        "{\"tenantId\":\"t\",\"aadClientId\":\"app-1\",\"aadClientSecret\":" + SECRET + "}",
        // an unterminated string
        "{\"tenantId\":\"t\",\n \"aadClientSecret\":\"" + SECRET + "\n}",
        // a missing colon after the secret's field
        "{\"aadClientSecret\" \"" + SECRET + "\"}",
        // YAML with a broken line
        "tenantId: t\naadClientSecret: " + SECRET + "\n" + SECRET + "\n"})
    void the_error_names_the_place_but_never_the_secret(String content) throws Exception {
        Files.writeString(Path.of((String) fixture.conf.get("config-file-path")), content);
        CommandRun check = CommandRun.run(new KeyVaultCommand(fixture.env, settings -> Fixture.trustingClient())::run,
                List.of("check"), fixture.view());
        String printed = check.out() + check.err();

        assertEquals(2, check.exitCode(), printed);
        assertTrue(printed.contains((String) fixture.conf.get("config-file-path")), printed);
        assertTrue(printed.contains("line "), printed);
        assertFalse(printed.contains(SECRET), printed);
        assertFalse(String.join("\n", logged).contains(SECRET), String.join("\n", logged));
    }

    @org.junit.jupiter.api.Test
    void a_json_error_names_line_column_and_the_field_it_was_reading() {
        String where = AzureConfig.whereParsingFailed("{\n  \"aadClientSecret\": " + SECRET + "\n}",
                new java.io.IOException("Unrecognized token '" + SECRET + "': was expecting ... at [Source: (String)"
                        + "\"...\"; line: 2, column: 25]"));
        assertEquals("a syntax error at line 2, column 25, after the field \"aadClientSecret\"", where);
    }
}
