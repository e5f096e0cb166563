package dev.kmsplugin.adapter.keyvault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Go plugin's flag rules: trimming, vault-name validation, every problem reported at once. */
class KeyVaultSettingsTest {

    @TempDir
    Path dir;
    Fixture fixture;

    @BeforeEach
    void start() throws IOException {
        fixture = Fixture.create(dir);
    }

    @AfterEach
    void stop() {
        fixture.close();
    }

    @Test
    void vault_key_and_version_are_trimmed_of_whitespace_and_double_quotes_as_the_go_plugin_does() {
        KeyVaultSettings settings = fixture.set("vault-name", " \"myvault\" ").set("key-name", "\"kek\"\n")
                .set("key-version", " \"0123abcd\"").settings();
        assertEquals("myvault", settings.vaultName());
        assertEquals("kek", settings.keyName());
        assertEquals(Optional.of("0123abcd"), settings.keyVersion());
    }

    @Test
    void an_empty_key_version_means_versionless() {
        assertTrue(fixture.set("key-version", "  ").settings().versionless());
    }

    @Test
    void every_problem_is_reported_at_once_with_the_flag_that_fixes_it() {
        KmsException.Misconfigured e = assertThrows(KmsException.Misconfigured.class, () -> fixture
                .set("vault-name", "ab").set("key-name", "").set("proxy-mode", true)
                .set("call-timeout", Duration.ofSeconds(3)).settings());
        String message = e.getMessage();
        assertTrue(message.contains("--keyvault-name 'ab' is invalid: 3-24 characters"), message);
        assertTrue(message.contains("--key-name"), message);
        assertTrue(message.contains("--proxy-mode needs --proxy-address"), message);
        assertTrue(message.contains("below the apiserver's 3 s"), message);
    }

    @Test
    void no_vault_and_no_key_says_how_to_run_the_simulator_instead() {
        KmsException.Misconfigured e = assertThrows(KmsException.Misconfigured.class, () -> fixture
                .set("vault-name", "").set("key-name", "").settings());
        assertTrue(e.getMessage().contains("--backend=hsm-sim --sim-dir=DIR (see kms-plugin --help)"),
                e.getMessage());
        KmsException.Misconfigured keyOnly = assertThrows(KmsException.Misconfigured.class, () -> fixture
                .set("vault-name", "myvault").set("key-name", "").settings());
        assertFalse(keyOnly.getMessage().contains("hsm-sim"), "a Key Vault user who forgot one flag needs no hint");
    }

    @Test
    void a_vault_name_with_other_characters_is_refused() {
        assertThrows(KmsException.Misconfigured.class, () -> fixture.set("vault-name", "my_vault").settings());
        assertThrows(KmsException.Misconfigured.class, () -> fixture.set("vault-name", "a".repeat(25)).settings());
    }

    @Test
    void proxy_mode_refuses_a_non_loopback_address_unless_explicitly_allowed() {
        fixture.set("proxy-mode", true).set("proxy-address", "10.0.0.7");
        KmsException.Misconfigured e = org.junit.jupiter.api.Assertions.assertThrows(
                KmsException.Misconfigured.class, () -> fixture.settings());
        assertTrue(e.getMessage().contains("--proxy-allow-remote") && e.getMessage().contains("10.0.0.7"),
                e.getMessage());
        for (String loopback : new String[] {"127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3"}) {
            assertTrue(fixture.set("proxy-address", loopback).settings().proxyMode(), loopback);
        }
        fixture.set("proxy-address", "proxy.example.com");
        org.junit.jupiter.api.Assertions.assertThrows(KmsException.Misconfigured.class, () -> fixture.settings());
        assertTrue(fixture.set("proxy-allow-remote", true).settings().proxyAllowRemote());
    }
}
