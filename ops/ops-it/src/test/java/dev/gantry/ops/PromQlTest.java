package dev.gantry.ops;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PromQlTest {
    @Test
    void findsMetricsButNotFunctionsLabelsDurationsOrKeywords() {
        assertThat(PromQl.metricNames("histogram_quantile(0.99, sum by (instance, le) "
                + "(rate(etcd_disk_wal_fsync_duration_seconds_bucket{job=~\"$job\", le!=\"+Inf\"}[5m]))) > 0.5"))
                .containsExactly("etcd_disk_wal_fsync_duration_seconds_bucket");
        assertThat(PromQl.metricNames("max(a_total offset 1h) / on (instance) group_left(x) b_bytes > bool 1e-3 and c"))
                .containsExactly("a_total", "b_bytes", "c");
        assertThat(PromQl.metricNames("sum by (job) (up{job=\"gantry\"} == bool 1) < ((count by (job) (up) + 1) / 2)"))
                .containsExactly("up");
    }
}
