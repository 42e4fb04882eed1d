package dev.gantry.reliability.it;

import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.reliability.workload.ReliabilityRun;
import dev.gantry.reliability.workload.Report;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The robustness run: a 3-member cluster (the implementation of {@code -Dit.impl}) under concurrent clients, watchers
 * and lease holders while members are killed, paused and replaced; then every checker (docs/reliability.md).
 * CI-sized by default (75 s of traffic); {@code -Dsoak=30m} (any java.time duration, or "30m", "2h") runs longer.
 */
class ReliabilityIT {

    private static final Duration CI_TRAFFIC = Duration.ofSeconds(75);

    @Test
    void historyUnderFaultsHasNoAnomalies() {
        Duration traffic = trafficDuration();
        try (Cluster cluster = Cluster.start(Implementation.fromSystemProperty(), 3)) {
            Report report = new ReliabilityRun(cluster, ReliabilityRun.Settings.ci(traffic)).execute();
            System.out.println(report.summary());
            if (!report.anomalies().isEmpty()) {
                System.out.println(report.anomaliesText());
            }
            assertThat(report.operations()).as("operations").isGreaterThan(100);
            assertThat(report.faults().values().stream().mapToInt(Integer::intValue).sum()).as("faults").isPositive();
            assertThat(report.anomalies()).as("%s\n%s", report.summary(), report.anomaliesText()).isEmpty();
        }
    }

    /** {@code -Dsoak=30m}, {@code 2h}, {@code 90s} or an ISO-8601 duration; empty: the CI-sized run. */
    static Duration trafficDuration() {
        String soak = System.getProperty("soak", "").trim();
        if (soak.isEmpty()) {
            return CI_TRAFFIC;
        }
        return soak.startsWith("P") ? Duration.parse(soak) : Duration.parse("PT" + soak.toUpperCase());
    }
}
