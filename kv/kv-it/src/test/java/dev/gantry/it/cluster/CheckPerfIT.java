package dev.gantry.it.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * etcd's own health check of a cluster's write path, {@code etcdctl check perf --load=s}, passes on a 3-member
 * cluster: for 60 s, 50 clients put at 150 writes/s in all (256-byte keys under {@code /etcdctl-check-perf/},
 * 1 KiB values); it passes when no put failed, throughput exceeded 90 % of 150/s, the slowest put took at most
 * 0.5 s and the standard deviation of put latencies is at most 0.1 s, and deletes its keys afterwards.
 */
// A timed check (etcdctl's slowest-request limit of 0.5 s): a benchmark, not a CI gate — one 0.52 s request on a
// shared CI box failed the build. Run it with -Dperf=true (docs/benchmarks.md).
@EnabledIfSystemProperty(named = "perf", matches = "true")
class CheckPerfIT {
    private static final String PREFIX = "/etcdctl-check-perf/";

    @Test
    void aThreeMemberClusterPassesEtcdctlCheckPerfAtTheSmallLoad() {
        try (Cluster cluster = Cluster.start(3)) {
            Etcdctl etcdctl = Etcdctl.of(cluster);
            Etcdctl.Result check = etcdctl.run(null, Duration.ofSeconds(150), List.of("check", "perf", "--load=s"));
            // the progress bar redraws itself with carriage returns; the verdicts are whole lines after it
            List<String> verdicts = Stream.of(check.stdout().split("[\r\n]+"))
                    .filter(line -> line.contains("PASS") || line.contains("FAIL") || line.contains("too"))
                    .toList();
            System.out.println("CheckPerfIT (" + cluster.implementation() + "): " + String.join("; ", verdicts));

            assertThat(check.exitCode()).as("etcdctl check perf --load=s\n%s\n%s", check,
                    cluster.logTails(Cluster.LOG_TAIL_LINES)).isZero();
            assertThat(verdicts).anyMatch(line -> line.startsWith("PASS: Throughput is"))
                    .anyMatch(line -> line.startsWith("PASS: Slowest request took"))
                    .anyMatch(line -> line.startsWith("PASS: Stddev is"))
                    .last().isEqualTo("PASS");
            Etcdctl.Result left = etcdctl.run("get", "--prefix", PREFIX, "--keys-only");
            assertThat(left.succeeded()).as(left.toString()).isTrue();
            assertThat(left.stdout()).as("keys left under " + PREFIX).isBlank();
        }
    }
}
