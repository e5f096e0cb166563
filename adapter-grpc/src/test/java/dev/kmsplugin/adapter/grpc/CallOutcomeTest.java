package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kmsplugin.adapter.grpc.kms.CallOutcome;
import dev.kmsplugin.adapter.grpc.kms.CallRefusal;
import dev.kmsplugin.adapter.grpc.kms.KmsStatusMapping;
import io.grpc.Status;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The call line's fields and text form; the adapter's refusals through the one status mapping. */
class CallOutcomeTest {

    @Test
    void fields_come_in_a_fixed_order_and_the_text_form_quotes_what_could_pass_for_a_field() {
        CallOutcome outcome = new CallOutcome("a\" b=c", "v1beta1/Encrypt", "INVALID_ARGUMENT", 12,
                "request version is 'x\" user=system:admin'");
        Map<String, String> fields = outcome.fields();
        assertEquals(List.of("uid", "method", "code", "micros", "detail"), List.copyOf(fields.keySet()));
        assertEquals("a\" b=c", fields.get("uid"));
        assertEquals("uid=\"a\\\" b=c\" method=v1beta1/Encrypt code=INVALID_ARGUMENT micros=12"
                + " detail=\"request version is 'x\\\" user=system:admin'\"", fields.toString());
        assertEquals("uid=u1 method=v2/Encrypt code=OK micros=5",
                new CallOutcome("u1", "v2/Encrypt", "OK", 5, "").toString());
    }

    @Test
    void the_adapters_own_refusals_map_to_their_codes_and_never_unknown() {
        assertEquals(Status.Code.RESOURCE_EXHAUSTED,
                KmsStatusMapping.toStatus(new CallRefusal.Overloaded(3), "u").getCode());
        assertEquals(Status.Code.UNAVAILABLE, KmsStatusMapping.toStatus(new CallRefusal.Draining(), "u").getCode());
        assertEquals(Status.Code.INVALID_ARGUMENT,
                KmsStatusMapping.toStatus(new CallRefusal.Malformed("v2/Decrypt"), "u").getCode());
        Status internal = KmsStatusMapping.toStatus(new IllegalStateException("bug"), "uid-7");
        assertEquals(Status.Code.INTERNAL, internal.getCode());
        assertEquals(true, internal.getDescription().contains("uid-7"));
    }
}
