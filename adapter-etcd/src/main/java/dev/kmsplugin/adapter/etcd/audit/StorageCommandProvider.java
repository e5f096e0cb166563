package dev.kmsplugin.adapter.etcd.audit;

import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.CommandProvider;
import dev.kmsplugin.ports.spi.Flag;
import java.util.List;

/**
 * The {@code storage} commands: read what kube-apiserver stored in etcd and say what it depends on. Cheap to make:
 * nothing of etcd, gRPC or the audit loads until a storage command runs.
 */
public final class StorageCommandProvider implements CommandProvider {

    private static final String NS = "kms.storage.";

    @Override
    public String name() {
        return "storage";
    }

    @Override
    public String summary() {
        return "the apiserver's stored data in etcd: audit which key versions it needs";
    }

    @Override
    public List<Flag> flags() {
        return List.of(
                Flag.string("etcd-endpoints", NS + "etcd.endpoints",
                        "storage: etcd client URLs, comma-separated"),
                Flag.string("etcd-cacert", NS + "etcd.cacert",
                        "storage: PEM CA bundle that verifies etcd's certificate"),
                Flag.string("etcd-cert", NS + "etcd.cert",
                        "storage: PEM client certificate for etcd"),
                Flag.string("etcd-key", NS + "etcd.key",
                        "storage: PEM client key for etcd (PKCS#1, SEC1 or PKCS#8)"),
                Flag.string("etcd-prefix", NS + "etcd.prefix",
                        "storage: the apiserver's --etcd-prefix"),
                Flag.integer("etcd-page-size", NS + "etcd.page-size",
                        "storage: values per etcd Range request"),
                Flag.duration("etcd-dial-timeout", NS + "etcd.dial-timeout",
                        "storage: etcd connect timeout"),
                Flag.duration("etcd-command-timeout", NS + "etcd.command-timeout",
                        "storage: timeout of one etcd page"),
                Flag.string("provider-name", NS + "provider-names",
                        "storage: KMS provider names to audit, comma-separated (when unset: every KMS provider)"),
                Flag.string("output", NS + "output",
                        "storage audit: table or json"),
                Flag.string("require-none-under", NS + "require-none-under",
                        "storage audit: exit 6 while any stored value still needs this key version"));
    }

    @Override
    public List<Command> commands() {
        return List.of(new StorageCommand());
    }
}
