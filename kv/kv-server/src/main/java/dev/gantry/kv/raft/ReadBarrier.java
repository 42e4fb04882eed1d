package dev.gantry.kv.raft;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Linearizable reads by read-index (§6.4 of the Raft thesis), coalesced: concurrent readers share one round. A
 * reader that arrives while a round is in flight waits for the next one, since the current round may have fixed
 * its read index before the reader's request began. A round asks for a read index (the leader's commit index,
 * confirmed by a majority after the round began) and waits until this member has applied — and committed to
 * Xodus — everything up to it; reading the local store is then linearizable.
 *
 * <p>Rounds are started on {@code executor}, never under this object's lock nor on the caller's thread (the
 * caller is often an event loop), and complete there too, not on the thread that applies entries.
 */
final class ReadBarrier {
    private final Supplier<CompletableFuture<Long>> readIndex;
    private final AppliedIndex applied;
    private final Executor executor;
    private final long timeoutMs;
    private CompletableFuture<Void> next;
    private boolean inFlight;

    /** A round that has not completed after {@code timeoutMs} fails (and the next one starts). */
    ReadBarrier(Supplier<CompletableFuture<Long>> readIndex, AppliedIndex applied, Executor executor, long timeoutMs) {
        this.readIndex = readIndex;
        this.applied = applied;
        this.executor = executor;
        this.timeoutMs = timeoutMs;
    }

    CompletableFuture<Void> await() {
        CompletableFuture<Void> mine;
        CompletableFuture<Void> start = null;
        synchronized (this) {
            if (next == null) {
                next = new CompletableFuture<>();
            }
            mine = next;
            if (!inFlight) {
                inFlight = true;
                start = next;
                next = null;
            }
        }
        if (start != null) {
            launch(start);
        }
        return mine;
    }

    private void launch(CompletableFuture<Void> round) {
        CompletableFuture.supplyAsync(readIndex, executor)
                .thenCompose(index -> index.thenCompose(applied::reach))
                .orTimeout(timeoutMs, TimeUnit.MILLISECONDS)
                .whenCompleteAsync((ignored, error) -> finish(round, error), executor);
    }

    private void finish(CompletableFuture<Void> round, Throwable error) {
        if (error == null) {
            round.complete(null);
        } else {
            round.completeExceptionally(RaftErrors.toEtcd(error));
        }
        CompletableFuture<Void> following;
        synchronized (this) {
            following = next;
            next = null;
            inFlight = following != null;
        }
        if (following != null) {
            launch(following);
        }
    }
}
