package dev.kmsplugin.adapter.etcd.audit;

import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.ExitCode;
import dev.kmsplugin.ports.spi.Synopsis;
import java.util.List;

/**
 * {@code kms-plugin storage audit}: reads etcd read-only, page by page at one revision, and reports which key
 * versions the stored data depends on, matched against the key versions of the backend {@code --backend} selects.
 *
 * <p>Exit codes: 0 done (with {@code --require-none-under}: nothing needs the version); 1 etcd or the backend
 * unreachable; 2 bad command line, an unreadable certificate or key, or a TLS refusal; 6 refused: stored data still
 * depends on the version named by {@code --require-none-under}, or some values cannot be attributed.
 */
final class StorageCommand implements Command {

    static final Synopsis SYNOPSIS = new Synopsis("storage", List.of(new Synopsis.Form("audit",
            List.of("etcd-endpoints", "etcd-cacert", "etcd-cert", "etcd-key"),
            List.of("etcd-prefix", "etcd-page-size", "etcd-dial-timeout", "etcd-command-timeout", "provider-name",
                    "output", "require-none-under", "backend"),
            "and the backend's own flags")));

    @Override
    public String name() {
        return "storage";
    }

    @Override
    public String summary() {
        return "audit which key versions the data in etcd depends on (storage audit --etcd-endpoints=...)";
    }

    @Override
    public Synopsis synopsis() {
        return SYNOPSIS;
    }

    @Override
    public ExitCode run(Invocation invocation) {
        // The audit's classes (etcd client, gRPC, the report) load only from here, never while serving.
        return AuditRun.run(invocation);
    }
}
