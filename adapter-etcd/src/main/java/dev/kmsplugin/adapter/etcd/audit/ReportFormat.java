package dev.kmsplugin.adapter.etcd.audit;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The audit report as one JSON object ({@code --output=json}) or as tables for a person (the default). */
final class ReportFormat {

    private ReportFormat() {
    }

    /** The verdict of {@code --require-none-under}, when it was asked for. */
    record Requirement(String keyName, String version, AuditReport.Group depending, long unattributed) {
        boolean refused() {
            return depending.count() > 0 || unattributed > 0;
        }
    }

    static String json(AuditReport report, Optional<Requirement> requirement) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("etcd_endpoint", report.endpoint());
        root.put("etcd_prefix", report.prefix());
        root.put("revision", report.revision());
        root.put("backend", report.backend());
        root.put("total", report.total());
        root.put("unencrypted", report.unencrypted());
        root.put("other_providers", report.otherProviders());
        List<Object> kms = new ArrayList<>();
        List<Object> atRisk = new ArrayList<>();
        for (AuditReport.KmsEntry entry : report.kms()) {
            Map<String, Object> item = entry(entry);
            item.put("count", entry.values().count());
            kms.add(item);
            if (entry.atRisk()) {
                Map<String, Object> risky = entry(entry);
                group(risky, entry.values());
                atRisk.add(risky);
            }
        }
        root.put("kms", kms);
        root.put("unknown_version", report.unknownVersion());
        root.put("unknown_versions", atRisk);
        root.put("unattributed", report.unattributedCount());
        List<Object> unattributed = new ArrayList<>();
        for (AuditReport.Group provider : report.unattributed()) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("provider", provider.name());
            group(item, provider);
            unattributed.add(item);
        }
        root.put("unattributed_providers", unattributed);
        root.put("unreadable", report.unreadable().count());
        List<Object> examples = new ArrayList<>();
        for (AuditReport.Example example : report.unreadableExamples()) {
            examples.add(Map.of("key", example.key(), "reason", example.reason()));
        }
        root.put("unreadable_examples", examples);
        root.put("by_resource", report.byResource());
        requirement.ifPresent(r -> {
            Map<String, Object> verdict = new LinkedHashMap<>();
            verdict.put("key_name", r.keyName());
            verdict.put("key_version", r.version());
            verdict.put("refused", r.refused());
            group(verdict, r.depending());
            verdict.put("unattributed", r.unattributed());
            root.put("require_none_under", verdict);
        });
        return Json.of(root);
    }

    private static Map<String, Object> entry(AuditReport.KmsEntry entry) {
        Map<String, Object> item = new LinkedHashMap<>();
        item.put("provider", entry.provider());
        item.put("api", entry.api());
        item.put("key_name", entry.keyName());
        item.put("key_version", entry.keyVersion());
        item.put("key_id", entry.keyId());
        item.put("state", entry.state());
        return item;
    }

    private static void group(Map<String, Object> item, AuditReport.Group group) {
        item.put("count", group.count());
        item.put("by_resource", group.byResource());
        item.put("first_keys", group.firstKeys());
    }

    static void table(AuditReport report, PrintStream out) {
        out.println("etcd " + report.endpoint() + ", prefix " + report.prefix() + ", revision " + report.revision());
        out.println("backend: " + report.backend());
        out.printf("values: %d total: %d unencrypted, %d other providers, %d KMS, %d unattributed, %d unreadable%n",
                report.total(), report.unencrypted(), report.otherProviders().values().stream()
                        .mapToLong(Long::longValue).sum(), report.kmsCount(), report.unattributedCount(),
                report.unreadable().count());
        out.println();
        out.printf("%-20s %-4s %-34s %-9s %-12s %s%n", "PROVIDER", "API", "KEY VERSION", "STATE", "VALUES",
                "KEY_ID");
        for (AuditReport.KmsEntry entry : report.kms()) {
            String version = entry.keyVersion().map(v -> entry.keyName().orElse("?") + "/" + v).orElse("(unknown)");
            out.printf("%-20s %-4s %-34s %-9s %-12d %s%n", entry.provider(), entry.api(), version, entry.state(),
                    entry.values().count(), entry.keyId().orElse("-"));
        }
        if (report.kms().isEmpty()) {
            out.println("(no value of an audited KMS provider)");
        }
        for (AuditReport.Group provider : report.unattributed()) {
            out.printf("%-20s %-4s %-34s %-9s %-12d %s%n", provider.name(), "v1", "(unattributed)", "-",
                    provider.count(), "-");
        }
        if (!report.otherProviders().isEmpty()) {
            out.println();
            out.printf("%-40s %s%n", "OTHER PROVIDER", "VALUES");
            report.otherProviders().forEach((name, count) -> out.printf("%-40s %d%n", name, count));
        }
        out.println();
        out.printf("%-40s %s%n", "RESOURCE", "VALUES");
        report.byResource().forEach((name, count) -> out.printf("%-40s %d%n", name, count));
        if (report.unknownVersion() > 0) {
            out.println();
            out.println("AT RISK: " + report.unknownVersion() + " values need a key version the backend lacks,"
                    + " has disabled or retired:");
            report.kms().stream().filter(AuditReport.KmsEntry::atRisk).forEach(entry -> out.println("  "
                    + entry.provider() + " " + entry.api() + " " + entry.keyVersion().orElse("key_id "
                    + entry.keyId().orElse("?")) + " (" + entry.state() + "): " + describe(entry.values())));
        }
        if (report.unattributedCount() > 0) {
            out.println();
            out.println("UNATTRIBUTED: " + report.unattributedCount() + " KMS v1 values were written by another"
                    + " plugin and name no key version; only decrypting them would tell which they need:");
            report.unattributed().forEach(g -> out.println("  " + g.name() + ": " + describe(g)));
        }
        if (report.unreadable().count() > 0) {
            out.println();
            out.println("UNREADABLE: " + report.unreadable().count() + " values claim an encrypting prefix but do"
                    + " not parse:");
            report.unreadableExamples().forEach(e -> out.println("  " + e.key() + ": " + e.reason()));
        }
    }

    /** "N values (secrets 3, configmaps 1); first keys: a, b". */
    static String describe(AuditReport.Group group) {
        StringBuilder text = new StringBuilder();
        text.append(group.count()).append(group.count() == 1 ? " value" : " values");
        if (!group.byResource().isEmpty()) {
            List<String> parts = new ArrayList<>();
            group.byResource().forEach((resource, count) -> parts.add(resource + " " + count));
            text.append(" (").append(String.join(", ", parts)).append(')');
        }
        if (!group.firstKeys().isEmpty()) {
            text.append("; first keys: ").append(String.join(", ", group.firstKeys()));
        }
        return text.toString();
    }
}
