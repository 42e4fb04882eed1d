package dev.gantry.kv.raft;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Linearizable reads by Raft read-index (§6.4 of the Raft thesis), coalesced: concurrent readers share one
 * read-index round. A reader that arrives while a round is in flight waits for the next one, since the
 * current round may have fixed its read index before the reader's request began. When a round completes,
 * this member has applied — and committed to Xodus — everything up to the leader's commit index as of the
 * round's start, so reading the local store is linearizable.
 *
 * <p>Rounds are started on {@code executor}, never under this object's lock nor on the caller's thread:
 * submitting a read to a follower's Ratis server may block while it asks the leader, and the caller is
 * often an event loop.
 */
final class ReadBarrier {
    private final RaftGateway raft;
    private final Executor executor;
    private CompletableFuture<Void> next;
    private boolean inFlight;

    ReadBarrier(RaftGateway raft, Executor executor) {
        this.raft = raft;
        this.executor = executor;
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
        executor.execute(() -> raft.readIndex().whenComplete((reply, error) -> {
            if (error == null && reply.isSuccess()) {
                round.complete(null);
            } else {
                round.completeExceptionally(RaftErrors.toEtcd(error != null ? error : reply.getException()));
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
        }));
    }
}
