package dev.kmsplugin.adapter.etcd.client;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.adapter.etcd.testing.EtcdProcess;
import dev.kmsplugin.domain.failure.KmsException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** etcd with authentication on: the client certificate's CN is a user who may read /registry/ only. */
class EtcdAuthTest {

    private static EtcdProcess etcd;

    @BeforeAll
    static void startEtcdWithAuth() {
        etcd = EtcdProcess.start();
        etcd.put("/registry/secrets/default/a".getBytes(UTF_8), "v".getBytes(UTF_8));
        etcd.put("/private/b".getBytes(UTF_8), "v".getBytes(UTF_8));
        etcd.enableAuth("/registry/");
    }

    @AfterAll
    static void stopEtcd() {
        if (etcd != null) {
            etcd.close();
        }
    }

    @Test
    void reads_the_range_the_certificate_user_may_read() {
        List<String> keys = new ArrayList<>();
        try (EtcdClient client = EtcdClient.connect(etcd.settings())) {
            client.scan("/registry/".getBytes(UTF_8), 10, (key, value) -> keys.add(new String(key, UTF_8)));
        }
        assertEquals(List.of("/registry/secrets/default/a"), keys);
    }

    @Test
    void a_range_the_user_may_not_read_is_a_misconfiguration_naming_the_certificate_flag() {
        try (EtcdClient client = EtcdClient.connect(etcd.settings())) {
            KmsException failure = assertThrows(KmsException.class,
                    () -> client.scan("/private/".getBytes(UTF_8), 10, (key, value) -> { }));
            assertEquals(KmsException.Kind.MISCONFIGURED, failure.kind(), failure.getMessage());
            assertTrue(failure.getMessage().contains("permission denied"), failure.getMessage());
            assertTrue(failure.getMessage().contains("--etcd-cert"), failure.getMessage());
        }
    }
}
