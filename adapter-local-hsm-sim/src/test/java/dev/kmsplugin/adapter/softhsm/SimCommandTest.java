package dev.kmsplugin.adapter.softhsm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.ports.testkit.CommandRun;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code kms-plugin sim init|rotate|list}, as the launcher invokes it. Runs in a JVM of its own. */
class SimCommandTest {

    static Map<String, String> settings(String tokenLabel) {
        return Map.of("dir", SoftHsmFixture.SIM_DIR.toString(), "token-label", tokenLabel, "key-name", "kek",
                "refresh-interval", "PT30S", "probe-interval", "PT30S", "health-grace", "PT2M");
    }

    private static CommandRun sim(String... words) {
        return sim(settings(SoftHsmFixture.LABEL), words);
    }

    static CommandRun sim(Map<String, String> settings, String... words) {
        return CommandRun.run(new SimCommand(SoftHsmFixture.env())::run, List.of(words),
                SoftHsmFixture.settingsView(settings));
    }

    @Test
    void init_rotate_and_list_manage_the_key_versions() throws Exception {
        CommandRun init = sim("init");
        assertEquals(0, init.exitCode(), init.err());
        assertTrue(init.out().startsWith("initialised token 'test-token' in "), init.out());

        CommandRun again = sim("init");
        assertTrue(again.out().contains("already exists") && again.out().contains("nothing changed"), again.out());

        CommandRun rotate = sim("rotate");
        assertEquals(0, rotate.exitCode(), rotate.err());
        assertTrue(rotate.out().startsWith("key 'kek' version 2 is now current"), rotate.out());
        assertTrue(rotate.out().contains("within 30 s"), rotate.out());

        CommandRun list = sim("list");
        List<String> lines = list.out().lines().toList();
        assertEquals("VERSION  STATE    CREATED               KEY_ID", lines.get(1).strip());
        assertTrue(lines.get(2).matches("1\\s+enabled\\s+\\S+Z\\s+[0-9a-f]{64}"), lines.get(2));
        assertTrue(lines.get(3).matches("2\\s+current\\s+\\S+Z\\s+[0-9a-f]{64}"), lines.get(3));
        String keyIdOf2 = lines.get(3).substring(lines.get(3).length() - 64);
        assertTrue(rotate.out().contains("key_id " + keyIdOf2), "rotate printed the key_id list shows");

        CommandRun check = sim("check");
        assertEquals(0, check.exitCode(), check.err());
        assertTrue(check.out().startsWith("ok: token 'test-token', key 'kek' version 2 (key_id " + keyIdOf2 + ")"),
                check.out());

        CommandRun aliased = sim("rotate-key");
        assertEquals(0, aliased.exitCode(), aliased.err());
        assertTrue(aliased.out().startsWith("key 'kek' version 3 is now current"), "rotate-key reads like keyvault's");
    }

    @Test
    void an_unknown_subcommand_prints_usage_and_exits_2() throws Exception {
        CommandRun result = sim("destroy");
        assertEquals(2, result.exitCode());
        assertTrue(result.err().startsWith("usage: kms-plugin sim init|rotate|list|check"), result.err());
    }
}
