package dev.kmsplugin.ports.inbound;

import dev.kmsplugin.domain.call.CallContext;
import dev.kmsplugin.domain.envelope.Plaintext;

/**
 * What a transport asks of the plugin on behalf of kube-apiserver: wrap a data key, unwrap it again, and say
 * whether the plugin can serve and under which key id. Failures are {@link dev.kmsplugin.domain.failure.KmsException}s.
 */
public interface EnvelopeEncryption {

    /** Wraps {@code plaintext} under the current key version. */
    EncryptResult encrypt(Plaintext plaintext, CallContext call);

    /** Unwraps a ciphertext produced by this plugin (any key version, any earlier release) or by the Go plugin. */
    Plaintext decrypt(DecryptRequest request, CallContext call);

    /** Health and current key id, from cached state: never a backend call. */
    StatusReport status();
}
