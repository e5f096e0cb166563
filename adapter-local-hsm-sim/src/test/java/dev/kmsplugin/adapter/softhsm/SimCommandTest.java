package dev.kmsplugin.adapter.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.ports.spi.Command;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code kms-plugin sim init|rotate|list}, as the launcher invokes it. Runs in a JVM of its own. */
class SimCommandTest {

    record Result(int code, String out, String err) {
    }

    static Map<String, String> settings(String tokenLabel) {
        return Map.of("dir", SoftHsmFixture.SIM_DIR.toString(), "token-label", tokenLabel, "key-name", "kek",
                "refresh-interval", "PT30S", "probe-interval", "PT30S", "health-grace", "PT2M");
    }

    private static Result sim(String... words) throws Exception {
        return sim(settings(SoftHsmFixture.LABEL), words);
    }

    static Result sim(Map<String, String> settings, String... words) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = new SimCommand(SoftHsmFixture.env()).run(new Command.Invocation(List.of(words),
                SoftHsmFixture.settingsView(settings), new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))).code();
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void init_rotate_and_list_manage_the_key_versions() throws Exception {
        Result init = sim("init");
        assertEquals(0, init.code(), init.err());
        assertTrue(init.out().startsWith("initialised token 'test-token' in "), init.out());

        Result again = sim("init");
        assertTrue(again.out().contains("already exists") && again.out().contains("nothing changed"), again.out());

        Result rotate = sim("rotate");
        assertEquals(0, rotate.code(), rotate.err());
        assertTrue(rotate.out().startsWith("key 'kek' version 2 is now current"), rotate.out());
        assertTrue(rotate.out().contains("within 30 s"), rotate.out());

        Result list = sim("list");
        List<String> lines = list.out().lines().toList();
        assertEquals("VERSION  STATE    CREATED               KEY_ID", lines.get(1).strip());
        assertTrue(lines.get(2).matches("1\\s+enabled\\s+\\S+Z\\s+[0-9a-f]{64}"), lines.get(2));
        assertTrue(lines.get(3).matches("2\\s+current\\s+\\S+Z\\s+[0-9a-f]{64}"), lines.get(3));
        String keyIdOf2 = lines.get(3).substring(lines.get(3).length() - 64);
        assertTrue(rotate.out().contains("key_id " + keyIdOf2), "rotate printed the key_id list shows");

        Result check = sim("check");
        assertEquals(0, check.code(), check.err());
        assertTrue(check.out().startsWith("ok: token 'test-token', key 'kek' version 2 (key_id " + keyIdOf2 + ")"),
                check.out());

        Result aliased = sim("rotate-key");
        assertEquals(0, aliased.code(), aliased.err());
        assertTrue(aliased.out().startsWith("key 'kek' version 3 is now current"), "rotate-key reads like keyvault's");
    }

    @Test
    void an_unknown_subcommand_prints_usage_and_exits_2() throws Exception {
        Result result = sim("destroy");
        assertEquals(2, result.code());
        assertTrue(result.err().startsWith("usage: kms-plugin sim init|rotate|list|check"), result.err());
    }
}
