package dev.kmsplugin.adapter.etcd.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.adapter.etcd.testing.EtcdProcess;
import dev.kmsplugin.domain.failure.KmsException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The client against a real etcd with TLS and client-certificate auth. Each test writes under its own prefix. */
class EtcdClientTest {

    private static EtcdProcess etcd;

    @BeforeAll
    static void startEtcd() {
        etcd = EtcdProcess.start();
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @Test
    void scans_exactly_the_keys_under_the_prefix_in_key_order_page_by_page() {
        TreeMap<byte[], byte[]> inside = new TreeMap<>(Arrays::compareUnsigned);
        for (int i = 0; i < 2500; i++) {
            inside.put(bytes(String.format("/registry/secrets/ns-%02d/secret-%04d", i % 37, i)),
                    bytes("value-" + i));
        }
        // Keys whose bytes sit at the edges: 0x00 and 0xff right after the prefix, so the next page must start at
        // "last key + 0x00" exactly.
        inside.put(concat(bytes("/registry/"), new byte[] {0}), bytes("zero"));
        inside.put(concat(bytes("/registry/"), new byte[] {0, 0}), bytes("zero zero"));
        inside.put(concat(bytes("/registry/"), new byte[] {(byte) 0xff}), bytes("ff"));
        inside.put(concat(bytes("/registry/"), new byte[] {(byte) 0xff, (byte) 0xff, 1}), bytes("ff ff 01"));
        Map<byte[], byte[]> outside = new LinkedHashMap<>();
        for (String key : List.of("/registry", "/registry.", "/registry0", "/registryx", "/registryx/a", "/regist",
                "/reg", "/registrz/a")) {
            outside.put(bytes(key), bytes("outside"));
        }
        etcd.putAll(inside);
        etcd.putAll(outside);

        List<byte[]> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        try (EtcdClient client = EtcdClient.connect(etcd.settings())) {
            long revision = client.scan(bytes("/registry/"), 100, (key, value) -> {
                keys.add(key);
                values.add(value);
            });
            assertTrue(revision > 0);
            assertEquals(inside.size(), client.scanned());
        }

        assertEquals(inside.size(), keys.size());
        int index = 0;
        for (Map.Entry<byte[], byte[]> expected : inside.entrySet()) {
            assertArrayEquals(expected.getKey(), keys.get(index), "key " + index);
            assertArrayEquals(expected.getValue(), values.get(index), "value " + index);
            index++;
        }
    }

    @Test
    void keys_written_after_the_first_page_are_not_seen() {
        putNumbered("/pinned/k-%04d", 300, "old");

        List<String> seen = new ArrayList<>();
        List<String> valuesSeen = new ArrayList<>();
        try (EtcdClient client = EtcdClient.connect(etcd.settings())) {
            client.scan(bytes("/pinned/"), 50, (key, value) -> {
                seen.add(new String(key, UTF_8));
                valuesSeen.add(new String(value, UTF_8));
                if (seen.size() == 50) {
                    // after the first page: new keys before and after the cursor, and a new value for a later key
                    Map<byte[], byte[]> after = new LinkedHashMap<>();
                    for (int i = 0; i < 40; i++) {
                        after.put(bytes(String.format("/pinned/k-%04d-new", 100 + i)), bytes("new"));
                        after.put(bytes(String.format("/pinned/z-%04d", i)), bytes("new"));
                    }
                    after.put(bytes("/pinned/k-0299"), bytes("new"));
                    etcd.putAll(after);
                }
            });
        }

        assertEquals(300, seen.size());
        assertTrue(seen.stream().noneMatch(key -> key.endsWith("-new") || key.startsWith("/pinned/z-")), "" + seen);
        assertEquals("old", valuesSeen.get(299), "the value at the pinned revision");
    }

    @Test
    void pages_too_large_for_one_response_shrink_and_every_value_arrives() {
        TreeMap<byte[], byte[]> large = new TreeMap<>(Arrays::compareUnsigned);
        long total = 0;
        for (int i = 0; i < 15; i++) {
            // etcd 3.4 refuses requests over 1.5 MiB by default; 1.2 to 1.4 MiB values pass one by one.
            byte[] value = new byte[(int) ((1.2 + (i % 3) * 0.1) * (1 << 20))];
            Arrays.fill(value, (byte) i);
            value[0] = (byte) 0xa5;
            value[value.length - 1] = (byte) i;
            large.put(bytes(String.format("/big/value-%02d", i)), value);
            total += value.length;
            etcd.put(bytes(String.format("/big/value-%02d", i)), value);
        }
        for (int i = 0; i < 20; i++) {
            byte[] key = bytes(String.format("/big/value-%02d-small", i));
            large.put(key, bytes("small"));
            etcd.put(key, bytes("small"));
        }
        assertTrue(total > EtcdChannels.MAX_INBOUND_BYTES, "the values together exceed one response");

        List<byte[]> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        try (EtcdClient client = EtcdClient.connect(etcd.settings())) {
            client.scan(bytes("/big/"), 100, (key, value) -> {
                keys.add(key);
                values.add(value);
            });
        }

        assertEquals(large.size(), keys.size());
        int index = 0;
        for (Map.Entry<byte[], byte[]> expected : large.entrySet()) {
            assertArrayEquals(expected.getKey(), keys.get(index));
            assertArrayEquals(expected.getValue(), values.get(index), "value of " + new String(keys.get(index)));
            index++;
        }
    }

    @Test
    void a_value_too_large_even_alone_is_a_clear_error() {
        etcd.put(bytes("/huge/one"), new byte[1 << 20]);

        try (EtcdClient client = EtcdClient.connect(etcd.settings(), 512 * 1024)) {
            KmsException failure = assertThrows(KmsException.class,
                    () -> client.scan(bytes("/huge/"), 8, (key, value) -> { }));
            assertEquals(KmsException.Kind.BACKEND_UNAVAILABLE, failure.kind());
            assertTrue(failure.getMessage().contains("/huge/") && failure.getMessage().contains("alone"),
                    failure.getMessage());
        }
    }

    @Test
    void a_revision_compacted_during_the_scan_says_to_rerun_the_audit() {
        putNumbered("/compact/k-%02d", 30, "v");

        try (EtcdClient client = EtcdClient.connect(etcd.settings())) {
            int[] count = {0};
            KmsException failure = assertThrows(KmsException.class, () -> client.scan(bytes("/compact/"), 10,
                    (key, value) -> {
                        if (++count[0] == 10) {
                            etcd.compact(etcd.put(bytes("/compact-elsewhere"), bytes("advance")));
                        }
                    }));
            assertEquals(KmsException.Kind.BACKEND_UNAVAILABLE, failure.kind());
            assertTrue(failure.getMessage().contains("compacted"), failure.getMessage());
            assertTrue(failure.getMessage().contains("run it again"), failure.getMessage());
            assertEquals(10, count[0]);
        }
    }

    @Test
    void the_pkcs1_client_key_kubeadm_writes_is_accepted() throws IOException {
        assertTrue(Files.readString(etcd.clientKey()).startsWith("-----BEGIN RSA PRIVATE KEY-----"));
        etcd.put(bytes("/pkcs1/key"), bytes("value"));

        List<String> keys = new ArrayList<>();
        try (EtcdClient client = EtcdClient.connect(etcd.settings())) {
            client.scan(bytes("/pkcs1/"), 10, (key, value) -> keys.add(new String(key, UTF_8)));
        }
        assertEquals(List.of("/pkcs1/key"), keys);
    }

    @Test
    void an_unreachable_endpoint_is_a_runtime_failure_naming_the_endpoint() throws IOException {
        URI closed = URI.create("https://127.0.0.1:" + closedPort());
        EtcdSettings settings = new EtcdSettings(List.of(closed), Optional.of(etcd.caCert()),
                Optional.of(etcd.clientCert()), Optional.of(etcd.clientKey()),
                EtcdSettings.DEFAULT_DIAL_TIMEOUT, EtcdSettings.DEFAULT_REQUEST_TIMEOUT);

        KmsException failure = assertThrows(KmsException.class, () -> {
            try (EtcdClient client = EtcdClient.connect(settings)) {
                client.scan(bytes("/registry/"), 10, (key, value) -> { });
            }
        });
        assertEquals(KmsException.Kind.BACKEND_UNAVAILABLE, failure.kind());
        assertTrue(failure.getMessage().contains(closed.toString()), failure.getMessage());
    }

    @Test
    void endpoints_are_tried_in_order_and_the_first_that_answers_is_used() throws IOException {
        URI closed = URI.create("https://127.0.0.1:" + closedPort());
        EtcdSettings settings = new EtcdSettings(List.of(closed, etcd.endpoint()), Optional.of(etcd.caCert()),
                Optional.of(etcd.clientCert()), Optional.of(etcd.clientKey()),
                EtcdSettings.DEFAULT_DIAL_TIMEOUT, EtcdSettings.DEFAULT_REQUEST_TIMEOUT);
        etcd.put(bytes("/order/key"), bytes("value"));

        try (EtcdClient client = EtcdClient.connect(settings)) {
            assertEquals(etcd.endpoint(), client.endpoint());
            List<String> keys = new ArrayList<>();
            client.scan(bytes("/order/"), 10, (key, value) -> keys.add(new String(key, UTF_8)));
            assertEquals(List.of("/order/key"), keys);
        }
    }

    /**
     * Settings in which the file behind {@code flag} is one etcd's TLS refuses: a client certificate etcd does not
     * trust ({@code --etcd-cert}), or a CA that did not sign etcd's server certificate ({@code --etcd-cacert}).
     */
    private static EtcdSettings untrusted(String flag) {
        return switch (flag) {
            case "--etcd-cert" -> etcd.settings().withTls(Optional.of(etcd.caCert()),
                    Optional.of(etcd.untrustedClientCert()), Optional.of(etcd.untrustedClientKey()));
            case "--etcd-cacert" -> etcd.settings().withTls(Optional.of(etcd.untrustedCaCert()),
                    Optional.of(etcd.clientCert()), Optional.of(etcd.clientKey()));
            default -> throw new IllegalArgumentException(flag);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"--etcd-cert", "--etcd-cacert"})
    void an_untrusted_certificate_is_a_one_line_tls_misconfiguration_naming_its_flag(String flag) {
        KmsException failure = assertThrows(KmsException.class, () -> {
            try (EtcdClient client = EtcdClient.connect(untrusted(flag))) {
                client.scan(bytes("/registry/"), 10, (key, value) -> { });
            }
        });
        assertEquals(KmsException.Kind.MISCONFIGURED, failure.kind(), failure.getMessage());
        assertTrue(failure.getMessage().contains("TLS"), failure.getMessage());
        assertTrue(failure.getMessage().contains(flag), failure.getMessage());
        assertFalse(failure.getMessage().contains("\n"), failure.getMessage());
    }

    @Test
    void prefix_end_increments_the_last_byte_below_0xff() {
        assertArrayEquals(bytes("/registry0"), EtcdClient.prefixEnd(bytes("/registry/")));
        assertArrayEquals(new byte[] {'a', 'c'}, EtcdClient.prefixEnd(new byte[] {'a', 'b', (byte) 0xff}));
        assertArrayEquals(new byte[] {0}, EtcdClient.prefixEnd(new byte[] {(byte) 0xff, (byte) 0xff}));
        assertArrayEquals(new byte[] {0}, EtcdClient.prefixEnd(new byte[0]));
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(UTF_8);
    }

    /** Writes {@code count} keys, {@code keyFormat} with 0 to count - 1, each to {@code value}, as putAll does. */
    private static void putNumbered(String keyFormat, int count, String value) {
        Map<byte[], byte[]> entries = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            entries.put(bytes(String.format(keyFormat, i)), bytes(value));
        }
        etcd.putAll(entries);
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }
}
