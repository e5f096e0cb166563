package dev.kmsplugin.app.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.ports.spi.Flag;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CommandLineTest {

    private static final List<Flag> FLAGS = List.of(
            Flag.string("keyvault-name", "kms.keyvault.vault-name", "vault"),
            Flag.bool("managed-hsm", "kms.keyvault.managed-hsm", "mhsm"),
            Flag.integer("healthz-port", "kms.health.port", "port"),
            Flag.duration("healthz-timeout", "kms.health.timeout", "timeout"),
            Flag.integer("v", "kms.log.verbosity", "verbosity"));

    @Test
    void a_flag_several_plugins_declare_sets_each_ones_path() {
        List<Flag> shared = List.of(
                Flag.bool("dry-run", "kms.hsm-sim.retire.dry-run", "sim"),
                Flag.bool("dry-run", "kms.keyvault.retire.dry-run", "keyvault"),
                Flag.duration("min-successor-age", "kms.hsm-sim.retire.min-successor-age", "sim"),
                Flag.duration("min-successor-age", "kms.keyvault.retire.min-successor-age", "keyvault"));
        CommandLine line = CommandLine.parse(new String[] {"--dry-run", "--min-successor-age=4m30s"}, shared);
        assertEquals(Map.of("kms.hsm-sim.retire.dry-run", "true", "kms.keyvault.retire.dry-run", "true",
                "kms.hsm-sim.retire.min-successor-age", "270000000000ns",
                "kms.keyvault.retire.min-successor-age", "270000000000ns"),
                line.values());
        assertThrows(IllegalStateException.class, () -> CommandLine.parse(new String[0], List.of(
                Flag.bool("x", "kms.a.x", "a"), Flag.string("x", "kms.b.x", "b"))));
    }

    @Test
    void accepts_the_go_plugins_flag_spellings() {
        CommandLine line = CommandLine.parse(new String[] {
            "--keyvault-name=vault1", "-managed-hsm", "--healthz-port", "8788", "-v=4"}, FLAGS);
        assertEquals(Map.of("kms.keyvault.vault-name", "vault1", "kms.keyvault.managed-hsm", "true",
                "kms.health.port", "8788", "kms.log.verbosity", "4"), line.values());
        assertTrue(line.words().isEmpty());
    }

    /** The setting one command-line word gives the named key. */
    private static String parsed(String word, String key) {
        return CommandLine.parse(new String[] {word}, FLAGS).values().get(key);
    }

    @Test
    void booleans_take_go_spellings_and_reject_others() {
        assertEquals("false", parsed("--managed-hsm=false", "kms.keyvault.managed-hsm"));
        assertEquals("true", parsed("--managed-hsm=1", "kms.keyvault.managed-hsm"));
        CommandLine.UsageException error = assertThrows(CommandLine.UsageException.class,
                () -> CommandLine.parse(new String[] {"--managed-hsm=yes"}, FLAGS));
        assertEquals("flag --managed-hsm takes true or false, not 'yes'", error.getMessage());
    }

    @Test
    void go_durations_become_hocon_durations() {
        assertEquals("90000000000ns", parsed("--healthz-timeout=1m30s", "kms.health.timeout"));
        assertEquals("250000000ns", parsed("--healthz-timeout=250ms", "kms.health.timeout"));
        assertEquals("20 seconds", parsed("--healthz-timeout=20 seconds", "kms.health.timeout"));
        assertThrows(CommandLine.UsageException.class,
                () -> CommandLine.parse(new String[] {"--healthz-timeout=soon"}, FLAGS));
    }

    @Test
    void words_and_flags_may_interleave_and_a_double_dash_ends_flags() {
        CommandLine line = CommandLine.parse(new String[] {"sim", "--keyvault-name=x", "rotate", "--", "--v"}, FLAGS);
        assertEquals(List.of("sim", "rotate", "--v"), line.words());
        assertEquals("x", line.values().get("kms.keyvault.vault-name"));
    }

    @Test
    void unknown_flags_missing_values_and_bad_numbers_are_usage_errors() {
        assertEquals("unknown flag --nope", assertThrows(CommandLine.UsageException.class,
                () -> CommandLine.parse(new String[] {"--nope=secret-value"}, FLAGS)).getMessage(),
                "the value of an unknown flag is not echoed: it may be a secret");
        assertEquals("flag --keyvault-name needs a value", assertThrows(CommandLine.UsageException.class,
                () -> CommandLine.parse(new String[] {"--keyvault-name"}, FLAGS)).getMessage());
        assertEquals("flag --healthz-port takes a whole number, not 'http'", assertThrows(
                CommandLine.UsageException.class,
                () -> CommandLine.parse(new String[] {"--healthz-port=http"}, FLAGS)).getMessage());
    }

    @Test
    void help_and_version_are_recognised_anywhere() {
        assertTrue(CommandLine.parse(new String[] {"sim", "-h"}, FLAGS).help());
        assertTrue(CommandLine.parse(new String[] {"--version"}, FLAGS).version());
        assertFalse(CommandLine.parse(new String[] {"--version=false"}, FLAGS).version());
    }
}
