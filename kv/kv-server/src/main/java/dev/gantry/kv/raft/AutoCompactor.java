package dev.gantry.kv.raft;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.function.BooleanSupplier;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

import dev.gantry.kv.cluster.MemberConfig.AutoCompaction;

/**
 * etcd's automatic compaction ({@code --auto-compaction-mode/-retention}), run by the leader only:
 * <ul>
 * <li><b>periodic</b>: every {@code min(retention, 1 h)} compact to the revision the store had one retention
 *     ago — the revision is sampled every tenth of that interval, as etcd's periodic compactor does;</li>
 * <li><b>revision</b>: every 5 minutes compact to {@code latest - retention}.</li>
 * </ul>
 * {@link #tick} is called often (every sampling interval); the compaction itself is a Raft proposal.
 */
final class AutoCompactor {
    private static final Duration REVISION_MODE_INTERVAL = Duration.ofMinutes(5);

    private final AutoCompaction policy;
    private final BooleanSupplier isLeader;
    private final LongSupplier revision;
    private final LongConsumer compact;
    private final LongSupplier nanoClock;
    private final ArrayDeque<Long> samples = new ArrayDeque<>();
    private long lastCompactionNanos;
    private long lastCompactedTo;

    AutoCompactor(AutoCompaction policy, BooleanSupplier isLeader, LongSupplier revision, LongConsumer compact,
                  LongSupplier nanoClock) {
        this.policy = policy;
        this.isLeader = isLeader;
        this.revision = revision;
        this.compact = compact;
        this.nanoClock = nanoClock;
        this.lastCompactionNanos = nanoClock.getAsLong();
    }

    /** How often {@link #tick} should run. */
    Duration tickInterval() {
        return policy.periodic() ? compactInterval().dividedBy(10) : REVISION_MODE_INTERVAL;
    }

    private Duration compactInterval() {
        Duration retention = policy.retention();
        return retention.compareTo(Duration.ofHours(1)) < 0 ? retention : Duration.ofHours(1);
    }

    synchronized void tick() {
        long now = nanoClock.getAsLong();
        if (!policy.periodic()) {
            long target = revision.getAsLong() - policy.retainedRevisions();
            if (isLeader.getAsBoolean() && target > 0 && target != lastCompactedTo) {
                compact.accept(target);
                lastCompactedTo = target;
            }
            return;
        }
        samples.addLast(revision.getAsLong());
        long keep = policy.retention().toNanos() / tickInterval().toNanos() + 1;
        while (samples.size() > keep) {
            samples.removeFirst();
        }
        if (!isLeader.getAsBoolean()) {
            lastCompactionNanos = now; // as etcd's paused compactor: a new leader waits a full interval
            return;
        }
        if (now - lastCompactionNanos < compactInterval().toNanos()) {
            return;
        }
        long target = samples.peekFirst();
        lastCompactionNanos = now;
        if (target > 1 && target != lastCompactedTo) {
            compact.accept(target);
            lastCompactedTo = target;
        }
    }
}
