package dev.kmsplugin.adapter.etcd.audit;

import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.ExitCode;

/**
 * {@code kms-plugin storage audit}: reads etcd read-only, page by page at one revision, and reports which key
 * versions the stored data depends on, matched against the key versions of the backend {@code --backend} selects.
 *
 * <p>Exit codes: 0 done (with {@code --require-none-under}: nothing needs the version); 1 etcd or the backend
 * unreachable; 2 bad command line, an unreadable certificate or key, or a TLS refusal; 6 refused: stored data still
 * depends on the version named by {@code --require-none-under}, or some values cannot be attributed.
 */
final class StorageCommand implements Command {

    static final String USAGE = "usage: kms-plugin storage audit --etcd-endpoints=URL[,URL] --etcd-cacert=FILE"
            + " --etcd-cert=FILE --etcd-key=FILE [--etcd-prefix=/registry] [--provider-name=NAME[,NAME]]"
            + " [--output=table|json] [--require-none-under=VERSION] plus the backend's flags (--backend, ...)";

    @Override
    public String name() {
        return "storage";
    }

    @Override
    public String summary() {
        return "audit which key versions the data in etcd depends on (storage audit --etcd-endpoints=...)";
    }

    @Override
    public String usage() {
        return USAGE;
    }

    @Override
    public java.util.List<String> flagNames(java.util.List<String> arguments) {
        return java.util.List.of("etcd-endpoints", "etcd-cacert", "etcd-cert", "etcd-key", "etcd-prefix",
                "etcd-page-size", "etcd-dial-timeout", "etcd-command-timeout", "provider-name", "output",
                "require-none-under", "backend");
    }

    @Override
    public ExitCode run(Invocation invocation) {
        // The audit's classes (etcd client, gRPC, the report) load only from here, never while serving.
        return AuditRun.run(invocation);
    }
}
