package dev.kmsplugin.adapter.etcd.audit;

import dev.kmsplugin.domain.key.KeyRef;
import dev.kmsplugin.ports.outbound.KeyInventory;
import dev.kmsplugin.ports.outbound.StoredData;
import dev.kmsplugin.ports.spi.Settings;
import java.util.ArrayList;
import java.util.List;

/**
 * The stored data as etcd holds it: one full audit pass (the {@code storage audit} flags: endpoints, certificates,
 * prefix, providers), reduced to what needs one key version.
 */
final class EtcdStoredData implements StoredData {

    private final Settings settings;

    EtcdStoredData(Settings settings) {
        this.settings = settings;
    }

    @Override
    public Dependence dependenceOn(KeyInventory inventory, KeyRef version) {
        StorageSettings storage = StorageSettings.from(settings);
        AuditReport report = AuditRun.audit(storage, inventory);
        AuditReport.Group depending = report.dependingOn(version.name(), version.version());
        List<String> details = new ArrayList<>();
        if (depending.count() > 0) {
            details.add(ReportFormat.describe(depending));
        }
        report.unattributed().forEach(group -> details.add(group.name() + ": " + ReportFormat.describe(group)
                + " written by another plugin's KMS v1 name no key version, so any version might be the one they"
                + " need"));
        String source = "etcd " + report.endpoint() + " " + report.prefix() + " at revision " + report.revision();
        return new Dependence(source, depending.count(), report.unattributedCount(), details);
    }
}
