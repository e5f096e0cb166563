package dev.kmsplugin.adapter.keyvault;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A self-signed certificate for 127.0.0.1, made once per test JVM with the JDK's keytool, and the two SSL contexts
 * built from it: the server's, and a client's that trusts this certificate alone (not the JDK's CAs).
 */
final class TestTls {

    static final String PASSWORD = "changeit";
    private static TestTls instance;

    final Path keyStore;   // private key + certificate, PKCS#12; doubles as a client certificate for Entra ID
    final Path trustStore; // the certificate alone, PKCS#12
    final SSLContext server;
    final SSLContext client;

    private TestTls(Path dir) throws Exception {
        Files.createDirectories(dir);
        keyStore = dir.resolve("server.p12");
        trustStore = dir.resolve("trust.p12");
        Path cert = dir.resolve("server.crt");
        Files.deleteIfExists(keyStore);
        Files.deleteIfExists(trustStore);
        keytool("-genkeypair", "-alias", "kv", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "san=ip:127.0.0.1,dns:localhost", "-keystore", keyStore.toString(),
                "-storetype", "PKCS12", "-storepass", PASSWORD, "-keypass", PASSWORD);
        keytool("-exportcert", "-alias", "kv", "-keystore", keyStore.toString(), "-storepass", PASSWORD,
                "-rfc", "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", "kv", "-file", cert.toString(), "-keystore",
                trustStore.toString(), "-storetype", "PKCS12", "-storepass", PASSWORD);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(keyStore), PASSWORD.toCharArray());
        server = SSLContext.getInstance("TLS");
        server.init(kmf.getKeyManagers(), null, null);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(trustStore));
        client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);
    }

    static synchronized TestTls get() {
        if (instance == null) {
            try {
                instance = new TestTls(Path.of(System.getProperty("kms.test.tls.dir", "target/kv-test-tls")).toAbsolutePath());
            } catch (Exception e) {
                throw new IllegalStateException("cannot make the test certificate", e);
            }
        }
        return instance;
    }

    private static KeyStore load(Path file) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, PASSWORD.toCharArray());
        }
        return store;
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        List<String> command = new java.util.ArrayList<>(List.of(keytool.toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (!process.waitFor(30, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IOException("keytool " + args[0] + " failed: " + output);
        }
    }
}
