package dev.kmsplugin.adapter.etcd.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EtcdSettingsTest {

    @TempDir
    Path directory;

    @Test
    void defaults_are_five_seconds_to_dial_and_thirty_per_page() {
        EtcdSettings settings = EtcdSettings.of(List.of(URI.create("https://127.0.0.1:2379")));
        assertEquals(Duration.ofSeconds(5), settings.dialTimeout());
        assertEquals(Duration.ofSeconds(30), settings.requestTimeout());
    }

    @Test
    void https_without_a_ca_file_uses_the_default_trust() {
        EtcdSettings settings = EtcdSettings.of(List.of(URI.create("https://etcd.example:2379")));
        assertTrue(settings.caCert().isEmpty());
    }

    @Test
    void parses_etcdctl_style_endpoint_lists() {
        assertEquals(List.of(URI.create("https://10.0.0.1:2379"), URI.create("https://10.0.0.2:2379")),
                EtcdSettings.parseEndpoints(" https://10.0.0.1:2379 ,https://10.0.0.2:2379,"));
    }

    @Test
    void endpoints_that_are_not_http_urls_with_a_port_are_refused_naming_the_flag() {
        for (String endpoint : List.of("unix:///var/run/etcd.sock", "127.0.0.1:2379", "https://127.0.0.1",
                "https://127.0.0.1:2379/v3")) {
            KmsException failure = assertThrows(KmsException.Misconfigured.class,
                    () -> EtcdSettings.of(EtcdSettings.parseEndpoints(endpoint)));
            assertTrue(failure.getMessage().startsWith("--etcd-endpoints"), failure.getMessage());
        }
        assertThrows(KmsException.Misconfigured.class, () -> EtcdSettings.of(List.of()));
        assertThrows(KmsException.Misconfigured.class, () -> EtcdSettings.parseEndpoints("https://a b:1"));
    }

    @Test
    void a_certificate_needs_its_key_and_a_key_its_certificate() throws IOException {
        Path file = Files.writeString(directory.resolve("file.pem"), "x");
        EtcdSettings base = EtcdSettings.of(List.of(URI.create("https://127.0.0.1:2379")));

        KmsException noKey = assertThrows(KmsException.Misconfigured.class,
                () -> base.withTls(Optional.empty(), Optional.of(file), Optional.empty()));
        assertTrue(noKey.getMessage().startsWith("--etcd-cert is given without --etcd-key"), noKey.getMessage());
        KmsException noCert = assertThrows(KmsException.Misconfigured.class,
                () -> base.withTls(Optional.empty(), Optional.empty(), Optional.of(file)));
        assertTrue(noCert.getMessage().startsWith("--etcd-key is given without --etcd-cert"), noCert.getMessage());
    }

    @Test
    void missing_files_are_refused_naming_the_flag_and_the_path() {
        Path missing = directory.resolve("missing.crt");
        EtcdSettings base = EtcdSettings.of(List.of(URI.create("https://127.0.0.1:2379")));

        KmsException failure = assertThrows(KmsException.Misconfigured.class,
                () -> base.withTls(Optional.of(missing), Optional.empty(), Optional.empty()));
        assertEquals("--etcd-cacert " + missing + ": no such file", failure.getMessage());
    }

    @Test
    void tls_files_with_only_plaintext_endpoints_are_refused() throws IOException {
        Path file = Files.writeString(directory.resolve("ca.pem"), "x");
        EtcdSettings plain = EtcdSettings.of(List.of(URI.create("http://127.0.0.1:2379")));
        assertThrows(KmsException.Misconfigured.class,
                () -> plain.withTls(Optional.of(file), Optional.empty(), Optional.empty()));
    }
}
