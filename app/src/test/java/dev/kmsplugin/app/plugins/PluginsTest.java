package dev.kmsplugin.app.plugins;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Backend;
import dev.kmsplugin.ports.spi.BackendProvider;
import dev.kmsplugin.ports.spi.PluginContext;
import java.util.List;
import org.junit.jupiter.api.Test;

class PluginsTest {

    record NamedBackend(String name) implements BackendProvider {
        @Override
        public String summary() {
            return name;
        }

        @Override
        public Backend create(PluginContext context) {
            throw new UnsupportedOperationException("selection only");
        }
    }

    @Test
    void service_loader_finds_every_shipped_adapter() {
        Plugins plugins = Plugins.discover();
        assertEquals(List.of("hsm-sim", "keyvault"), plugins.backends().stream().map(BackendProvider::name).toList());
        assertEquals("grpc", plugins.transport("grpc").name());
    }

    @Test
    void selecting_an_unknown_name_lists_the_available_ones() {
        Plugins plugins = new Plugins(List.of(new NamedBackend("b"), new NamedBackend("a")), List.of());
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class, () -> plugins.backend("c"));
        assertEquals("no backend named 'c'; available: a, b", error.getMessage());
    }

    @Test
    void two_providers_with_one_name_are_refused() {
        Plugins plugins = new Plugins(List.of(new NamedBackend("a"), new NamedBackend("a")), List.of());
        KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class, () -> plugins.backend("a"));
        assertTrue(error.getMessage().startsWith("several backends are named 'a'"), error.getMessage());
    }

    @Test
    void provider_settings_live_under_their_name() {
        assertEquals("kms.hsm-sim", Plugins.namespace("hsm-sim"));
    }
}
