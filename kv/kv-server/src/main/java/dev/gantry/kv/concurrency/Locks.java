package dev.gantry.kv.concurrency;

import java.util.concurrent.CompletableFuture;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.etcd.DeleteRangeRequest;
import dev.gantry.kv.api.etcd.PutRequest;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RequestOp;
import dev.gantry.kv.api.etcd.TxnRequest;
import dev.gantry.kv.api.lock.LockRequest;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.api.lock.LockResponse;
import dev.gantry.kv.api.lock.UnlockRequest;
import dev.gantry.kv.api.lock.UnlockResponse;
import dev.gantry.kv.mvcc.EtcdException;
import dev.gantry.kv.raft.KvMember;
import io.grpc.Status;

/**
 * etcd's Lock service ({@code v3lockpb}), the way etcd builds it on clientv3's mutex: the lock {@code name}
 * is a key prefix; each caller creates {@code name/<lease in hex>} under its lease, and holds the lock once
 * every key created before its own is gone. The lock is released by deleting that key — by Unlock, or by
 * its lease expiring.
 */
public final class Locks {
    /** etcd's server grants a lease of this TTL to a caller that brings none (clientv3 session default). */
    private static final long SESSION_TTL = 60;

    private final InProcessClient client;

    public Locks(KvMember member) {
        this.client = new InProcessClient(member);
    }

    /** Completes once the lock is held; completing {@code cancelled} (the caller went away) withdraws from the queue. */
    public CompletableFuture<LockResponse> lock(LockRequest r, CompletableFuture<Void> cancelled) {
        CompletableFuture<Long> lease = r.getLease() != 0
                ? CompletableFuture.completedFuture(r.getLease()) : client.grantLease(SESSION_TTL);
        return lease.thenCompose(id -> {
            ByteString prefix = r.getName().concat(ByteString.copyFromUtf8("/"));
            ByteString key = prefix.concat(ByteString.copyFromUtf8(Long.toHexString(id)));
            TxnRequest enqueue = TxnRequest.newBuilder()
                    .addCompare(InProcessClient.createRevisionIs(key, 0))
                    .addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder().setKey(key).setLease(id)))
                    .addFailure(RequestOp.newBuilder().setRequestRange(RangeRequest.newBuilder().setKey(key)))
                    .build();
            return client.txn(enqueue).thenCompose(txn -> {
                long myRevision = txn.getSucceeded()
                        ? txn.getHeader().getRevision()
                        : txn.getResponses(0).getResponseRange().getKvs(0).getCreateRevision();
                return Waiting.predecessorsGone(client, prefix, myRevision - 1, cancelled)
                        .thenCompose(ignored -> client.range(RangeRequest.newBuilder().setKey(key).build()))
                        .thenApply(mine -> {
                            if (mine.getKvsCount() == 0) {
                                throw new EtcdException(Status.Code.UNKNOWN.value(), "session expired"); // clientv3's ErrSessionExpired
                            }
                            return LockResponse.newBuilder().setHeader(client.member().header(mine.getHeader().getRevision()))
                                    .setKey(key).build();
                        })
                        .whenComplete((held, error) -> {
                            if (error != null) { // withdraw, as etcd's server does when the wait fails
                                client.member().execute(deleteCommand(key));
                            }
                        });
            });
        });
    }

    public CompletableFuture<UnlockResponse> unlock(UnlockRequest r) {
        return client.member().execute(deleteCommand(r.getKey())).thenApply(result -> UnlockResponse.newBuilder()
                .setHeader(client.member().header(result.getDeleteRange().getHeader().getRevision())).build());
    }

    private static Command deleteCommand(ByteString key) {
        return Command.newBuilder()
                .setDeleteRange(DeleteRangeRequest.newBuilder().setKey(key)).build();
    }
}
