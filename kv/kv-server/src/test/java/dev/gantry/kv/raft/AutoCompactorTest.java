package dev.gantry.kv.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.gantry.kv.cluster.MemberConfig.AutoCompaction;

class AutoCompactorTest {
    private long now;
    private long revision = 1;
    private boolean leader = true;
    private final List<Long> compactions = new ArrayList<>();

    private AutoCompactor compactor(AutoCompaction policy) {
        return new AutoCompactor(policy, () -> leader, () -> revision, compactions::add, () -> now);
    }

    /** One tick interval passes, during which 10 revisions are written. */
    private void tick(AutoCompactor c) {
        now += c.tickInterval().toNanos();
        revision += 10;
        c.tick();
    }

    @Test
    void periodicCompactsToTheRevisionOfOneRetentionAgo() {
        AutoCompactor c = compactor(new AutoCompaction(true, Duration.ofMinutes(10), 0));
        assertThat(c.tickInterval()).isEqualTo(Duration.ofMinutes(1)); // a tenth of min(retention, 1 h)
        for (int i = 0; i < 9; i++) {
            tick(c);
        }
        assertThat(compactions).isEmpty(); // not before one interval (= the retention, under an hour)
        tick(c); // 10 minutes in: the oldest sample is the revision of the first tick
        assertThat(compactions).containsExactly(11L);
        for (int i = 0; i < 10; i++) {
            tick(c);
        }
        // 20 minutes in, revision 211: compacted to the revision sampled 10 minutes ago
        assertThat(compactions).containsExactly(11L, 101L);
    }

    @Test
    void onlyTheLeaderCompactsAndANewLeaderWaitsAFullInterval() {
        AutoCompactor c = compactor(new AutoCompaction(true, Duration.ofMinutes(10), 0));
        leader = false;
        for (int i = 0; i < 30; i++) {
            tick(c);
        }
        assertThat(compactions).isEmpty();
        leader = true;
        for (int i = 0; i < 9; i++) {
            tick(c);
        }
        assertThat(compactions).isEmpty();
        tick(c);
        assertThat(compactions).hasSize(1);
    }

    @Test
    void revisionModeKeepsTheLastRetainedRevisions() {
        AutoCompactor c = compactor(new AutoCompaction(false, Duration.ZERO, 1000));
        assertThat(c.tickInterval()).isEqualTo(Duration.ofMinutes(5));
        revision = 500;
        c.tick();
        assertThat(compactions).isEmpty(); // fewer than 1000 revisions: nothing to drop
        revision = 2500;
        c.tick();
        c.tick(); // the same target is not proposed twice
        assertThat(compactions).containsExactly(1500L);
    }
}
