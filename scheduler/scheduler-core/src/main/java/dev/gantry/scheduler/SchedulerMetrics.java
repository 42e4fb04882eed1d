package dev.gantry.scheduler;

import java.util.concurrent.atomic.AtomicLong;

/** Counters and gauges of one scheduler, read by the server's {@code /metrics}. */
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
}
