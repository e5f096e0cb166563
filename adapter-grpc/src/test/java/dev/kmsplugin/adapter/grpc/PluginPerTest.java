package dev.kmsplugin.adapter.grpc;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Tests that each run against their own {@link RunningPlugin} with default settings: started before a test (and before
 * the test class's own {@code @BeforeEach}), closed after it (after the test class's own {@code @AfterEach}, even when
 * that fails).
 */
abstract class PluginPerTest {

    RunningPlugin plugin;

    @BeforeEach
    final void startPlugin() {
        plugin = RunningPlugin.start();
    }

    @AfterEach
    final void closePlugin() {
        plugin.close();
    }
}
