package dev.gantry.kv.raft;

import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * The index of the last Raft entry whose effects are committed in the store, and who waits for it to reach an
 * index: a linearizable read waits here for its read index, a write acknowledged by a follower for the leader's
 * applied index. The state machine advances it only after the store holds the entry (or a restored snapshot that
 * includes it), so a reader let through reads everything up to it.
 */
final class AppliedIndex {
    private long index = -1;
    /** Waiters by the index they wait for; all above {@link #index}. */
    private final NavigableMap<Long, CompletableFuture<Void>> waiting = new TreeMap<>();

    /** Completes once the applied index is at least {@code target}. Waiters are completed on the applier's thread. */
    synchronized CompletableFuture<Void> reach(long target) {
        if (target <= index) {
            return CompletableFuture.completedFuture(null);
        }
        return waiting.computeIfAbsent(target, t -> new CompletableFuture<>());
    }

    /** Records that the store holds everything up to {@code applied}; never moves back. */
    void advance(long applied) {
        List<CompletableFuture<Void>> reached;
        synchronized (this) {
            if (applied <= index) {
                return;
            }
            index = applied;
            NavigableMap<Long, CompletableFuture<Void>> head = waiting.headMap(applied, true);
            reached = new ArrayList<>(head.values());
            head.clear();
        }
        reached.forEach(waiter -> waiter.complete(null));
    }

    synchronized long get() {
        return index;
    }
}
