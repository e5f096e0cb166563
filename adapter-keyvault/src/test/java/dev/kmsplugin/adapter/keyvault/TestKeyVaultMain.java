package dev.kmsplugin.adapter.keyvault;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The test Key Vault as a process of its own, for the launcher's integration tests (app's KeyVault*IT), which run
 * the packaged plugin and cannot share a JVM with it. Usage: {@code TestKeyVaultMain <work dir>}. It writes
 * {@code azure.json} (client secret for the test token endpoint) into the work dir, then prints one line
 * {@code READY url=<https url> truststore=<p12> password=<pw> version=<key version>} and serves until stdin closes.
 * Each stdin line {@code rotate} adds a key version and answers {@code ROTATED version=<id>}.
 */
public final class TestKeyVaultMain {

    private TestKeyVaultMain() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]).toAbsolutePath();
        Files.createDirectories(dir);
        System.setProperty("kms.test.tls.dir", dir.resolve("tls").toString());
        try (TestKeyVault vault = TestKeyVault.vault("myvault")) {
            TestKeyVault.Version version = vault.createVersion("kek", 2048);
            Files.writeString(dir.resolve("azure.json"), "{\"cloud\":\"AzurePublicCloud\",\"tenantId\":\""
                    + TestKeyVault.TENANT + "\",\"aadClientId\":\"it-client\",\"aadClientSecret\":\""
                    + vault.clientSecret + "\"}");
            System.out.println("READY url=" + vault.url() + " truststore=" + TestTls.get().trustStore + " password="
                    + TestTls.PASSWORD + " version=" + version.id);
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.trim().equals("rotate")) {
                    System.out.println("ROTATED version=" + vault.createVersion("kek", 2048).id);
                } else if (line.trim().equals("requests")) {
                    System.out.println("REQUESTS " + vault.paths());
                }
                System.out.flush();
            }
        }
    }
}
