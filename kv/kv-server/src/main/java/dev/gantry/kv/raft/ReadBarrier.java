package dev.gantry.kv.raft;

import java.util.concurrent.CompletableFuture;


/**
 * Linearizable reads by Raft read-index (§6.4 of the Raft thesis), coalesced: concurrent readers share one
 * read-index round. A reader that arrives while a round is in flight waits for the next one, since the
 * current round may have fixed its read index before the reader's request began. When a round completes,
 * this member has applied — and committed to Xodus — everything up to the leader's commit index as of the
 * round's start, so reading the local store is linearizable.
 */
final class ReadBarrier {
    private final RaftGateway raft;
    private CompletableFuture<Void> next;
    private boolean inFlight;

    ReadBarrier(RaftGateway raft) {
        this.raft = raft;
    }

    synchronized CompletableFuture<Void> await() {
        if (next == null) {
            next = new CompletableFuture<>();
        }
        CompletableFuture<Void> mine = next;
        if (!inFlight) {
            startRound();
        }
        return mine;
    }

    private void startRound() {
        CompletableFuture<Void> round = next;
        next = null;
        inFlight = true;
        raft.readIndex().whenComplete((reply, error) -> {
            if (error == null && reply.isSuccess()) {
                round.complete(null);
            } else {
                round.completeExceptionally(RaftErrors.toEtcd(error != null ? error : reply.getException()));
            }
            synchronized (this) {
                inFlight = false;
                if (next != null) {
                    startRound();
                }
            }
        });
    }
}
