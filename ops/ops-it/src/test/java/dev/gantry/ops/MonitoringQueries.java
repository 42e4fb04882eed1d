package dev.gantry.ops;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The PromQL of the kit: the alert rules' expressions and the Grafana dashboard's queries, by where they are. */
final class MonitoringQueries {
    static final String RULES = "ops/prometheus/gantry-alerts.yml";
    static final String RULE_TESTS = "ops/prometheus/gantry-alerts.test.yml";
    static final String DASHBOARD = "ops/grafana/gantry-dashboard.json";

    private MonitoringQueries() {
    }

    static JsonNode rules() {
        return Checkout.yaml(RULES);
    }

    static JsonNode dashboard() {
        try {
            return new ObjectMapper().readTree(Checkout.read(DASHBOARD));
        } catch (IOException e) {
            throw new UncheckedIOException(DASHBOARD + " is not valid JSON", e);
        }
    }

    /** "alert GantryNoLeader" or "panel 'Keys' A" → its expression. */
    static Map<String, String> all() {
        Map<String, String> queries = new LinkedHashMap<>();
        for (JsonNode group : rules().path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                queries.put("alert " + rule.path("alert").asText(), rule.path("expr").asText());
            }
        }
        for (JsonNode panel : dashboard().path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                queries.put("panel '" + panel.path("title").asText() + "' " + target.path("refId").asText(), target.path("expr").asText());
            }
        }
        return queries;
    }
}
