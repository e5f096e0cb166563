package dev.kmsplugin.adapter.keyvault;

import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import dev.kmsplugin.ports.envelope.EnvelopeService;
import dev.kmsplugin.ports.spi.Backend;
import dev.kmsplugin.ports.spi.Settings;
import dev.kmsplugin.ports.testkit.ManualClock;
import dev.kmsplugin.ports.testkit.MapSettings;
import dev.kmsplugin.ports.testkit.RecordingTelemetry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A test Key Vault, a config file and settings for one backend, all in a temp directory. */
final class Fixture implements AutoCloseable {

    final TestKeyVault vault;
    final Path dir;
    final Map<String, Object> conf = new HashMap<>();
    final Map<String, String> env = new HashMap<>();
    final RecordingTelemetry telemetry = new RecordingTelemetry();
    final ManualClock clock = new ManualClock();

    Fixture(TestKeyVault vault, Path dir) {
        this.vault = vault;
        this.dir = dir;
        // The shipped defaults, then what a test against the local test vault needs: its names and endpoints, a
        // probe that never fires on its own during a test, and short retry delays.
        conf.putAll(MapSettings.reference("kms.keyvault").values());
        conf.put("vault-name", "myvault");
        conf.put("key-name", "kek");
        conf.put("config-file-path", dir.resolve("azure.json").toString());
        conf.put("endpoint", vault.url());
        conf.put("authority-host", vault.url());
        conf.put("probe-interval", Duration.ofMinutes(10));
        conf.put("retry-base-delay", Duration.ofMillis(20));
        conf.put("retry-max-delay", Duration.ofMillis(100));
        conf.put("startup-timeout", Duration.ofSeconds(10));
    }

    static Fixture create(Path dir) throws IOException {
        Fixture fixture = new Fixture(TestKeyVault.vault("myvault"), dir);
        fixture.config("{\"cloud\":\"AzurePublicCloud\",\"tenantId\":\"" + TestKeyVault.TENANT
                + "\",\"aadClientId\":\"app-1\",\"aadClientSecret\":\"" + fixture.vault.clientSecret + "\"}");
        return fixture;
    }

    Fixture config(String text) throws IOException {
        Files.writeString(Path.of((String) conf.get("config-file-path")), text);
        return this;
    }

    Fixture set(String path, Object value) {
        conf.put(path, value);
        return this;
    }

    KeyVaultSettings settings() {
        return KeyVaultSettings.read(new MapSettings("kms.keyvault", conf));
    }

    static HttpClient trustingClient() {
        return new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1).sslContext(TestTls.get().client)).build();
    }

    /** The settings view the provider gets, over this fixture's configuration. */
    Settings view() {
        return new MapSettings("kms.keyvault", conf);
    }

    /** What the provider hands the core: the keys and the reader of Go-plugin ciphertexts. */
    static Backend served(KeyVaultKekBackend keys) {
        return new Backend(keys, Optional.of(keys.goPluginReader()));
    }

    /** The plugin's envelope service over {@code keys} as the provider serves them, reporting to this telemetry. */
    EnvelopeService service(KeyVaultKekBackend keys) {
        return new EnvelopeService(served(keys), telemetry);
    }

    KeyVaultKekBackend open() {
        return KeyVaultBackendProvider.open(settings(), env, trustingClient(), telemetry, clock);
    }

    /** Opens with an HTTP client that sends what is meant for the instance metadata service to the test vault. */
    KeyVaultKekBackend openWithImdsAt(int port) {
        HttpClient trusting = trustingClient();
        HttpClient imds = new HttpClient() {
            @Override
            public reactor.core.publisher.Mono<com.azure.core.http.HttpResponse> send(
                    com.azure.core.http.HttpRequest request) {
                return trusting.send(redirect(request));
            }

            @Override
            public reactor.core.publisher.Mono<com.azure.core.http.HttpResponse> send(
                    com.azure.core.http.HttpRequest request, com.azure.core.util.Context context) {
                return trusting.send(redirect(request), context);
            }

            @Override
            public com.azure.core.http.HttpResponse sendSync(com.azure.core.http.HttpRequest request,
                                                             com.azure.core.util.Context context) {
                return trusting.sendSync(redirect(request), context);
            }

            private com.azure.core.http.HttpRequest redirect(com.azure.core.http.HttpRequest request) {
                if (request.getUrl().getHost().equals("169.254.169.254")) {
                    return request.copy().setUrl("http://127.0.0.1:" + port + request.getUrl().getFile());
                }
                return request;
            }
        };
        return KeyVaultBackendProvider.open(settings(), env, imds, telemetry, clock);
    }

    @Override
    public void close() {
        vault.close();
    }
}
