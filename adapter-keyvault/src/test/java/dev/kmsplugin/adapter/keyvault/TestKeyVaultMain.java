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
 * Each stdin line {@code rotate} adds a key version and answers {@code ROTATED version=<id>};
 * {@code go-v1 <base64 plaintext>} answers {@code GO-V1 <ciphertext>} with what the Go plugin stored for KMS v1 (the
 * base64url text of a Key Vault RSA1_5 encrypt under the first version), base64-encoded once more for transport;
 * {@code enabled <key> <version>} answers {@code ENABLED true|false}; {@code throttle <operation>} answers the next
 * request of that operation (e.g. {@code unwrapkey}) with 429 and prints {@code THROTTLING <operation>};
 * {@code counts} answers {@code COUNTS <operation>=<n> ...}, the requests so far by operation. Versions carry
 * wall-clock creation times.
 */
public final class TestKeyVaultMain {

    private TestKeyVaultMain() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]).toAbsolutePath();
        Files.createDirectories(dir);
        System.setProperty("kms.test.tls.dir", dir.resolve("tls").toString());
        try (TestKeyVault vault = TestKeyVault.vault("myvault")) {
            vault.wallClock = true;
            TestKeyVault.Version version = vault.createVersion("kek", 2048);
            String first = version.id;
            Files.writeString(dir.resolve("azure.json"), "{\"cloud\":\"AzurePublicCloud\",\"tenantId\":\""
                    + TestKeyVault.TENANT + "\",\"aadClientId\":\"it-client\",\"aadClientSecret\":\""
                    + vault.clientSecret + "\"}");
            // it holds a client secret: owner-only, as an operator keeps it (a readable one draws a warning)
            Files.setPosixFilePermissions(dir.resolve("azure.json"),
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            System.out.println("READY url=" + vault.url() + " truststore=" + TestTls.get().trustStore + " password="
                    + TestTls.PASSWORD + " version=" + version.id);
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.trim().equals("rotate")) {
                    System.out.println("ROTATED version=" + vault.createVersion("kek", 2048).id);
                } else if (line.startsWith("rotate ")) {
                    // a new version of the named key, created with its first version when absent
                    System.out.println("ROTATED version=" + vault.createVersion(line.substring(7).trim(), 2048).id);
                } else if (line.startsWith("go-v1 ")) {
                    byte[] plaintext = java.util.Base64.getDecoder().decode(line.substring(6).trim());
                    byte[] encrypted = vault.encrypt("kek", first, "RSA1_5", plaintext);
                    String stored = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(encrypted);
                    System.out.println("GO-V1 " + java.util.Base64.getEncoder().encodeToString(
                            stored.getBytes(StandardCharsets.US_ASCII)));
                } else if (line.startsWith("enabled ")) {
                    String[] words = line.trim().split("\\s+");
                    System.out.println("ENABLED " + vault.version(words[1], words[2]).enabled);
                } else if (line.startsWith("throttle ")) {
                    // the next request of this operation (wrapkey, unwrapkey, get, ...) is answered 429 once
                    String operation = line.substring(9).trim();
                    vault.failNext(operation, 429, java.util.Map.of(), 1);
                    System.out.println("THROTTLING " + operation);
                } else if (line.trim().equals("requests")) {
                    System.out.println("REQUESTS " + vault.paths());
                } else if (line.trim().equals("counts")) {
                    // requests so far by operation (wrapkey, unwrapkey, get, versions, token, ...), for benchmarks
                    java.util.Map<String, Long> counts = new java.util.TreeMap<>();
                    vault.requests.forEach(r -> counts.merge(r.operation(), 1L, Long::sum));
                    StringBuilder answer = new StringBuilder("COUNTS");
                    counts.forEach((operation, n) -> answer.append(' ').append(operation).append('=').append(n));
                    System.out.println(answer);
                }
                System.out.flush();
            }
        }
    }
}
