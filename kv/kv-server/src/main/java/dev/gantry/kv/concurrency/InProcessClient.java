package dev.gantry.kv.concurrency;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

import com.google.protobuf.ByteString;

import dev.gantry.kv.api.etcd.Compare;
import dev.gantry.kv.api.etcd.LeaseGrantRequest;
import dev.gantry.kv.api.etcd.RangeRequest;
import dev.gantry.kv.api.etcd.RangeResponse;
import dev.gantry.kv.api.etcd.TxnRequest;
import dev.gantry.kv.api.etcd.TxnResponse;
import dev.gantry.kv.api.etcd.WatchCreateRequest;
import dev.gantry.kv.api.etcd.WatchRequest;
import dev.gantry.kv.api.etcd.WatchResponse;
import dev.gantry.kv.api.mvcc.Event;
import dev.gantry.kv.api.raft.Command;
import dev.gantry.kv.mvcc.KvApplier;
import dev.gantry.kv.raft.KvMember;
import dev.gantry.kv.watch.WatchStream;

/**
 * What etcd's v3lock and v3election servers do through a clientv3 client, done in-process on a member:
 * linearizable reads, txns through Raft, leases, and watches on the member's own watch hub.
 */
final class InProcessClient {
    private final KvMember member;

    InProcessClient(KvMember member) {
        this.member = member;
    }

    KvMember member() {
        return member;
    }

    CompletableFuture<TxnResponse> txn(TxnRequest r) {
        return KvApplier.isReadOnly(r)
                ? member.read(true, view -> KvApplier.txn(view, r))
                : member.execute(Command.newBuilder().setTxn(r).build()).thenApply(result -> result.getTxn());
    }

    CompletableFuture<RangeResponse> range(RangeRequest r) {
        return member.read(true, view -> KvApplier.range(view, r));
    }

    CompletableFuture<Long> grantLease(long ttl) {
        return member.execute(Command.newBuilder()
                        .setLeaseGrant(LeaseGrantRequest.newBuilder().setTTL(Math.max(ttl, member.minLeaseTtl()))).build())
                .thenApply(result -> result.getLeaseGrant().getID());
    }

    /**
     * Completes once {@code key} is deleted at or after revision {@code from} (at once if compaction hides
     * whether it was: the caller reads again). Cancelling the returned future ends the watch.
     */
    CompletableFuture<Void> deleted(ByteString key, long from) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Watch watch = watch(WatchCreateRequest.newBuilder().setKey(key).setStartRevision(from)
                .addFilters(WatchCreateRequest.FilterType.NOPUT).build(), response -> {
            if (response.getCanceled() || response.getEventsList().stream().anyMatch(e -> e.getType() == Event.EventType.DELETE)) {
                done.complete(null);
            }
        });
        done.whenComplete((r, e) -> watch.close());
        return done;
    }

    /** A watch whose responses (including the creation's) go to {@code responses}, on the watch sender threads. */
    Watch watch(WatchCreateRequest create, Consumer<WatchResponse> responses) {
        WatchStream stream = member.openWatchStream(new WatchStream.Outbound() {
            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void send(WatchResponse response) {
                responses.accept(response);
            }
        });
        stream.onRequest(WatchRequest.newBuilder().setCreateRequest(create).build());
        return stream::close;
    }

    interface Watch extends AutoCloseable {
        @Override
        void close();
    }

    static Compare createRevisionIs(ByteString key, long revision) {
        return Compare.newBuilder().setKey(key).setTarget(Compare.CompareTarget.CREATE)
                .setResult(Compare.CompareResult.EQUAL).setCreateRevision(revision).build();
    }
}
