package dev.kmsplugin.adapter.keyvault;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/** A test against a fresh HTTPS test vault with its Entra ID endpoints, closed after each test. */
abstract class VaultTest {

    @TempDir
    Path dir;
    Fixture fixture;
    TestKeyVault vault;

    @BeforeEach
    void startVault() throws Exception {
        fixture = Fixture.create(dir);
        vault = fixture.vault;
    }

    @AfterEach
    void stopVault() {
        fixture.close();
    }
}
