package dev.kmsplugin.adapter.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kmsplugin.adapter.grpc.kms.KmsStatusMapping;
import dev.kmsplugin.domain.failure.KmsException;
import io.grpc.Status;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The documented table (docs/grpc.md), one row per kind of domain failure; nothing becomes UNKNOWN. */
class KmsStatusMappingTest {

    @Test
    void every_kind_of_failure_maps_to_its_documented_code() {
        Map<KmsException.Kind, KmsException> samples = new EnumMap<>(KmsException.Kind.class);
        samples.put(KmsException.Kind.INVALID_INPUT, new KmsException.InvalidInput("x"));
        samples.put(KmsException.Kind.UNKNOWN_KEY_VERSION, new KmsException.UnknownKeyVersion("x"));
        samples.put(KmsException.Kind.INTEGRITY_FAILURE, new KmsException.IntegrityFailure("x"));
        samples.put(KmsException.Kind.BACKEND_UNAVAILABLE, new KmsException.BackendUnavailable("x"));
        samples.put(KmsException.Kind.THROTTLED, new KmsException.Throttled("x", null));
        samples.put(KmsException.Kind.ACCESS_DENIED, new KmsException.AccessDenied("x"));
        samples.put(KmsException.Kind.DEADLINE_EXCEEDED, new KmsException.DeadlineExceeded("x"));
        samples.put(KmsException.Kind.MISCONFIGURED, new KmsException.Misconfigured("x"));
        Map<KmsException.Kind, Status.Code> table = Map.of(
                KmsException.Kind.INVALID_INPUT, Status.Code.INVALID_ARGUMENT,
                KmsException.Kind.INTEGRITY_FAILURE, Status.Code.INVALID_ARGUMENT,
                KmsException.Kind.UNKNOWN_KEY_VERSION, Status.Code.FAILED_PRECONDITION,
                KmsException.Kind.MISCONFIGURED, Status.Code.FAILED_PRECONDITION,
                KmsException.Kind.BACKEND_UNAVAILABLE, Status.Code.UNAVAILABLE,
                KmsException.Kind.THROTTLED, Status.Code.RESOURCE_EXHAUSTED,
                KmsException.Kind.ACCESS_DENIED, Status.Code.PERMISSION_DENIED,
                KmsException.Kind.DEADLINE_EXCEEDED, Status.Code.DEADLINE_EXCEEDED);
        assertEquals(KmsException.Kind.values().length, samples.size(), "a new kind needs a row here and in the docs");
        samples.forEach((kind, failure) -> assertEquals(table.get(kind),
                KmsStatusMapping.toStatus(failure).getCode(), kind.name()));
    }

    @Test
    void descriptions_are_one_printable_line_of_bounded_length() {
        String message = "line one\nline two\t\u0000" + "y".repeat(2000);
        String description = KmsStatusMapping.toStatus(new KmsException.InvalidInput(message)).getDescription();
        assertEquals(-1, description.indexOf('\n'));
        assertEquals(true, description.matches("[\\x20-\\x7e]*"));
        assertEquals(512, description.length());
    }
}
