package dev.gantry.kv.raft;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;


import dev.gantry.kv.api.raft.BatchResult;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.api.raft.CommandBatch;
import dev.gantry.kv.api.raft.CommandResult;
import dev.gantry.kv.mvcc.EtcdError;
import dev.gantry.kv.mvcc.EtcdException;

/**
 * Proposal batching: packs the commands that arrive while earlier proposals are in flight into one Raft
 * entry. Nothing waits on a timer — a lone client's command is proposed at once, and under load the queue
 * fills while up to {@code maxInFlight} entries of this member replicate, so batches grow with concurrency.
 * One entry is one Xodus transaction on every member; each command still gets its own revision and result.
 */
final class Proposer {
    /** Commands are packed into one entry up to this size (a larger single command travels alone). */
    static final int MAX_BATCH_BYTES = 1 << 20;

    private record Pending(Command command, int size, CompletableFuture<CommandResult> result) {
    }

    private final Function<CommandBatch, CompletableFuture<BatchResult>> submit;
    private final Function<BatchResult, CompletableFuture<BatchResult>> answerable;
    private final int maxInFlight;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private int inFlight;
    private int inFlightCommands;
    private final java.util.concurrent.atomic.AtomicLong failed = new java.util.concurrent.atomic.AtomicLong();
    private boolean closed;

    /**
     * {@code submit} hands one entry to Raft and completes with its results once applied (on the leader);
     * {@code answerable} completes once they may be given to the clients (this member applied them too). The
     * entry's slot is free again as soon as {@code submit} completes: the next entry need not wait for this member's
     * own apply.
     */
    Proposer(Function<CommandBatch, CompletableFuture<BatchResult>> submit,
             Function<BatchResult, CompletableFuture<BatchResult>> answerable, int maxInFlight) {
        this.submit = submit;
        this.answerable = answerable;
        this.maxInFlight = maxInFlight;
    }

    CompletableFuture<CommandResult> propose(Command command) {
        Pending pending = new Pending(command, command.getSerializedSize(), new CompletableFuture<>());
        synchronized (this) {
            if (closed) {
                return CompletableFuture.failedFuture(EtcdError.STOPPED.exception());
            }
            queue.add(pending);
        }
        drain();
        return pending.result();
    }

    private void drain() {
        while (true) {
            List<Pending> batch = new ArrayList<>();
            synchronized (this) {
                if (inFlight >= maxInFlight || queue.isEmpty()) {
                    return;
                }
                int bytes = 0;
                while (!queue.isEmpty() && (batch.isEmpty() || bytes + queue.peek().size() <= MAX_BATCH_BYTES)) {
                    Pending next = queue.poll();
                    bytes += next.size();
                    batch.add(next);
                }
                inFlight++;
                inFlightCommands += batch.size();
            }
            send(batch);
        }
    }

    private void send(List<Pending> batch) {
        CommandBatch.Builder entry = CommandBatch.newBuilder();
        batch.forEach(p -> entry.addCommands(p.command()));
        CompletableFuture<BatchResult> submitted;
        try {
            submitted = submit.apply(entry.build());
        } catch (RuntimeException e) {
            submitted = CompletableFuture.failedFuture(e);
        }
        submitted.whenComplete((results, error) -> {
            synchronized (this) {
                inFlight--;
                inFlightCommands -= batch.size();
            }
            if (error != null) {
                complete(batch, null, error);
            } else {
                answerable.apply(results).whenComplete((answer, notApplied) -> complete(batch, answer, notApplied));
            }
            drain();
        });
    }

    /** etcd's {@code etcd_server_proposals_failed_total}: commands whose entry failed (not an etcd error in its result). */
    long failed() {
        return failed.get();
    }

    /** Commands waiting for an entry or in entries not yet applied. */
    synchronized int pending() {
        return queue.size() + inFlightCommands;
    }

    private void complete(List<Pending> batch, BatchResult results, Throwable error) {
        if (error == null && results.getResultsCount() == batch.size()) {
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result().complete(results.getResults(i));
            }
            return;
        }
        // Fewer results than commands only comes from an entry the state machine skipped as already applied,
        // which a new proposal never is; report it as an unknown outcome rather than guess.
        EtcdException failure = error != null ? RaftErrors.toEtcd(error) : EtcdError.TIMEOUT.exception();
        failed.addAndGet(batch.size());
        batch.forEach(p -> p.result().completeExceptionally(failure));
    }

    void close() {
        List<Pending> abandoned;
        synchronized (this) {
            closed = true;
            abandoned = new ArrayList<>(queue);
            queue.clear();
        }
        abandoned.forEach(p -> p.result().completeExceptionally(EtcdError.STOPPED.exception()));
    }
}
