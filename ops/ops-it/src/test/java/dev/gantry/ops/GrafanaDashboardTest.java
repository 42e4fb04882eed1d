package dev.gantry.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * ops/grafana/gantry-dashboard.json imports as it is: a datasource variable every query uses, unique panel ids, a
 * layout that fits Grafana's 24 columns without overlaps, and queries on both the KV and the scheduler. That its
 * queries parse is checked by promtool ({@link PrometheusRulesTest}), that their metrics exist by {@link LocalClusterIT}.
 */
class GrafanaDashboardTest {
    private record Box(String title, int x, int y, int w, int h) {
        boolean overlaps(Box o) {
            return x < o.x + o.w && o.x < x + w && y < o.y + o.h && o.y < y + h;
        }
    }

    @Test
    void importsAsItIs() {
        JsonNode dashboard = MonitoringQueries.dashboard();
        assertThat(dashboard.path("uid").asText()).isEqualTo("gantry-overview");
        assertThat(dashboard.path("title").asText()).isNotBlank();
        assertThat(dashboard.path("schemaVersion").asInt()).isPositive();
        List<String> variables = new ArrayList<>();
        dashboard.path("templating").path("list").forEach(v -> variables.add(v.path("name").asText() + ":" + v.path("type").asText()));
        assertThat(variables).contains("datasource:datasource", "job:query");

        Set<Integer> ids = new HashSet<>();
        List<Box> boxes = new ArrayList<>();
        int queries = 0;
        for (JsonNode panel : dashboard.path("panels")) {
            String title = panel.path("title").asText();
            assertThat(ids.add(panel.path("id").asInt())).as("unique id of '%s'", title).isTrue();
            JsonNode pos = panel.path("gridPos");
            Box box = new Box(title, pos.path("x").asInt(), pos.path("y").asInt(), pos.path("w").asInt(), pos.path("h").asInt());
            assertThat(box.x() + box.w()).as("'%s' fits 24 columns", title).isLessThanOrEqualTo(24);
            assertThat(box.w()).as("'%s' width", title).isPositive();
            boxes.stream().filter(box::overlaps).findAny().ifPresent(o -> {
                throw new AssertionError("'" + title + "' overlaps '" + o.title() + "'");
            });
            boxes.add(box);
            if (panel.path("type").asText().equals("row")) {
                continue;
            }
            assertThat(panel.path("datasource").path("uid").asText()).as("'%s' datasource", title).isEqualTo("${datasource}");
            assertThat(panel.path("targets")).as("'%s' queries", title).isNotEmpty();
            Set<String> refIds = new HashSet<>();
            for (JsonNode target : panel.path("targets")) {
                assertThat(refIds.add(target.path("refId").asText())).as("'%s' refIds unique", title).isTrue();
                assertThat(target.path("expr").asText()).as("'%s' query", title).contains("job=~\"$job\"");
                queries++;
            }
        }
        assertThat(queries).isGreaterThan(20);
        Set<String> metrics = new HashSet<>();
        MonitoringQueries.all().forEach((where, expr) -> {
            if (where.startsWith("panel ")) {
                metrics.addAll(PromQl.metricNames(expr));
            }
        });
        assertThat(metrics).anyMatch(m -> m.startsWith("etcd_")).anyMatch(m -> m.startsWith("gantry_scheduler_"))
                .anyMatch(m -> m.startsWith("grpc_server_"));
    }
}
