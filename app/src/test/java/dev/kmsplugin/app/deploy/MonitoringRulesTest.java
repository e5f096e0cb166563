package dev.kmsplugin.app.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/**
 * The monitoring files operators load (deploy/monitoring): the alerting rules pass {@code promtool check rules} and
 * their own unit tests, every alert is complete and has a runbook section, and every dashboard query parses as
 * PromQL. promtool is required: without it this test fails and says how to install it.
 */
public class MonitoringRulesTest {

    static final Path ROOT = Path.of(System.getProperty("maven.multiModuleProjectDirectory",
            Path.of("").toAbsolutePath().getParent().toString()));
    static final Path MONITORING = ROOT.resolve("deploy/monitoring");
    static final Path ALERTS = MONITORING.resolve("kms-plugin-alerts.yaml");
    static final Path ALERT_TESTS = MONITORING.resolve("kms-plugin-alerts.test.yaml");
    static final Path DASHBOARD = MONITORING.resolve("kms-plugin-dashboard.json");
    static final String JOB = "kms-plugin";

    private static final Pattern ANCHOR = Pattern.compile("^https://[^#\\s]+/docs/operations\\.md#([a-z0-9-]+)$");
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{?(\\w+)}?");

    record Promtool(int exitCode, String output) {
    }

    /** promtool from the PATH (Debian/Ubuntu: the prometheus package); fails the test when it is missing. */
    static Path promtool() {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "promtool");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return fail("promtool is not installed, so the monitoring rules cannot be checked; install it with "
                + "`apt-get install prometheus` (Debian/Ubuntu) or put a Prometheus release's promtool on the PATH");
    }

    static Promtool promtool(Path workDir, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(promtool().toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true).start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), "promtool did not finish: " + command);
        return new Promtool(process.exitValue(), output);
    }

    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> alerts() throws IOException {
        Map<String, Object> file = new Yaml().load(Files.readString(ALERTS));
        List<Map<String, Object>> alerts = new ArrayList<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) file.get("groups")) {
            for (Map<String, Object> rule : (List<Map<String, Object>>) group.get("rules")) {
                alerts.add(rule);
            }
        }
        return alerts;
    }

    /** Every target's expr in the dashboard, by "panel title / refId". */
    @SuppressWarnings("unchecked")
    public static Map<String, String> dashboardQueries() throws IOException {
        Map<String, Object> dashboard = new Yaml().load(Files.readString(DASHBOARD));
        Map<String, String> queries = new LinkedHashMap<>();
        for (Map<String, Object> panel : (List<Map<String, Object>>) dashboard.get("panels")) {
            for (Map<String, Object> target : (List<Map<String, Object>>) panel.getOrDefault("targets", List.of())) {
                queries.put(panel.get("title") + " / " + target.get("refId"), (String) target.get("expr"));
            }
        }
        return queries;
    }

    /** A dashboard query with Grafana's variables replaced by what they hold on a default dashboard. */
    static String substituteVariables(String expr) {
        Matcher variable = VARIABLE.matcher(expr);
        StringBuilder out = new StringBuilder();
        while (variable.find()) {
            String value = switch (variable.group(1)) {
                case "__rate_interval", "__interval", "__range" -> "5m";
                case "job" -> JOB;
                case "instance", "provider" -> ".*";
                default -> fail("the dashboard uses a variable this test does not know: " + variable.group());
            };
            variable.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        variable.appendTail(out);
        return out.toString();
    }

    @Test
    void the_alerting_rules_pass_promtool_check_rules() throws Exception {
        Promtool check = promtool(MONITORING, "check", "rules", ALERTS.getFileName().toString());
        assertEquals(0, check.exitCode(), "promtool check rules failed:\n" + check.output());
        assertTrue(check.output().contains("SUCCESS: " + alerts().size() + " rules found"), check.output());
    }

    @Test
    void the_alerting_rules_pass_their_promtool_unit_tests() throws Exception {
        Promtool test = promtool(MONITORING, "test", "rules", ALERT_TESTS.getFileName().toString());
        assertEquals(0, test.exitCode(), "promtool test rules failed:\n" + test.output());
        assertTrue(test.output().contains("SUCCESS"), test.output());
    }

    @Test
    @SuppressWarnings("unchecked")
    void every_alert_has_a_firing_case_and_a_quiet_case_in_the_unit_tests() throws Exception {
        Map<String, Object> tests = new Yaml().load(Files.readString(ALERT_TESTS));
        Set<String> firing = new HashSet<>();
        Set<String> quiet = new HashSet<>();
        for (Map<String, Object> group : (List<Map<String, Object>>) tests.get("tests")) {
            for (Map<String, Object> check : (List<Map<String, Object>>) group.get("alert_rule_test")) {
                List<Object> expected = (List<Object>) check.get("exp_alerts");
                (expected == null || expected.isEmpty() ? quiet : firing).add((String) check.get("alertname"));
            }
        }
        for (Map<String, Object> alert : alerts()) {
            String name = (String) alert.get("alert");
            assertTrue(firing.contains(name), "no unit test where " + name + " fires");
            assertTrue(quiet.contains(name), "no unit test where " + name + " stays quiet");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void every_alert_has_a_severity_a_summary_a_description_and_a_runbook_section() throws Exception {
        Set<String> anchors = headingAnchors(Files.readString(ROOT.resolve("docs/operations.md")));
        Set<String> seen = new HashSet<>();
        for (Map<String, Object> alert : alerts()) {
            String name = (String) alert.get("alert");
            assertNotNull(name, "a recording rule among the alerts: " + alert);
            assertTrue(seen.add(name), "two alerts named " + name);
            Map<String, String> labels = (Map<String, String>) alert.get("labels");
            assertTrue(Set.of("critical", "warning", "info").contains(labels.get("severity")), name + ": " + labels);
            Map<String, String> annotations = (Map<String, String>) alert.get("annotations");
            assertFalse(annotations.getOrDefault("summary", "").isBlank(), name + " has no summary");
            assertFalse(annotations.getOrDefault("description", "").isBlank(), name + " has no description");
            Matcher runbook = ANCHOR.matcher(annotations.getOrDefault("runbook_url", ""));
            assertTrue(runbook.matches(), name + ": runbook_url " + annotations.get("runbook_url"));
            assertEquals(name.toLowerCase(Locale.ROOT), runbook.group(1), name + ": runbook_url names another section");
            assertTrue(anchors.contains(runbook.group(1)), name + ": no section #" + runbook.group(1)
                    + " in docs/operations.md");
        }
    }

    @Test
    void every_rule_on_the_plugins_metrics_selects_the_job_the_scrape_config_names() throws Exception {
        for (Map<String, Object> alert : alerts()) {
            String expr = (String) alert.get("expr");
            Matcher selector = Pattern.compile("\\b(kms_\\w+|up)\\{([^}]*)}").matcher(expr);
            while (selector.find()) {
                assertTrue(selector.group(2).contains("job=\"" + JOB + "\""), alert.get("alert") + ": "
                        + selector.group() + " does not select job=\"" + JOB + "\"");
            }
            assertFalse(Pattern.compile("\\bkms_\\w+(?![\\w{])").matcher(expr).find(),
                    alert.get("alert") + ": a kms_ metric without a job selector in " + expr);
        }
        Map<String, Object> scrape = new Yaml().load(Files.readString(MONITORING.resolve("scrape-config.yaml")));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> configs = (List<Map<String, Object>>) scrape.get("scrape_configs");
        assertEquals(List.of(JOB), configs.stream().map(c -> c.get("job_name")).toList());
    }

    @Test
    @SuppressWarnings("unchecked")
    void the_rule_file_indented_under_spec_is_a_prometheus_rule_with_the_same_groups() throws Exception {
        // what docs/operations.md ("Loading the rules") does with printf and sed
        String text = Files.readString(ALERTS);
        String wrapped = "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: kms-plugin\n"
                + "spec:\n" + text.lines().map(line -> "  " + line).reduce("", (a, b) -> a + b + "\n");
        Map<String, Object> rule = new Yaml().load(wrapped);
        Map<String, Object> plain = new Yaml().load(text);
        assertEquals("PrometheusRule", rule.get("kind"));
        assertEquals(plain.get("groups"), ((Map<String, Object>) rule.get("spec")).get("groups"));
        assertEquals(2, ((List<Object>) plain.get("groups")).size());
    }

    @Test
    void every_dashboard_query_parses_as_promql(@TempDir Path dir) throws Exception {
        Map<String, String> queries = dashboardQueries();
        assertTrue(queries.size() >= 10, "too few dashboard queries: " + queries.keySet());
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        int i = 0;
        for (Map.Entry<String, String> query : queries.entrySet()) {
            String expr = substituteVariables(query.getValue());
            assertFalse(expr.contains("$"), query.getKey() + ": a variable is left in " + expr);
            rules.append("      # ").append(query.getKey().replace('\n', ' ')).append('\n')
                    .append("      - record: dashboard_query_").append(i++).append('\n')
                    .append("        expr: '").append(expr.replace("'", "''")).append("'\n");
        }
        Path file = dir.resolve("dashboard-queries.yaml");
        Files.writeString(file, rules);
        Promtool check = promtool(dir, "check", "rules", file.getFileName().toString());
        assertEquals(0, check.exitCode(), "a dashboard query is not valid PromQL:\n" + check.output() + "\n" + rules);
        assertTrue(check.output().contains("SUCCESS: " + queries.size() + " rules found"), check.output());
    }

    @Test
    void a_broken_query_fails_the_check_so_the_check_can_fail(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("broken.yaml"), "groups:\n  - name: broken\n    rules:\n"
                + "      - record: broken\n        expr: 'sum by (job (up)'\n");
        Promtool check = promtool(dir, "check", "rules", "broken.yaml");
        assertTrue(check.exitCode() != 0, check.output());
    }

    /** The anchors GitHub makes of a Markdown file's headings: lowercase, punctuation dropped, spaces to dashes. */
    static Set<String> headingAnchors(String markdown) {
        Set<String> anchors = new TreeSet<>();
        boolean fenced = false;
        for (String line : markdown.split("\n")) {
            if (line.startsWith("```")) {
                fenced = !fenced;
            }
            if (!fenced && line.startsWith("#")) {
                String title = line.replaceFirst("^#+\\s*", "").trim().toLowerCase(Locale.ROOT);
                anchors.add(title.replaceAll("[^a-z0-9 _-]", "").replace(' ', '-'));
            }
        }
        return anchors;
    }
}
