package dev.gantry.kv.raft;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.server.DivisionInfo;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

import com.google.protobuf.InvalidProtocolBufferException;

import dev.gantry.kv.api.raft.BatchResult;
import dev.gantry.kv.api.raft.CommandBatch;
import dev.gantry.kv.mvcc.EtcdError;

/**
 * How this member hands requests to Raft. On the leader, entries are submitted to the local Ratis server
 * in-process; otherwise (no leader known, or leadership just moved) they go through the Ratis client, on a
 * small pool of sender threads using its blocking API — its asynchronous API orders all of a client's
 * requests in one sliding window, where one request failed on the client side stalls the rest.
 * Linearizable reads do not go through Ratis: the leader confirms its leadership itself ({@link #leaderReadIndex}).
 */
final class RaftGateway implements AutoCloseable {
    private final RaftServer server;
    private final RaftGroupId groupId;
    private final RaftPeerId self;
    private final RaftClient client;
    private final ClientId localClient = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    private final ExecutorService forwarders;
    private final HeartbeatQuorum quorum;
    private final Supplier<CompletableFuture<Void>> leaderReady;
    private final long readyTimeoutMs;

    RaftGateway(RaftServer server, RaftGroupId groupId, RaftPeerId self, RaftClient client, int forwarderThreads,
                HeartbeatQuorum quorum, Supplier<CompletableFuture<Void>> leaderReady, long readyTimeoutMs) {
        this.server = server;
        this.readyTimeoutMs = readyTimeoutMs;
        this.quorum = quorum;
        this.leaderReady = leaderReady;
        this.groupId = groupId;
        this.self = self;
        this.client = client;
        this.forwarders = Executors.newFixedThreadPool(forwarderThreads, new DaemonThreads("kv-forward"));
    }

    /**
     * Proposes an entry on the local server (this member leads); falls back to the client if it no longer does.
     * A leader elected a moment ago refuses entries until it has applied the first of its term: the entry waits
     * for that here, at most {@code readyTimeoutMs}, rather than go to the client, which would look for the leader
     * elsewhere and may first try the old one, cut off, until its own timeout.
     */
    CompletableFuture<BatchResult> proposeLocally(CommandBatch batch) {
        Message message = message(batch);
        return local(message, RaftClientRequest.writeRequestType()).thenCompose(reply -> {
            if (!(reply.getException() instanceof LeaderNotReadyException)) {
                return CompletableFuture.completedFuture(reply);
            }
            return leaderReady.get().copy().orTimeout(readyTimeoutMs, TimeUnit.MILLISECONDS)
                    .handle((ready, notReady) -> notReady == null)
                    .thenCompose(ready -> ready ? local(message, RaftClientRequest.writeRequestType())
                            : CompletableFuture.completedFuture(reply));
        }).thenCompose(reply -> {
            Exception e = reply.getException();
            return e instanceof NotLeaderException || e instanceof LeaderNotReadyException
                    ? forward(message)
                    : CompletableFuture.completedFuture(reply);
        }).thenApply(RaftGateway::result);
    }

    /**
     * Proposes an entry only if this member still leads once a majority has confirmed it: for what only a leader
     * may decide from its own state (expired leases), never forwarded.
     */
    CompletableFuture<BatchResult> proposeAsConfirmedLeader(CommandBatch batch) {
        return leaderReadIndex()
                .thenCompose(confirmed -> local(message(batch), RaftClientRequest.writeRequestType()))
                .thenApply(RaftGateway::result);
    }

    /**
     * Proposes an entry through the Ratis client, which finds the leader and retries (exactly once, thanks
     * to the leader's retry cache) until the request timeout.
     */
    CompletableFuture<BatchResult> proposeViaClient(CommandBatch batch) {
        return forward(message(batch)).thenApply(RaftGateway::result);
    }

    private static Message message(CommandBatch batch) {
        return Message.valueOf(UnsafeByteOperations.unsafeWrap(batch.toByteArray()));
    }

    private static BatchResult result(RaftClientReply reply) {
        if (!reply.isSuccess()) {
            throw RaftErrors.toEtcd(reply.getException());
        }
        try {
            return BatchResult.parseFrom(reply.getMessage().getContent().asReadOnlyByteBuffer());
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("undecodable reply from the state machine", e);
        }
    }

    /**
     * The read index of a linearizable read on this member, the leader (§6.4 of the Raft thesis): its commit index
     * of now, once a majority has confirmed that it still leads ({@link HeartbeatQuorum}). A new leader first
     * waits until it has applied an entry of its own term, before which it does not know its commit index. Fails
     * with etcd's "leader changed" where this member does not lead.
     */
    CompletableFuture<Long> leaderReadIndex() {
        return leaderReadIndex(true);
    }

    private CompletableFuture<Long> leaderReadIndex(boolean mayWaitUntilReady) {
        RaftServer.Division division;
        try {
            division = server.getDivision(groupId);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
        DivisionInfo info = division.getInfo();
        long term = info.getCurrentTerm();
        if (!info.isLeader()) {
            return CompletableFuture.failedFuture(EtcdError.LEADER_CHANGED.exception());
        }
        if (!info.isLeaderReady()) {
            return mayWaitUntilReady
                    ? leaderReady.get().thenCompose(ready -> leaderReadIndex(false))
                    : CompletableFuture.failedFuture(EtcdError.LEADER_CHANGED.exception());
        }
        long commitIndex = division.getRaftLog().getLastCommittedIndex();
        if (info.getCurrentTerm() != term || !info.isLeader()) {
            return CompletableFuture.failedFuture(EtcdError.LEADER_CHANGED.exception());
        }
        return quorum.confirm(division, term).thenApply(confirmed -> commitIndex);
    }

    private CompletableFuture<RaftClientReply> local(Message message, RaftClientRequest.Type type) {
        RaftClientRequest request = RaftClientRequest.newBuilder()
                .setClientId(localClient)
                .setServerId(self)
                .setGroupId(groupId)
                .setCallId(callIds.incrementAndGet())
                .setMessage(message)
                .setType(type)
                .build();
        try {
            return server.submitClientRequestAsync(request);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private CompletableFuture<RaftClientReply> forward(Message message) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return client.io().send(message);
            } catch (IOException e) {
                throw new CompletionException(e);
            }
        }, forwarders);
    }

    @Override
    public void close() {
        forwarders.shutdownNow();
    }
}
