package dev.gantry.reliability.it;

import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.reliability.workload.Fault;
import dev.gantry.reliability.workload.Firewall;
import dev.gantry.reliability.workload.ReliabilityRun;
import dev.gantry.reliability.workload.Report;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The robustness run: a 3-member cluster (the implementation of {@code -Dit.impl}) under concurrent clients, watchers
 * and lease holders while members are killed, paused, replaced and partitioned; then every checker
 * (docs/reliability.md). Partitions need root and iptables ({@link Firewall#unavailable()}); without them the run
 * says why and goes on without. CI-sized by default (75 s of traffic); {@code -Dsoak=30m} (any java.time duration,
 * or "30m", "2h") runs longer.
 */
class ReliabilityIT {

    private static final Duration CI_TRAFFIC = Duration.ofSeconds(75);

    @Test
    void historyUnderFaultsHasNoAnomalies() {
        Duration traffic = trafficDuration();
        Optional<String> noPartitions = Firewall.unavailable();
        noPartitions.ifPresent(why -> System.out.println("reliability: network partitions skipped: " + why));
        Set<Fault> faults = EnumSet.allOf(Fault.class);
        if (noPartitions.isPresent()) {
            faults.removeIf(Fault::needsFirewall);
        }
        Implementation implementation = Implementation.fromSystemProperty();
        try (Firewall firewall = noPartitions.isEmpty() ? Firewall.open() : null;
                Cluster cluster = firewall != null ? Cluster.startIsolatable(implementation, 3, List.of())
                        : Cluster.start(implementation, 3)) {
            Report report = new ReliabilityRun(cluster, ReliabilityRun.Settings.ci(traffic, faults), firewall).execute();
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
