package dev.kmsplugin.adapter.etcd.client;

import com.google.protobuf.ByteString;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.failure.Messages;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.util.Objects;
import javax.net.ssl.SSLException;

/** What etcd's gRPC failures mean for the storage audit, in words that name the flag or setting to fix. */
final class EtcdErrors {

    private EtcdErrors() {
    }

    /** What a failed Range means for the audit, as the error the operator reads. */
    static RuntimeException failure(StatusRuntimeException e, URI endpoint, EtcdSettings settings, byte[] prefix,
                                    long pinned) {
        Status status = e.getStatus();
        String where = "etcd at " + endpoint;
        String what = "reading '" + printable(ByteString.copyFrom(prefix)) + "'";
        String said = status.getCode() + ": " + Objects.requireNonNullElse(status.getDescription(), "");
        return switch (status.getCode()) {
            case OUT_OF_RANGE -> said.contains("compacted")
                    ? new KmsException.BackendUnavailable(Messages.oneLine(where + " compacted away revision "
                            + pinned + ", which the audit was " + what + " at (" + said + "): the audit took "
                            + "longer than etcd's compaction interval (kube-apiserver compacts every 5 minutes "
                            + "by default); run it again"), e)
                    : new KmsException.BackendUnavailable(Messages.oneLine(where + " refused " + what + ": " + said),
                            e);
            case PERMISSION_DENIED, UNAUTHENTICATED -> new KmsException.Misconfigured(Messages.oneLine(where
                    + " refused " + what + " (" + said + "); the identity in " + EtcdSettings.CERT_FLAG
                    + " needs read access to that range"), e);
            case UNAVAILABLE -> isTls(e)
                    ? tlsRefused(endpoint, e)
                    : new KmsException.BackendUnavailable(Messages.oneLine("etcd stopped answering while the audit "
                            + "was " + what + "; tried " + settings.endpointList() + " (" + reason(e) + ")"), e);
            case DEADLINE_EXCEEDED -> new KmsException.BackendUnavailable(Messages.oneLine(where
                    + " did not return a page within " + settings.requestTimeout().toSeconds() + " s while the audit "
                    + "was " + what + "; rerun with a smaller page or a longer request timeout"), e);
            default -> new KmsException.BackendUnavailable(Messages.oneLine(where + " failed " + what + ": " + said),
                    e);
        };
    }

    static KmsException tlsRefused(URI endpoint, StatusRuntimeException e) {
        return new KmsException.Misconfigured(Messages.oneLine("TLS with etcd at " + endpoint + " failed ("
                + reason(e) + "); check " + EtcdSettings.CA_FLAG + " (the CA that signed etcd's server "
                + "certificate), and " + EtcdSettings.CERT_FLAG + " and " + EtcdSettings.KEY_FLAG
                + " (a client certificate that etcd's --trusted-ca-file trusts)"), e);
    }

    /** The status refuses a connection for a TLS reason: a certificate, a handshake, an alert. */
    static boolean isTls(StatusRuntimeException e) {
        for (Throwable cause = e.getStatus().getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof SSLException || cause instanceof CertificateException) {
                return true;
            }
        }
        return false;
    }

    /** The deepest cause's class and message, or the status description: why a connection failed. */
    static String reason(StatusRuntimeException e) {
        Throwable root = e.getStatus().getCause();
        if (root == null) {
            return Messages.oneLine(e.getStatus().getCode() + ": " + e.getStatus().getDescription(), 300);
        }
        String best = null;
        for (Throwable cause = root; cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null) {
                best = cause.getClass().getSimpleName() + ": " + cause.getMessage();
            }
        }
        return Messages.oneLine(best == null ? root.getClass().getSimpleName() : best, 300);
    }

    /** A key for messages: etcd keys under /registry are resource paths, not secrets. */
    static String printable(ByteString key) {
        return Messages.oneLine(new String(key.toByteArray(), StandardCharsets.UTF_8), 200);
    }
}
