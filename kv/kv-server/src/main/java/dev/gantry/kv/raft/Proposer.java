package dev.gantry.kv.raft;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

import dev.gantry.kv.api.raft.BatchResult;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.api.raft.CommandBatch;
import dev.gantry.kv.api.raft.CommandResult;
import dev.gantry.kv.mvcc.EtcdError;
import dev.gantry.kv.mvcc.EtcdException;

/**
 * Proposal batching: packs the commands that arrive while earlier proposals are in flight into one Raft
 * entry. Nothing waits on a timer — a lone client's command is proposed at once, and under load the queue
 * fills while up to {@code maxInFlight} entries replicate, so batches grow with concurrency. One entry is
 * one Xodus transaction on every member; each command still gets its own revision and result.
 */
final class Proposer {
    /** Commands are packed into one entry up to this size (a larger single command travels alone). */
    static final int MAX_BATCH_BYTES = 1 << 20;

    private record Pending(Command command, int size, CompletableFuture<CommandResult> result) {
    }

    private final RaftClient client;
    private final int maxInFlight;
    private final ExecutorService senders;
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private int inFlight;
    private boolean closed;

    Proposer(RaftClient client, int maxInFlight) {
        this.client = client;
        this.maxInFlight = maxInFlight;
        AtomicInteger n = new AtomicInteger();
        this.senders = Executors.newFixedThreadPool(maxInFlight, r -> {
            Thread t = new Thread(r, "kv-propose-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
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
            }
            send(batch);
        }
    }

    /**
     * Sends one entry on a sender thread with Ratis's blocking API. Its asynchronous API orders all requests
     * of a client in one sliding window, where one request failed on the client side (e.g. while leadership
     * moves) stalls every later one; independent etcd requests need no such order.
     */
    private void send(List<Pending> batch) {
        CommandBatch.Builder entry = CommandBatch.newBuilder();
        batch.forEach(p -> entry.addCommands(p.command()));
        Message message = Message.valueOf(UnsafeByteOperations.unsafeWrap(entry.build().toByteArray()));
        senders.execute(() -> {
            RaftClientReply reply = null;
            Throwable error = null;
            try {
                reply = client.io().send(message);
            } catch (IOException | RuntimeException e) {
                error = e;
            }
            synchronized (this) {
                inFlight--;
            }
            complete(batch, reply, error);
            drain();
        });
    }

    private static void complete(List<Pending> batch, RaftClientReply reply, Throwable error) {
        if (error == null && reply.isSuccess()) {
            try {
                BatchResult results = BatchResult.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
                for (int i = 0; i < batch.size(); i++) {
                    batch.get(i).result().complete(results.getResults(i));
                }
                return;
            } catch (Exception e) {
                error = e;
            }
        }
        EtcdException failure = RaftErrors.toEtcd(error != null ? error : reply.getException());
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
        senders.shutdown();
    }
}
