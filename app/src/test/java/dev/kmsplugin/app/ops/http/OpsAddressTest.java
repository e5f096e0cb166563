package dev.kmsplugin.app.ops.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import org.junit.jupiter.api.Test;

class OpsAddressTest {

    @Test
    void a_bare_port_as_the_go_plugin_took_it_binds_loopback() {
        assertEquals(new OpsAddress("127.0.0.1", 8095), OpsAddress.parse("8095", "--metrics-addr"));
    }

    @Test
    void reads_host_and_port_colon_port_and_bracketed_ipv6() {
        assertEquals(new OpsAddress("10.0.0.5", 9000), OpsAddress.parse("10.0.0.5:9000", "--metrics-addr"));
        assertEquals(new OpsAddress("0.0.0.0", 8095), OpsAddress.parse(":8095", "--metrics-addr"));
        assertEquals(new OpsAddress("::1", 8095), OpsAddress.parse("[::1]:8095", "--metrics-addr"));
        assertEquals("[::1]:8095", OpsAddress.parse("[::1]:8095", "--metrics-addr").toString());
    }

    @Test
    void rejects_what_is_not_an_address_naming_the_flag_and_the_accepted_forms() {
        for (String bad : new String[] {"", "localhost", "host:port", "127.0.0.1:70000", "::1:8095", "-1"}) {
            KmsException.Misconfigured error = assertThrows(KmsException.Misconfigured.class,
                    () -> OpsAddress.parse(bad, "--metrics-addr"), bad);
            assertTrue(error.getMessage().startsWith("--metrics-addr is '" + bad + "'; expected PORT, :PORT,"),
                    error.getMessage());
        }
        assertThrows(KmsException.Misconfigured.class, () -> OpsAddress.of("127.0.0.1", 65536, "--healthz-port"));
    }
}
