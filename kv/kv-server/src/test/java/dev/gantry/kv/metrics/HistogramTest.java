package dev.gantry.kv.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class HistogramTest {

    @Test
    void bucketsAreEtcdsExponentialBounds() {
        Histogram.Snapshot fsync = Histogram.exponential(0.001, 2, 14).snapshot();
        assertThat(fsync.upperBounds()).hasSize(14).startsWith(0.001, 0.002, 0.004).endsWith(4.096, 8.192);
        Histogram.Snapshot rtt = Histogram.exponential(0.0001, 2, 16).snapshot();
        assertThat(rtt.upperBounds()).hasSize(16).startsWith(0.0001, 0.0002).endsWith(1.6384, 3.2768);
        assertThat(rtt.cumulativeCounts()).hasSize(17).containsOnly(0L);
    }

    @Test
    void countsAreCumulativeWithABoundInclusiveAndTheRestAboveTheLastBound() {
        Histogram h = Histogram.exponential(0.001, 2, 3); // 1 ms, 2 ms, 4 ms, +Inf
        h.observe(0.0005);
        h.observe(0.001); // on the bound: counted in it (le = less or equal)
        h.observeNanos(3_000_000);
        h.observe(10);

        Histogram.Snapshot s = h.snapshot();
        assertThat(s.cumulativeCounts()).containsExactly(2, 2, 3, 4);
        assertThat(s.count()).isEqualTo(4);
        assertThat(s.sum()).isCloseTo(10.0045, within(1e-9));
    }
}
