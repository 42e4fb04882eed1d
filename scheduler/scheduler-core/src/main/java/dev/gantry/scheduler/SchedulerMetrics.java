package dev.gantry.scheduler;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import dev.gantry.job.Task;
import dev.gantry.job.TaskStatus;
import dev.gantry.job.Transition;
import dev.gantry.kv.client.Informer;
import dev.gantry.scheduler.placement.NodeCapacity;

/**
 * Counters and gauges of one scheduler, read by the server's {@code /metrics}. The gauges describe the last pass
 * and are 0 on a replica that stands by, so the highest value across servers is the leader's.
 */
public final class SchedulerMetrics {
    final AtomicLong pending = new AtomicLong();
    final AtomicLong leader = new AtomicLong();
    final AtomicLong placements = new AtomicLong();
    final AtomicLong conflicts = new AtomicLong();
    final AtomicLong claimTxns = new AtomicLong();
    final AtomicLong claimNanos = new AtomicLong();
    final AtomicLong requeued = new AtomicLong();
    final AtomicLong failedLost = new AtomicLong();
    final AtomicLong reasonWrites = new AtomicLong();
    final AtomicLong passes = new AtomicLong();
    private final AtomicLong oldestPendingSeconds = new AtomicLong();
    private final AtomicLong nodes = new AtomicLong();
    private final AtomicLong nodesLost = new AtomicLong();
    private final Map<TaskStatus, AtomicLong> finished = new EnumMap<>(TaskStatus.class);
    /** The schedulable nodes of the previous pass: one missing from the next pass was lost. Pass thread only. */
    private Set<String> schedulable = Set.of();

    public SchedulerMetrics() {
        for (TaskStatus status : TaskStatus.values()) {
            if (status.isTerminal()) {
                finished.put(status, new AtomicLong());
            }
        }
    }

    /** Pending tasks at the last pass. */
    public long pending() {
        return pending.get();
    }

    /** 1 while this scheduler acts (elected, or running without election). */
    public long leader() {
        return leader.get();
    }

    public long placements() {
        return placements.get();
    }

    /** Claim txns whose compares failed (another writer got there first); the tasks are retried. */
    public long conflicts() {
        return conflicts.get();
    }

    public long claimTxns() {
        return claimTxns.get();
    }

    public double claimSeconds() {
        return claimNanos.get() / 1e9;
    }

    /** Tasks sent back to PENDING because their node was lost. */
    public long requeued() {
        return requeued.get();
    }

    /** Tasks failed because their node was lost once more than maxRetries allows. */
    public long failedLost() {
        return failedLost.get();
    }

    public long reasonWrites() {
        return reasonWrites.get();
    }

    public long passes() {
        return passes.get();
    }

    /** How long the longest-waiting pending task had been PENDING at the last pass (0: none pending). */
    public long oldestPendingSeconds() {
        return oldestPendingSeconds.get();
    }

    /** Nodes (live agents) at the last pass, whatever their operator state. */
    public long nodes() {
        return nodes.get();
    }

    /**
     * Nodes that vanished (their agent's lease ended) while they took tasks. A node cordoned or drained before
     * its agent stopped is planned maintenance and not counted.
     */
    public long nodesLost() {
        return nodesLost.get();
    }

    /** Tasks this server saw reach each final status (SUCCEEDED, FAILED, CANCELLED) since it started. */
    public Map<TaskStatus, Long> finished() {
        Map<TaskStatus, Long> counts = new EnumMap<>(TaskStatus.class);
        finished.forEach((status, count) -> counts.put(status, count.get()));
        return counts;
    }

    /** Whether this replica acts; one that stands by zeroes the last pass's gauges and forgets its nodes. */
    void leading(boolean leading) {
        leader.set(leading ? 1 : 0);
        if (!leading) {
            pending.set(0);
            oldestPendingSeconds.set(0);
            nodes.set(0);
            schedulable = Set.of();
        }
    }

    /** What a pass saw: its pending queue, the longest wait in it, its nodes and the schedulable ones lost since the last pass. */
    void observed(ClusterView view, Instant now) {
        pending.set(view.pending().size());
        Instant oldest = null;
        for (Informer.Entry<Task> entry : view.pending()) {
            Instant since = pendingSince(entry.value());
            if (since != null && (oldest == null || since.isBefore(oldest))) {
                oldest = since;
            }
        }
        oldestPendingSeconds.set(oldest == null ? 0 : Math.max(0, Duration.between(oldest, now).toSeconds()));
        nodes.set(view.nodes().size());
        Set<String> nowSchedulable = new HashSet<>();
        view.nodes().values().stream().filter(NodeCapacity::ready).forEach(node -> nowSchedulable.add(node.id()));
        for (String id : schedulable) {
            if (!view.nodes().containsKey(id)) {
                nodesLost.incrementAndGet();
            }
        }
        schedulable = nowSchedulable;
    }

    /** A change to a task seen by this server's task informer: counts the move into a final status. */
    void taskChanged(Task before, Task after) {
        if (before == null || after == null || before.status() == null || after.status() == null) {
            return; // a new or deleted task, or one already final when this server first listed it
        }
        if (!before.status().isTerminal() && after.status().isTerminal()) {
            finished.get(after.status()).incrementAndGet();
        }
    }

    /** When the task last became PENDING: its latest transition into PENDING (a requeue), else its submission. */
    private static Instant pendingSince(Task task) {
        for (int i = task.timeline().size() - 1; i >= 0; i--) {
            Transition t = task.timeline().get(i);
            if (t.to() == TaskStatus.PENDING && t.at() != null) {
                return t.at();
            }
        }
        return task.createdAt();
    }
}
