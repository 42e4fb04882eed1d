package dev.gantry.kv.raft;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;

import dev.gantry.kv.api.raft.KeepAliveBatch;
import dev.gantry.kv.api.raft.KeepAliveTtls;

/**
 * A follower's keep-alives travel to the leader in batches, as writes do ({@link Proposer}): while one batch
 * is on its way, every keep-alive that arrives joins the next. A client renewing thousands of leases on one
 * stream then costs the leader a few calls, not thousands — calls that would otherwise compete with Raft's
 * own traffic on the peer port.
 */
final class KeepAliveBatcher {
    private record Pending(long leaseId, CompletableFuture<Long> ttl) {
    }

    private final BiFunction<String, KeepAliveBatch, CompletableFuture<KeepAliveTtls>> send;
    private List<Pending> queue = new ArrayList<>();
    private String queuedFor;
    private boolean inFlight;

    /** {@code send} forwards one batch to the leader at an address. */
    KeepAliveBatcher(BiFunction<String, KeepAliveBatch, CompletableFuture<KeepAliveTtls>> send) {
        this.send = send;
    }

    /** Renews a lease on the leader at {@code address}; completes with its TTL (0: no such lease). */
    CompletableFuture<Long> renew(String address, long leaseId) {
        Pending pending = new Pending(leaseId, new CompletableFuture<>());
        synchronized (this) {
            queue.add(pending);
            queuedFor = address;
        }
        drain();
        return pending.ttl();
    }

    private void drain() {
        List<Pending> batch;
        String address;
        synchronized (this) {
            if (inFlight || queue.isEmpty()) {
                return;
            }
            inFlight = true;
            batch = queue;
            address = queuedFor;
            queue = new ArrayList<>();
        }
        KeepAliveBatch.Builder request = KeepAliveBatch.newBuilder();
        batch.forEach(p -> request.addLeaseIds(p.leaseId()));
        CompletableFuture<KeepAliveTtls> sent;
        try {
            sent = send.apply(address, request.build());
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        sent.whenComplete((ttls, error) -> {
            synchronized (this) {
                inFlight = false;
            }
            for (int i = 0; i < batch.size(); i++) {
                if (error != null) {
                    batch.get(i).ttl().completeExceptionally(error);
                } else {
                    batch.get(i).ttl().complete(ttls.getTtls(i));
                }
            }
            drain();
        });
    }
}
