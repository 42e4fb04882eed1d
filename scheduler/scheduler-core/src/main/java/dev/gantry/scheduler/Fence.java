package dev.gantry.scheduler;

import dev.gantry.kv.client.Txn;

/**
 * The elected scheduler's proof of leadership, compared in every write it makes: its election key still
 * attached to its lease. A deposed leader's in-flight writes then fail instead of racing its successor's.
 * {@link #NONE} when running without election (tests): then only the per-write compares protect.
 */
record Fence(String key, long leaseId) {
    static final Fence NONE = new Fence(null, 0);

    Txn apply(Txn txn) {
        return key == null ? txn : txn.ifLease(key, leaseId);
    }
}
