package dev.gantry.reliability.it;

import dev.gantry.it.cluster.Cluster;
import dev.gantry.it.cluster.Implementation;
import dev.gantry.reliability.check.Anomaly;
import dev.gantry.reliability.check.RegisterChecker;
import dev.gantry.reliability.workload.Fault;
import dev.gantry.reliability.workload.ReliabilityRun;
import dev.gantry.reliability.workload.Report;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The checker is checked: Gantry started with the test-only switch {@code gantry.test.unsafe-local-reads=true}
 * serves "linearizable" reads from local state without a read-index round. Members are paused (SIGSTOP) while
 * clients keep writing through the others; reads queued at a paused member are answered from its stale state when it
 * continues (the client timeout is longer than the pause). The linearizability checker must flag it.
 */
class UnsafeLocalReadsIT {

    private static final int ATTEMPTS = 3;

    @Test
    void checkerFlagsStaleReadsOfABrokenConfiguration() {
        assumeTrue(Implementation.fromSystemProperty() == Implementation.GANTRY, "a Gantry-only switch");
        ReliabilityRun.Settings settings = new ReliabilityRun.Settings(Duration.ofSeconds(25), 6, 3, 1, 0,
                Duration.ofSeconds(4), Set.of(Fault.PAUSE), Duration.ofSeconds(8));
        try (Cluster cluster = Cluster.start(Implementation.GANTRY, Cluster.IPV4_LOOPBACK, 3, List.of(),
                Map.of("GANTRY_JAVA_OPTS", "-Dgantry.test.unsafe-local-reads=true"))) {
            for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
                Report report = new ReliabilityRun(cluster, settings, null).execute();
                System.out.println("unsafe local reads, attempt " + attempt + ": " + report.summary());
                List<Anomaly> flagged = report.anomalies().stream()
                        .filter(a -> a.checker().equals(RegisterChecker.NAME)).toList();
                if (!flagged.isEmpty()) {
                    System.out.println("flagged, as it must be:\n" + flagged.getFirst());
                    assertThat(flagged.getFirst().explanation()).contains("not linearizable");
                    return;
                }
            }
            throw new AssertionError("the checker did not flag " + ATTEMPTS + " runs of a cluster serving local reads "
                    + "as linearizable");
        }
    }
}
