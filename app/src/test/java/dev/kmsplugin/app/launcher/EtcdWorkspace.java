package dev.kmsplugin.app.launcher;

import dev.kmsplugin.adapter.etcd.testing.EtcdProcess;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real etcd with TLS client certificates and a working directory under /tmp, shared by the tests of one class
 * ({@code @RegisterExtension static}): started before the first test, stopped and deleted after the last.
 */
final class EtcdWorkspace implements BeforeAllCallback, AfterAllCallback {

    private final String prefix;
    private EtcdProcess etcd;
    private Path dir;

    EtcdWorkspace(String prefix) {
        this.prefix = prefix;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        etcd = EtcdProcess.start();
        dir = ShortTempDirs.create(prefix);
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (etcd != null) {
            etcd.close();
        }
        ShortTempDirs.delete(dir);
    }

    EtcdProcess etcd() {
        return etcd;
    }

    Path dir() {
        return dir;
    }
}
