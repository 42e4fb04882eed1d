package dev.gantry.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * ops/prometheus/gantry-alerts.yml: every rule complete and documented, promtool's syntax check and its unit tests
 * (gantry-alerts.test.yml: each alert fires on the series that should raise it, and not on healthy ones), and the
 * Grafana dashboard's queries parsed by promtool too. That the metrics exist is {@link LocalClusterIT}'s part.
 */
class PrometheusRulesTest {
    private static final Duration PROMTOOL_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern ALERT_NAME = Pattern.compile("Gantry[A-Z][A-Za-z]+");
    /** What issue 10 asks alerts for: no leader, leader changes, db size, fsync, agents lost, pending jobs, failures. */
    private static final Set<String> REQUIRED = Set.of("GantryNoLeader", "GantryFrequentLeaderChanges", "GantryDbSizeNearQuota",
            "GantrySlowFsync", "GantryAgentsLost", "GantryJobsPendingTooLong", "GantryJobFailureRate");

    @TempDir
    Path tmp;

    private static List<JsonNode> rules() {
        List<JsonNode> rules = new ArrayList<>();
        MonitoringQueries.rules().path("groups").forEach(group -> group.path("rules").forEach(rules::add));
        return rules;
    }

    @Test
    void everyRuleIsCompleteAndPointsAtItsRunbook() {
        Set<String> anchors = new HashSet<>();
        boolean code = false;
        for (String line : Checkout.read("docs/operations.md").lines().toList()) {
            code ^= line.startsWith("```");
            if (!code && line.startsWith("#")) {
                anchors.add(githubAnchor(line));
            }
        }
        List<JsonNode> rules = rules();
        assertThat(rules).hasSizeGreaterThanOrEqualTo(REQUIRED.size());
        Set<String> names = new HashSet<>();
        for (JsonNode rule : rules) {
            String name = rule.path("alert").asText();
            assertThat(name).as("alert name").matches(ALERT_NAME);
            assertThat(names.add(name)).as("%s defined once", name).isTrue();
            assertThat(rule.path("expr").asText()).as("%s expr", name).isNotBlank();
            assertThat(rule.path("labels").path("severity").asText()).as("%s severity", name).isIn("critical", "warning");
            assertThat(rule.path("annotations").path("summary").asText()).as("%s summary", name).isNotBlank();
            assertThat(rule.path("annotations").path("description").asText()).as("%s description", name).isNotBlank();
            String runbook = rule.path("annotations").path("runbook").asText();
            assertThat(runbook).as("%s runbook", name).startsWith("docs/operations.md#");
            assertThat(anchors).as("%s's runbook heading in docs/operations.md", name).contains(runbook.substring(runbook.indexOf('#') + 1));
        }
        assertThat(names).containsAll(REQUIRED);
    }

    @Test
    void everyAlertHasPromtoolUnitTestsThatSeeItFireAndStayQuiet() {
        Map<String, int[]> firingAndQuiet = new HashMap<>();
        for (JsonNode test : Checkout.yaml(MonitoringQueries.RULE_TESTS).path("tests")) {
            for (JsonNode check : test.path("alert_rule_test")) {
                int[] counts = firingAndQuiet.computeIfAbsent(check.path("alertname").asText(), n -> new int[2]);
                counts[check.path("exp_alerts").isEmpty() ? 1 : 0]++;
            }
        }
        for (JsonNode rule : rules()) {
            String name = rule.path("alert").asText();
            assertThat(firingAndQuiet).as("tests of %s in %s", name, MonitoringQueries.RULE_TESTS).containsKey(name);
            assertThat(firingAndQuiet.get(name)[0]).as("%s: a test where it fires", name).isPositive();
            assertThat(firingAndQuiet.get(name)[1]).as("%s: a test where it stays quiet", name).isPositive();
        }
    }

    @Test
    void promtoolChecksTheRules() {
        assumePromtool();
        Command.Result check = Command.run(PROMTOOL_TIMEOUT, Map.of(), "promtool", "check", "rules", MonitoringQueries.RULES).assertOk();
        assertThat(check.stdout()).contains("SUCCESS: " + rules().size() + " rules found");
    }

    @Test
    void promtoolUnitTestsPass() {
        assumePromtool();
        Command.Result test = Command.run(PROMTOOL_TIMEOUT, Map.of(), "promtool", "test", "rules", MonitoringQueries.RULE_TESTS);
        assertThat(test.exitCode()).as(test.toString()).isZero();
        assertThat(test.stdout()).contains("SUCCESS");
    }

    /** The dashboard's queries, as recording rules, so that promtool parses each one. */
    @Test
    void promtoolParsesTheDashboardQueries() throws IOException {
        assumePromtool();
        StringBuilder file = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        int n = 0;
        for (Map.Entry<String, String> query : MonitoringQueries.all().entrySet()) {
            if (query.getKey().startsWith("panel ")) {
                file.append("      - record: dashboard:query_").append(n++).append('\n')
                        .append("        expr: '").append(query.getValue().replace("'", "''")).append("'\n");
            }
        }
        assertThat(n).as("dashboard queries").isGreaterThan(10);
        Path rules = tmp.resolve("dashboard-queries.yml");
        Files.writeString(rules, file);
        Command.Result check = Command.run(PROMTOOL_TIMEOUT, Map.of(), "promtool", "check", "rules", rules.toString());
        assertThat(check.exitCode()).as(check.toString()).isZero();
    }

    private static void assumePromtool() {
        assumeTrue(Command.onPath("promtool"),
                "promtool is not installed, so the rules were not checked by it: apt-get install prometheus (bin/test does, as root)");
    }

    /** GitHub's heading anchor: lower case, punctuation dropped, spaces to '-'. */
    static String githubAnchor(String heading) {
        String text = heading.replaceFirst("^#+\\s*", "").toLowerCase(Locale.ROOT);
        return text.replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
    }
}
