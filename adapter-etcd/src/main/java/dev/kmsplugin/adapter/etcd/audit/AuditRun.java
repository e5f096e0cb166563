package dev.kmsplugin.adapter.etcd.audit;

import dev.kmsplugin.adapter.etcd.client.EtcdClient;
import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.outbound.KeyInventory;
import dev.kmsplugin.ports.spi.Command;
import dev.kmsplugin.ports.spi.ExitCode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** One run of {@code storage audit}: the backend's inventory, one pass over etcd, the report and the verdict. */
final class AuditRun {


    private AuditRun() {
    }

    /** One pass over etcd at one revision, every value classified against {@code inventory}. */
    static AuditReport audit(StorageSettings settings, KeyInventory inventory) {
        try (EtcdClient etcd = EtcdClient.connect(settings.etcd())) {
            StorageAudit audit = new StorageAudit(inventory, settings.providers(), settings.prefix());
            long revision = etcd.scan(settings.prefix().getBytes(StandardCharsets.UTF_8), settings.pageSize(),
                    audit::add);
            return audit.report(etcd.endpoint().toString(), revision, inventory.describe());
        }
    }

    static ExitCode run(Command.Invocation invocation) {
        if (!invocation.arguments().equals(List.of("audit"))) {
            invocation.err().println(StorageCommand.SYNOPSIS.brief());
            return ExitCode.USAGE;
        }
        StorageSettings settings = StorageSettings.from(invocation.settings());
        KeyInventory inventory = invocation.collaborators().keyInventory();
        AuditReport report = audit(settings, inventory);
        Optional<ReportFormat.Requirement> requirement = settings.requireNoneUnder().map(version -> {
            String keyName = keyName(inventory);
            return new ReportFormat.Requirement(keyName, version, report.dependingOn(keyName, version),
                    report.unattributedCount());
        });
        PrintStream out = invocation.out();
        if (settings.json()) {
            out.println(ReportFormat.json(report, requirement));
        } else {
            ReportFormat.table(report, out);
        }
        if (requirement.isEmpty()) {
            return ExitCode.OK;
        }
        return verdict(requirement.get(), report, inventory, settings.json() ? invocation.err() : out);
    }

    private static ExitCode verdict(ReportFormat.Requirement requirement, AuditReport report, KeyInventory inventory,
                               PrintStream out) {
        String version = requirement.keyName() + "/" + requirement.version();
        if (inventory.find(new KeyRef(requirement.keyName(), requirement.version())).isEmpty()) {
            out.println("note: the backend lists no version " + version + "; its versions are "
                    + inventory.versions().stream().map(v -> v.ref().version()).collect(Collectors.joining(", ")));
        }
        if (!requirement.refused()) {
            out.println("ok: no stored value depends on key version " + version + " (etcd revision "
                    + report.revision() + ")");
            return ExitCode.OK;
        }
        if (requirement.depending().count() > 0) {
            out.println("refused: stored data still depends on key version " + version + ": "
                    + ReportFormat.describe(requirement.depending()));
        }
        if (requirement.unattributed() > 0) {
            out.println("refused: " + requirement.unattributed() + " KMS v1 values written by another plugin name"
                    + " no key version, so any version might be the one they need: "
                    + report.unattributed().stream().map(g -> g.name() + ": " + ReportFormat.describe(g))
                    .collect(Collectors.joining("; ")));
        }
        out.println("rewrite these objects (docs/operations.md, \"Finishing a key rotation\") and audit again");
        return ExitCode.REFUSED;
    }

    /** The backend's key name: every version in an inventory belongs to one key. */
    private static String keyName(KeyInventory inventory) {
        return inventory.versions().stream()
                .filter(v -> v.state() == KeyInventory.State.CURRENT)
                .findFirst()
                .or(() -> inventory.versions().stream().findFirst())
                .map(v -> v.ref().name())
                .orElse("");
    }
}
